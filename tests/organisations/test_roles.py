"""ORG-2 and ORG-4: teams and camera pools; roles, and who may never see footage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from kluis.core.clock import today
from kluis.devices.models import Camera
from kluis.organisations import actions
from kluis.organisations.models import Organisation, Role
from kluis.organisations.people import may_see_footage, roles_of
from tests.factories import make_organisation, make_person

PASSWORD = "correct horse battery"


@pytest.mark.rule("ORG-4")
def test_every_role_of_org4_exists():
    assert {r.value for r in Role} == {
        "officer",
        "manager",
        "deputy_manager",
        "invited_staff",
        "privacy_officer",
        "complaint_coordinator",
        "control_room",
        "functional_admin",
        "supplier",
    }


@pytest.mark.rule("ORG-4")
@pytest.mark.django_db
def test_administrators_and_supplier_never_qualify_for_footage():
    org = make_organisation()
    admin_user = make_person(org, Role.FUNCTIONAL_ADMIN)
    supplier = make_person(org, Role.SUPPLIER)
    officer = make_person(org, Role.OFFICER)
    assert not may_see_footage(admin_user, org)
    assert not may_see_footage(supplier, org)
    assert may_see_footage(officer, org)


@pytest.mark.rule("ORG-4")
@pytest.mark.django_db
def test_roles_are_per_organisation_and_dated():
    org, other = make_organisation(), make_organisation()
    person = make_person(org, Role.OFFICER)
    membership = actions.grant_role(
        org, person, Role.PRIVACY_OFFICER, valid_from=today() + dt.timedelta(days=10)
    )
    assert roles_of(person, org) == {Role.OFFICER}
    assert roles_of(person, org, on=today() + dt.timedelta(days=10)) == {
        Role.OFFICER,
        Role.PRIVACY_OFFICER,
    }
    assert roles_of(person, other) == set()
    actions.end_role(membership, on=today() + dt.timedelta(days=20))
    assert Role.PRIVACY_OFFICER not in roles_of(person, org, on=today() + dt.timedelta(days=21))


@pytest.mark.rule("ORG-4")
def test_admin_offers_no_footage():
    """No model that holds or leads to footage is registered in the admin."""
    footage_apps = {"recordings", "viewing", "redaction", "livestream"}
    registered = {model._meta.app_label for model in admin.site._registry}
    assert not registered & footage_apps


@pytest.mark.rule("ORG-4")
@pytest.mark.django_db
def test_supplier_and_officer_cannot_use_the_admin(client):
    org = make_organisation()
    for role in (Role.SUPPLIER, Role.OFFICER):
        user = make_person(org, role)
        client.force_login(user)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302 and "/login/" in response["Location"]
        client.logout()


@pytest.mark.rule("ORG-2")
@pytest.mark.django_db
def test_demo_splits_the_alphen_pool_over_two_teams():
    call_command("load_demo", quiet_passwords=True)
    alphen = Organisation.objects.get(slug="alphen-demo")
    counts = {t.name: Camera.objects.filter(team=t).count() for t in alphen.teams.all()}
    assert counts == {"Toezicht en Handhaving": 26, "Inspectie": 2}
    h2o = Organisation.objects.get(slug="h2o-demo")
    assert sorted(h2o.municipalities.values_list("name", flat=True)) == [
        "Hattem",
        "Heerde",
        "Oldebroek",
    ]
    # Every role of ORG-4 has a demo person.
    from kluis.organisations.models import Membership

    assert set(Membership.objects.filter(organisation=alphen).values_list("role", flat=True)) == {
        r.value for r in Role
    }
    # Running it again changes nothing.
    call_command("load_demo", quiet_passwords=True)
    assert Camera.objects.filter(organisation=alphen).count() == 28


@pytest.mark.rule("ORG-2")
@pytest.mark.django_db
def test_team_of_another_organisation_is_refused_for_camera():
    from django.core.exceptions import ValidationError

    from kluis.devices.actions import register_camera
    from kluis.organisations.models import Team

    org, other = make_organisation(), make_organisation()
    with pytest.raises(ValidationError):
        register_camera(org, Team.objects.get(organisation=other), serial="X-1")
    assert not Camera.objects.exists()


def test_every_app_has_the_same_shape():
    for label in ("organisations", "devices"):
        path = Path(apps.get_app_config(label).path)
        # One module of actions, or a package of them once it holds several concepts.
        assert (path / "actions.py").exists() or (path / "actions" / "__init__.py").exists(), label


@pytest.mark.rule("ORG-4")
@pytest.mark.django_db
def test_admin_needs_the_second_factor_and_has_no_password_only_login(client):
    from tests.login import log_in

    org = make_organisation()
    admin_user = make_person(org, Role.FUNCTIONAL_ADMIN)
    login_page = client.get(reverse("admin:login"))
    assert login_page.status_code == 302 and reverse("staff:login") in login_page["Location"]
    client.force_login(admin_user)  # a password alone
    assert client.get(reverse("admin:index")).status_code == 302
    log_in(client, admin_user)
    assert client.get(reverse("admin:index")).status_code == 200
