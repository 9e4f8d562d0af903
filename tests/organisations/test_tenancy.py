"""ORG-1: nothing of one organisation reaches a person of another (admin, helper, query)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kluis.core.permissions import can
from kluis.core.problems import NotAllowed
from kluis.organisations import actions
from kluis.organisations.models import Membership, Municipality, ReportingLine, Role, Team, User
from kluis.organisations.permissions import scoped
from tests.factories import make_organisation, make_person
from tests.login import log_in

PASSWORD = "correct horse battery"


@pytest.fixture
def two_orgs(db):
    a, b = make_organisation("aaa"), make_organisation("bbb", preset="den-haag")
    admin_a = make_person(a, Role.FUNCTIONAL_ADMIN, "admin-a")
    admin_b = make_person(b, Role.FUNCTIONAL_ADMIN, "admin-b")
    officer_b = make_person(b, Role.OFFICER, "officer-b", team="Handhaving")
    return a, b, admin_a, admin_b, officer_b


@pytest.mark.rule("ORG-1")
def test_querysets_are_scoped_to_own_organisation(two_orgs):
    a, b, admin_a, _admin_b, _officer_b = two_orgs
    assert list(scoped(admin_a, Team.objects.all())) == list(Team.objects.filter(organisation=a))
    assert not scoped(admin_a, Team.objects.filter(organisation=b)).exists()
    assert not scoped(admin_a, Membership.objects.filter(organisation=b)).exists()
    assert not scoped(None, Team.objects.all()).exists()


@pytest.mark.rule("ORG-1")
def test_permission_helper_refuses_foreign_organisation(two_orgs):
    a, b, admin_a, _admin_b, _officer_b = two_orgs
    assert can(admin_a, "organisations.manage", a)
    assert not can(admin_a, "organisations.manage", b)
    assert not can(admin_a, "organisations.view", Team.objects.get(organisation=b))
    with pytest.raises(NotAllowed):
        actions.add_team(b, name="Binnendringers", actor=admin_a)
    assert not Team.objects.filter(name="Binnendringers").exists()


@pytest.mark.rule("ORG-1")
def test_deny_by_default():
    class Anonymous:
        is_authenticated = False
        is_active = True

    assert not can(Anonymous(), "organisations.view", None)
    assert not can(None, "organisations.view", None)


@pytest.mark.rule("ORG-1")
def test_unknown_permission_is_denied(two_orgs):
    _a, _b, admin_a, _admin_b, _officer_b = two_orgs
    assert not can(admin_a, "recordings.delete_everything", None)


@pytest.mark.rule("ORG-1")
def test_admin_lists_and_pages_show_only_own_organisation(client, two_orgs):
    a, b, _admin_a, _admin_b, officer_b = two_orgs
    assert log_in(client, User.objects.get(username="admin-a"))
    for model in (Team, Municipality, Membership, ReportingLine):
        url = reverse(f"admin:organisations_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        shown = list(response.context["cl"].queryset)
        assert all(obj.organisation_id == a.id for obj in shown), model
    users = list(client.get(reverse("admin:organisations_user_changelist")).context["cl"].queryset)
    assert officer_b not in users
    # A foreign object's change page is not found, and a forged POST changes nothing.
    team_b = Team.objects.get(organisation=b)
    url = reverse("admin:organisations_team_change", args=[team_b.pk])
    assert client.get(url).status_code in (302, 404)
    client.post(url, {"organisation": a.pk, "name": "Gekaapt"})
    team_b.refresh_from_db()
    assert team_b.name == "Handhaving" and team_b.organisation_id == b.id
    # Forms offer only own-organisation choices.
    form = client.get(reverse("admin:organisations_team_add")).context["adminform"].form
    assert list(form.fields["organisation"].queryset) == [a]


@pytest.mark.rule("ORG-1")
def test_admin_cannot_add_row_in_foreign_organisation(client, two_orgs):
    a, b, *_ = two_orgs
    assert log_in(client, User.objects.get(username="admin-a"))
    response = client.post(
        reverse("admin:organisations_team_add"), {"organisation": b.pk, "name": "Indringer"}
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert not Team.objects.filter(name="Indringer").exists()


@pytest.mark.rule("ORG-1")
def test_functional_admin_cannot_make_self_superuser(client, two_orgs):
    _a, _b, admin_a, *_ = two_orgs
    assert log_in(client, User.objects.get(username="admin-a"))
    form = client.get(reverse("admin:organisations_user_change", args=[admin_a.pk]))
    assert "is_superuser" not in form.context["adminform"].form.fields
    assert not User.objects.get(pk=admin_a.pk).is_superuser
