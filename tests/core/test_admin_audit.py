"""AUD-1 in the admin: every write a functional administrator can make there is audited.

The walk goes over every registered ModelAdmin, so a new admin (or a new permission on an old
one) is covered without anyone remembering to add a test; an admin that allows an add needs a
sample in ADD_SAMPLES, or the walk fails and says so.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.forms import MultiWidget
from django.test import RequestFactory
from django.urls import reverse

from kluis.core.clock import today
from kluis.custody.events import AuditEvent
from kluis.custody.models import AuditEntry
from kluis.organisations import actions
from kluis.organisations.models import Membership, Organisation, Policy, Role, Team, User
from tests.factories import make_camera
from tests.login import log_in


@pytest.fixture
def place(db, make_org, make_person):
    org = make_org()
    team = Team.objects.get(organisation=org)
    fa = make_person(org, Role.FUNCTIONAL_ADMIN)
    officer = make_person(org, Role.OFFICER, team=team.name)
    manager = make_person(org, Role.MANAGER, team=team.name)
    camera, _key = make_camera(org, team.name)
    return type(
        "Place",
        (),
        dict(org=org, team=team, fa=fa, officer=officer, manager=manager, camera=camera),
    )


def _start(days=1):
    return today() + dt.timedelta(days=days)


ADD_SAMPLES = {
    "organisations.municipality": lambda p: {
        "organisation": p.org.pk,
        "name": "Gemeente Nieuw",
        "code": "9999",
    },
    "organisations.team": lambda p: {
        "organisation": p.org.pk,
        "name": "Nachtdienst",
        "municipality": p.org.municipalities.first().pk,
    },
    "organisations.membership": lambda p: {
        "organisation": p.org.pk,
        "user": actions.create_person(p.org, username="sample", actor=None).pk,
        "role": Role.OFFICER,
        "team": p.team.pk,
        "valid_from": str(today()),
    },
    "organisations.reportingline": lambda p: {
        "organisation": p.org.pk,
        "officer": p.officer.pk,
        "manager": p.manager.pk,
        "kind": "manager",
        "valid_from": str(today()),
    },
    "organisations.user": lambda p: {
        "username": "onboarded",
        "usable_password": "true",
        "password1": "a long passphrase 42",
        "password2": "a long passphrase 42",
    },
    "devices.enrolmentcode": lambda p: {"organisation": p.org.pk, "team": p.team.pk},
    "devices.cameraassignment": lambda p: {
        "camera": p.camera.pk,
        "officer": p.officer.pk,
        "shift_start_0": str(_start(3)),
        "shift_start_1": "08:00:00",
        "shift_end_0": str(_start(3)),
        "shift_end_1": "16:00:00",
    },
}


def _form_data(form) -> dict:
    """What the browser would send back for an unchanged change form."""
    data = {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{key}_{i}"] = "" if part is None else part
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is None:
            data[key] = ""
        else:
            data[key] = value
    return data


def _entries():
    return AuditEntry.objects.count()


@pytest.mark.rule("AUD-1")
def test_admin_writes_leave_an_audit_entry(client, place):
    log_in(client, place.fa)
    request = RequestFactory().get("/admin/")
    request.user = place.fa
    wrong, tried = [], []
    for model, modeladmin in admin.site._registry.items():
        label = model._meta.label_lower
        info = (model._meta.app_label, model._meta.model_name)
        if modeladmin.has_add_permission(request):
            sample = ADD_SAMPLES.get(label)
            if sample is None:
                wrong.append(f"{label}: the admin allows an add; give it a sample in ADD_SAMPLES")
            else:
                before = _entries()
                r = client.post(reverse("admin:{}_{}_add".format(*info)), sample(place))
                tried.append(f"add {label}")
                if r.status_code != 302 or _entries() == before:
                    wrong.append(f"add {label}: {r.status_code}, audited {_entries() - before}")
        objects = [
            o
            for o in modeladmin.get_queryset(request)[:20]
            if modeladmin.has_change_permission(request, o)
            or modeladmin.has_delete_permission(request, o)
        ]
        for obj in objects[:1]:
            if modeladmin.has_change_permission(request, obj):
                url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
                form = client.get(url).context["adminform"].form
                before = _entries()
                r = client.post(url, _form_data(form))
                tried.append(f"change {label}")
                if r.status_code != 302 or _entries() == before:
                    errors = getattr(r.context["adminform"].form, "errors", "") if r.context else ""
                    wrong.append(f"change {label}: {r.status_code} {errors}")
            if modeladmin.has_delete_permission(request, obj):
                url = reverse("admin:{}_{}_delete".format(*info), args=[obj.pk])
                before = _entries()
                r = client.post(url, {"post": "yes"})
                tried.append(f"delete {label}")
                if r.status_code != 302 or _entries() == before:
                    wrong.append(f"delete {label}: {r.status_code}")
    assert not wrong, wrong
    assert "add organisations.membership" in tried and "change organisations.user" in tried
    assert AuditEntry.objects.filter(action=AuditEvent.ADMIN_CHANGE, actor=place.fa).exists()


@pytest.mark.rule("AUD-1")
def test_an_administrator_cannot_reset_a_colleagues_password_unaudited(
    client, place, mailoutbox, django_capture_on_commit_callbacks
):
    place.officer.email = "officer@example.org"
    place.officer.save()
    log_in(client, place.fa)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/admin/organisations/user/{place.officer.pk}/password/",
            {
                "usable_password": "true",
                "password1": "another long passphrase 7",
                "password2": "another long passphrase 7",
            },
        )
    assert r.status_code == 302
    place.officer.refresh_from_db()
    assert place.officer.check_password("another long passphrase 7")
    entry = AuditEntry.objects.get(action=AuditEvent.PASSWORD_RESET)
    assert entry.actor == place.fa and entry.object_id == str(place.officer.pk)
    assert [m.to for m in mailoutbox] == [["officer@example.org"]]


def test_admin_does_not_loop_for_a_verified_non_admin(client, place):
    log_in(client, place.officer)
    r = client.get("/admin/", follow=True)
    assert r.status_code == 403
    assert len(r.redirect_chain) <= 1


def test_a_new_functional_administrator_gets_into_the_admin(client, place):
    log_in(client, place.fa)
    client.post(
        "/admin/organisations/user/add/",
        ADD_SAMPLES["organisations.user"](place),
    )
    newcomer = User.objects.get(username="onboarded")
    r = client.post(
        "/admin/organisations/membership/add/",
        {
            "organisation": place.org.pk,
            "user": newcomer.pk,
            "role": Role.FUNCTIONAL_ADMIN,
            "valid_from": str(today()),
        },
    )
    assert r.status_code == 302
    assert Membership.objects.filter(user=newcomer, role=Role.FUNCTIONAL_ADMIN).exists()
    client.logout()
    log_in(client, newcomer)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/organisations/membership/").status_code == 200


def test_a_functional_administrator_sees_the_people_she_creates(client, place):
    log_in(client, place.fa)
    r = client.post("/admin/organisations/user/add/", ADD_SAMPLES["organisations.user"](place))
    assert r.status_code == 302
    person = User.objects.get(username="onboarded")
    assert person.onboarded_in == place.org
    assert "onboarded" in client.get("/admin/organisations/user/").content.decode()
    assert client.get(f"/admin/organisations/user/{person.pk}/change/").status_code == 200
    assert AuditEntry.objects.filter(
        action=AuditEvent.PERSON_CREATED, actor=place.fa, object_id=str(person.pk)
    ).exists()


def test_apply_preset_works_for_the_operator_and_names_the_policy(client, place):
    operator = User.objects.create_superuser("operator", "op@example.org", "operator pass 1")
    log_in(client, operator)
    r = client.post(
        "/admin/organisations/organisation/",
        {"action": "apply_preset_dordrecht", "_selected_action": [str(place.org.pk)]},
    )
    assert r.status_code == 302
    policy = Policy.objects.get(organisation=place.org)
    dordrecht = Policy.objects.get(preset_key="dordrecht")
    assert policy.settings_dict() == dordrecht.settings_dict()
    assert "Dordrecht" in policy.name and "Alphen" not in policy.name
    assert AuditEntry.objects.filter(
        action=AuditEvent.POLICY_PRESET_APPLIED, actor=operator
    ).exists()
    assert Organisation.objects.get(pk=place.org.pk).policy_id == policy.pk
