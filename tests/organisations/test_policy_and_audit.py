"""Policy is data and every change to it is an audited action; bad input loses nothing."""

from __future__ import annotations

import pytest

from kluis.core.problems import KluisError
from kluis.custody.models import AuditEntry
from kluis.organisations import actions
from kluis.organisations.models import Policy, Role, User
from tests.factories import make_organisation, make_person
from tests.login import log_in


@pytest.mark.rule("ORG-1")
@pytest.mark.django_db
def test_policy_change_is_audited_with_old_and_new_values():
    org = make_organisation()
    admin_user = make_person(org, Role.FUNCTIONAL_ADMIN)
    actions.update_policy(org, actor=admin_user, reason="besluit 2026", retention_days=31)
    entry = AuditEntry.objects.filter(action="policy.changed").latest("sequence")
    assert entry.details["changes"] == {"retention_days": [28, 31]}
    assert entry.actor == admin_user and entry.organisation == org


@pytest.mark.django_db
def test_invalid_policy_change_is_refused_and_changes_nothing():
    org = make_organisation()
    before = AuditEntry.objects.count()
    with pytest.raises(Exception, match="request_window_days|days"):
        actions.update_policy(
            org, request_window=Policy.RequestWindow.DAYS, request_window_days=None
        )
    with pytest.raises(KluisError, match="Unknown policy settings"):
        actions.update_policy(org, retention=5)
    with pytest.raises(Exception, match="retention_days"):
        actions.update_policy(org, retention_days=0)
    org.policy.refresh_from_db()
    assert org.policy.retention_days == 28
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_apply_preset_copies_every_setting():
    org = make_organisation(preset="alphen")
    actions.apply_preset(org, "h2o")
    org.policy.refresh_from_db()
    assert org.policy.settings_dict() == Policy.objects.get(preset_key="h2o").settings_dict()
    with pytest.raises(KluisError, match="Unknown policy preset"):
        actions.apply_preset(org, "atlantis")


@pytest.mark.django_db
def test_presets_are_read_only_in_the_admin(client):
    from django.urls import reverse

    org = make_organisation()
    make_person(org, Role.FUNCTIONAL_ADMIN, "fa")
    assert log_in(client, User.objects.get(username="fa"))
    h2o = Policy.objects.get(preset_key="h2o")
    client.post(reverse("admin:organisations_policy_change", args=[h2o.pk]), {"retention_days": 1})
    h2o.refresh_from_db()
    assert h2o.retention_days == 28


@pytest.mark.rule("RET-1")
@pytest.mark.django_db
def test_admin_asks_to_confirm_a_retention_change_that_deletes_at_once(client):
    import datetime as dt

    from django.urls import reverse

    from kluis.core import clock
    from tests.factories import make_recording

    org = make_organisation()
    make_person(org, Role.FUNCTIONAL_ADMIN, "fa")
    officer = make_person(org, Role.OFFICER)
    make_recording(org, officer, started_at=clock.now() - dt.timedelta(days=20))
    assert log_in(client, User.objects.get(username="fa"))
    url = reverse("admin:organisations_policy_change", args=[org.policy.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(retention_days=14, name=org.policy.name)
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "1" in str(refused.context["adminform"].form.errors["confirm_due"])
    org.policy.refresh_from_db()
    assert org.policy.retention_days == 28
    done = client.post(url, {**data, "confirm_due": 1})
    assert done.status_code == 302, done.context["adminform"].form.errors if done.context else ""
    org.policy.refresh_from_db()
    assert org.policy.retention_days == 14
