"""The admin offers enrolment codes through the action: shown once, stored hashed."""

import pytest

from kluis.devices.models import EnrolmentCode
from kluis.organisations.models import Role, Team
from tests.login import log_in


@pytest.mark.rule("ORG-5")
def test_functional_administrator_issues_a_code_in_the_admin(client, make_org, make_person):
    org = make_org()
    admin_user = make_person(org, Role.FUNCTIONAL_ADMIN)
    log_in(client, admin_user)
    team = Team.objects.get(organisation=org)
    response = client.post(
        "/admin/devices/enrolmentcode/add/",
        {"organisation": org.pk, "team": team.pk},
        follow=True,
    )
    assert response.status_code == 200
    entry = EnrolmentCode.objects.get(organisation=org)
    shown = [str(m) for m in response.context["messages"]]
    assert any("Enrolment code" in m or "code" in m for m in shown), shown
    code = shown[0].rsplit(" ", 1)[-1]
    from kluis.devices.actions import hash_code

    assert hash_code(code) == entry.code_sha256
