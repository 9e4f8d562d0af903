"""Every change to organisations, people and policy goes through here (STYLE.md: actions).

Each action checks permission, changes state and appends its audit entry in one transaction.
`actor=None` means the system itself (setup commands); such changes are audited as "system".
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from kluis.core.clock import today
from kluis.core.problems import KluisError
from kluis.custody.log import record

from .models import (
    Membership,
    Municipality,
    Organisation,
    Policy,
    ReportingLine,
    Role,
    Team,
    User,
)
from .permissions import require_unless_system
from .presets import PRESETS


def load_presets() -> list[Policy]:
    """Create or refresh the five shipped presets (idempotent)."""
    policies = []
    with transaction.atomic():
        for key, values in PRESETS.items():
            policy, _created = Policy.objects.update_or_create(preset_key=key, defaults=values)
            policies.append(policy)
    return policies


def preset(key: str) -> Policy:
    try:
        return Policy.objects.get(preset_key=key)
    except Policy.DoesNotExist:
        if key not in PRESETS:
            raise KluisError(
                f"Unknown policy preset {key!r}; choose one of: {', '.join(sorted(PRESETS))}.",
                code="unknown-preset",
            )
        load_presets()
        return Policy.objects.get(preset_key=key)


@transaction.atomic
def create_organisation(*, name: str, slug: str, preset_key: str, actor=None) -> Organisation:
    """A new tenant whose policy starts as a copy of a preset."""
    if actor is not None and not actor.is_superuser:
        raise KluisError("Only the installation's operator creates organisations.", status=403)
    source = preset(preset_key)
    policy = Policy.objects.create(
        name=f"{name} ({source.name})", source=f"preset {preset_key}", **source.settings_dict()
    )
    org = Organisation.objects.create(name=name, slug=slug, policy=policy)
    record(
        organisation=org,
        actor=actor,
        action="organisation.created",
        obj=org,
        details={"preset": preset_key, "policy": policy.settings_dict()},
    )
    return org


@transaction.atomic
def apply_preset(organisation: Organisation, preset_key: str, *, actor=None) -> Policy:
    """Replace every setting of the organisation's policy by a preset's values."""
    require_unless_system(actor, "organisations.manage", organisation)
    return update_policy(
        organisation,
        actor=actor,
        reason=f"preset {preset_key}",
        **preset(preset_key).settings_dict(),
    )


@transaction.atomic
def update_policy(
    organisation: Organisation, *, actor=None, reason: str = "", confirm_due=None, **changes
) -> Policy:
    """Change policy settings, validated, with the old and new values in the audit trail.

    A shorter retention period that makes recordings due at once is refused with their number
    unless `confirm_due` repeats it (the brake, kluis.retention.terms.retention_changed).
    """
    require_unless_system(actor, "organisations.manage", organisation)
    policy = Policy.objects.select_for_update().get(pk=organisation.policy_id)
    unknown = set(changes) - set(Policy.SETTING_FIELDS)
    if unknown:
        raise KluisError(f"Unknown policy settings: {', '.join(sorted(unknown))}.")
    before = policy.settings_dict()
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.full_clean(exclude=["preset_key"])
    policy.save()
    diff = {k: [before[k], v] for k, v in policy.settings_dict().items() if before[k] != v}
    if "retention_days" in diff:
        from kluis.retention.terms import retention_changed

        retention_changed(
            organisation, *diff["retention_days"], confirm_due=confirm_due, actor=actor
        )
    record(
        organisation=organisation,
        actor=actor,
        action="policy.changed",
        obj=policy,
        details={"changes": diff, "reason": reason},
    )
    organisation.policy = policy
    return policy


@transaction.atomic
def add_municipality(organisation, *, name: str, code: str, actor=None) -> Municipality:
    require_unless_system(actor, "organisations.manage", organisation)
    m = Municipality(organisation=organisation, name=name, code=code)
    m.full_clean()
    m.save()
    record(
        organisation=organisation,
        actor=actor,
        action="municipality.added",
        obj=m,
        details={"name": name, "code": code},
    )
    return m


@transaction.atomic
def add_team(organisation, *, name: str, municipality=None, actor=None) -> Team:
    require_unless_system(actor, "organisations.manage", organisation)
    team = Team(organisation=organisation, name=name, municipality=municipality)
    team.full_clean()
    team.save()
    record(
        organisation=organisation,
        actor=actor,
        action="team.added",
        obj=team,
        details={"name": name},
    )
    return team


@transaction.atomic
def grant_role(
    organisation,
    user: User,
    role: str,
    *,
    team=None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor=None,
) -> Membership:
    """Give a person a role in an organisation for a period (ORG-4)."""
    require_unless_system(actor, "organisations.manage", organisation)
    m = Membership(
        organisation=organisation,
        user=user,
        role=role,
        team=team,
        valid_from=valid_from or today(),
        valid_until=valid_until,
    )
    m.full_clean()
    m.save()
    if role == Role.FUNCTIONAL_ADMIN and not user.is_staff:
        # Django's admin only lets staff log in; what they see there stays scoped (admin.py).
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    record(
        organisation=organisation,
        actor=actor,
        action="role.granted",
        obj=m,
        details={
            "user": str(user.pk),
            "role": role,
            "valid_from": str(m.valid_from),
            "valid_until": str(valid_until) if valid_until else None,
        },
    )
    return m


@transaction.atomic
def end_role(membership: Membership, *, on: dt.date | None = None, actor=None) -> Membership:
    require_unless_system(actor, "organisations.manage", membership.organisation)
    membership.valid_until = on or today()
    membership.full_clean()
    membership.save(update_fields=["valid_until"])
    record(
        organisation=membership.organisation,
        actor=actor,
        action="role.ended",
        obj=membership,
        details={"valid_until": str(membership.valid_until)},
    )
    return membership


@transaction.atomic
def assign_manager(
    organisation,
    *,
    officer: User,
    manager: User,
    kind=ReportingLine.Kind.MANAGER,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor=None,
) -> ReportingLine:
    """Record who manages (or deputises for the manager of) an officer from a date (ORG-3)."""
    require_unless_system(actor, "organisations.manage", organisation)
    for person in (officer, manager):
        if not Membership.objects.filter(organisation=organisation, user=person).exists():
            raise KluisError(f"{person} has no role in {organisation}.", code="not-a-member")
    line = ReportingLine(
        organisation=organisation,
        officer=officer,
        manager=manager,
        kind=kind,
        valid_from=valid_from or today(),
        valid_until=valid_until,
    )
    line.full_clean()
    line.save()
    record(
        organisation=organisation,
        actor=actor,
        action="reporting_line.added",
        obj=line,
        details={
            "officer": str(officer.pk),
            "manager": str(manager.pk),
            "kind": kind,
            "valid_from": str(line.valid_from),
        },
    )
    return line
