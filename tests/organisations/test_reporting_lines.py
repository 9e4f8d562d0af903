"""ORG-3: who manages whom is data with dates, and resolves by date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kluis.core.problems import KluisError
from kluis.organisations.models import ReportingLine, Role
from kluis.organisations.people import deputies_of, managers_of, managers_or_deputies_of
from tests.factories import make_organisation, make_person, make_reporting_line

D = dt.date


@pytest.mark.rule("ORG-3")
@pytest.mark.django_db
def test_manager_changes_over_time():
    org = make_organisation()
    officer = make_person(org, Role.OFFICER)
    old, new = make_person(org, Role.MANAGER), make_person(org, Role.MANAGER)
    deputy = make_person(org, Role.DEPUTY_MANAGER)
    make_reporting_line(org, officer, old, valid_from=D(2026, 1, 1), valid_until=D(2026, 6, 30))
    make_reporting_line(org, officer, new, valid_from=D(2026, 7, 1))
    make_reporting_line(org, officer, deputy, kind="deputy", valid_from=D(2026, 3, 1))

    assert managers_of(officer, org, on=D(2025, 12, 31)) == []
    assert managers_of(officer, org, on=D(2026, 6, 30)) == [old]
    assert managers_of(officer, org, on=D(2026, 7, 1)) == [new]
    assert deputies_of(officer, org, on=D(2026, 2, 28)) == []
    assert deputies_of(officer, org, on=D(2026, 11, 29)) == [deputy]
    assert managers_or_deputies_of(officer, org, on=D(2026, 11, 29)) == [new, deputy]


@pytest.mark.rule("ORG-3")
@pytest.mark.django_db
def test_reporting_line_refuses_outsiders_and_bad_dates():
    org, other = make_organisation(), make_organisation()
    officer = make_person(org, Role.OFFICER)
    stranger = make_person(other, Role.MANAGER)
    with pytest.raises(KluisError, match="has no role in"):
        make_reporting_line(org, officer, stranger)
    manager = make_person(org, Role.MANAGER)
    with pytest.raises(Exception, match="end date|einddatum"):
        make_reporting_line(
            org, officer, manager, valid_from=D(2026, 5, 1), valid_until=D(2026, 4, 1)
        )
    assert ReportingLine.objects.count() == 0


intervals = st.lists(
    st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 30))), min_size=1, max_size=4
)


@pytest.mark.rule("ORG-3")
@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=intervals, probe=st.integers(-5, 100))
def test_resolution_by_date_matches_the_intervals(lines, probe):
    """Property: a manager is returned on a day exactly when one of their lines covers it."""
    from django.db import transaction

    base = D(2026, 1, 1)
    with transaction.atomic():
        sid = transaction.savepoint()
        org = make_organisation()
        officer = make_person(org, Role.OFFICER)
        expected = []
        for start, length in lines:
            manager = make_person(org, Role.MANAGER)
            until = None if length is None else base + dt.timedelta(days=start + length)
            make_reporting_line(
                org, officer, manager, valid_from=base + dt.timedelta(days=start), valid_until=until
            )
            day = base + dt.timedelta(days=probe)
            if base + dt.timedelta(days=start) <= day and (until is None or day <= until):
                expected.append(manager)
        got = managers_of(officer, org, on=base + dt.timedelta(days=probe))
        assert {u.pk for u in got} == {u.pk for u in expected}
        transaction.savepoint_rollback(sid)
