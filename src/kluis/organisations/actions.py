"""Every change to organisations, people and policy goes through here (STYLE.md: actions).

Each action checks permission, changes state and appends its audit entry in one transaction.
`actor=None` means the system itself (setup commands); such changes are audited as "system".
"""

from __future__ import annotations

import datetime as dt

from django.core.mail import send_mail
from django.db import transaction
from django.utils.timezone import now
from django.utils.translation import gettext as _

from kluis.core.clock import today
from kluis.core.problems import KluisError, NotAllowed
from kluis.custody.events import AuditEvent
from kluis.custody.log import record

from .models import (
    FOOTAGE_ROLES,
    NO_FOOTAGE_ROLES,
    Membership,
    Municipality,
    Organisation,
    Policy,
    ReportingLine,
    Role,
    RoleRequest,
    Team,
    User,
)
from .permissions import require, require_unless_system
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
    """Replace every setting of the organisation's policy by a preset's values, and name the
    policy after the preset so nobody reads the old preset's name over the new settings."""
    _require_manage(actor, organisation)
    source = preset(preset_key)
    policy = update_policy(
        organisation, actor=actor, reason=f"preset {preset_key}", **source.settings_dict()
    )
    policy.name = f"{organisation.name} ({source.name})"[:120]
    policy.source = f"preset {preset_key}"
    policy.save(update_fields=["name", "source"])
    record(
        organisation=organisation,
        actor=actor,
        action=AuditEvent.POLICY_PRESET_APPLIED,
        obj=policy,
        details={"preset": preset_key, "name": policy.name},
    )
    return policy


def _require_manage(actor, organisation) -> None:
    """The organisation's functional administrators, the installation's operator (superuser,
    who also creates organisations) and the system change its set-up."""
    if actor is not None and not actor.is_superuser:
        require(actor, "organisations.manage", organisation)


@transaction.atomic
def update_policy(
    organisation: Organisation, *, actor=None, reason: str = "", confirm_due=None, **changes
) -> Policy:
    """Change policy settings, validated, with the old and new values in the audit trail.

    A shorter retention period that makes recordings due at once is refused with their number
    unless `confirm_due` repeats it (the brake, kluis.retention.terms.retention_changed).
    """
    _require_manage(actor, organisation)
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
    """Give a person a role in an organisation for a period (ORG-4).

    The system (`actor=None`: setup, demo, presets) grants any role directly. A person grants
    directly only a role that cannot see footage, and never to themselves; a footage role goes
    through `request_role` and a second person's `confirm_request` (ACC-1).
    """
    require_unless_system(actor, "organisations.manage", organisation)
    if actor is not None:
        if actor.pk == user.pk:
            raise NotAllowed(_("Nobody grants a role to themselves."), code="own-role")
        if role in FOOTAGE_ROLES:
            raise NotAllowed(
                _("A role that can see footage is requested and confirmed by a second person."),
                code="needs-confirmation",
            )
    check_separation(organisation, user, role)
    return _grant(
        organisation,
        user,
        role,
        team=team,
        valid_from=valid_from,
        valid_until=valid_until,
        actor=actor,
    )


def _grant(organisation, user, role, *, team, valid_from, valid_until, actor) -> Membership:
    """The effect of a grant, once it is allowed: the membership and its audit entry."""
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
    """Record who manages (or deputises for the manager of) an officer from a date (ORG-3).

    Only the system assigns directly; a person requests a line (`request_reporting_line`) and a
    second person confirms it, because a reporting line opens the officer's footage (ACC-1).
    """
    if actor is not None:
        raise NotAllowed(
            _("A reporting line is requested and confirmed by a second person."),
            code="needs-confirmation",
        )
    return _assign(
        organisation,
        officer=officer,
        manager=manager,
        kind=kind,
        valid_from=valid_from,
        valid_until=valid_until,
        actor=actor,
    )


def _assign(organisation, *, officer, manager, kind, valid_from, valid_until, actor):
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


# --- Separation of duties: a footage role or reporting line needs a second person ------------


def check_separation(organisation, user: User, role: str, on: dt.date | None = None) -> None:
    """An administrator or supplier never also holds a footage role in the same organisation
    (ORG-4): whoever sets the system up must not be able to watch what it holds."""
    held = set(
        Membership.objects.active(on)
        .filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
    )
    if role in FOOTAGE_ROLES and held & NO_FOOTAGE_ROLES:
        raise NotAllowed(
            _("%(person)s administers or supplies this organisation and gets no footage role.")
            % {"person": user},
            code="separation-of-duties",
        )
    if role in NO_FOOTAGE_ROLES and held & FOOTAGE_ROLES:
        raise NotAllowed(
            _("%(person)s holds a footage role here and cannot also administer or supply it.")
            % {"person": user},
            code="separation-of-duties",
        )


def _not_for_self(actor, request: RoleRequest, what: str) -> None:
    if actor is not None and actor.pk in request.subjects:
        raise NotAllowed(
            _("Nobody %(what)s a role or reporting line for themselves.") % {"what": what},
            code="own-role",
        )


@transaction.atomic
def request_role(
    organisation,
    user: User,
    role: str,
    *,
    team=None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor,
) -> RoleRequest:
    """An administrator asks for a footage role for someone; it waits for a second person."""
    require(actor, "organisations.manage", organisation)
    if role not in Role.values:
        raise KluisError(_("Unknown role."), code="unknown-role")
    req = RoleRequest(
        organisation=organisation,
        kind=RoleRequest.Kind.MEMBERSHIP,
        user=user,
        role=role,
        team=team,
        valid_from=valid_from or today(),
        valid_until=valid_until,
        requested_by=actor,
    )
    _not_for_self(actor, req, _("requests"))
    check_separation(organisation, user, role)
    req.full_clean()
    if team is not None and team.organisation_id != organisation.pk:
        raise KluisError(_("The team belongs to another organisation."))
    req.save()
    record(
        organisation=organisation,
        actor=actor,
        action=AuditEvent.ROLE_REQUESTED,
        obj=req,
        details={
            "user": str(user.pk),
            "role": role,
            "team": team.pk if team else None,
            "valid_from": str(req.valid_from),
            "valid_until": str(valid_until) if valid_until else None,
        },
    )
    return req


@transaction.atomic
def request_reporting_line(
    organisation,
    *,
    officer: User,
    manager: User,
    kind=ReportingLine.Kind.MANAGER,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor,
) -> RoleRequest:
    """An administrator asks for a reporting line; it waits for the privacy officer."""
    require(actor, "organisations.manage", organisation)
    for person in (officer, manager):
        if not Membership.objects.filter(organisation=organisation, user=person).exists():
            raise KluisError(f"{person} has no role in {organisation}.", code="not-a-member")
    if officer.pk == manager.pk:
        raise KluisError(_("Nobody manages themselves."), code="own-line")
    req = RoleRequest(
        organisation=organisation,
        kind=RoleRequest.Kind.REPORTING_LINE,
        user=officer,
        manager=manager,
        line_kind=kind,
        valid_from=valid_from or today(),
        valid_until=valid_until,
        requested_by=actor,
    )
    _not_for_self(actor, req, _("requests"))
    req.full_clean()
    req.save()
    record(
        organisation=organisation,
        actor=actor,
        action=AuditEvent.REPORTING_LINE_REQUESTED,
        obj=req,
        details={
            "officer": str(officer.pk),
            "manager": str(manager.pk),
            "kind": kind,
            "valid_from": str(req.valid_from),
        },
    )
    return req


def _pending(request: RoleRequest) -> RoleRequest:
    locked = RoleRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != RoleRequest.State.PENDING:
        raise KluisError(_("This request has already been decided."), code="decided", status=409)
    return locked


@transaction.atomic
def confirm_request(request: RoleRequest, *, actor) -> RoleRequest:
    """A second, authorised person confirms: only now the role or line takes effect."""
    req = _pending(request)
    _not_for_self(actor, req, _("confirms"))
    if actor.pk == req.requested_by_id:
        raise NotAllowed(_("The person who asked does not confirm."), code="same-person")
    require(actor, "organisations.confirm_request", req)
    if req.kind == RoleRequest.Kind.MEMBERSHIP:
        check_separation(req.organisation, req.user, req.role)
        req.membership = _grant(
            req.organisation,
            req.user,
            req.role,
            team=req.team,
            valid_from=req.valid_from,
            valid_until=req.valid_until,
            actor=actor,
        )
    else:
        req.reporting_line = _assign(
            req.organisation,
            officer=req.user,
            manager=req.manager,
            kind=req.line_kind,
            valid_from=req.valid_from,
            valid_until=req.valid_until,
            actor=actor,
        )
    req.state = RoleRequest.State.CONFIRMED
    req.decided_by = actor
    req.decided_at = now()
    req.full_clean()
    req.save()
    record(
        organisation=req.organisation,
        actor=actor,
        action=AuditEvent.ROLE_REQUEST_CONFIRMED,
        obj=req,
        details={"requested_by": str(req.requested_by_id), "kind": req.kind},
    )
    return req


@transaction.atomic
def refuse_request(request: RoleRequest, *, actor, reason: str = "") -> RoleRequest:
    """A person who could confirm refuses; nothing takes effect."""
    req = _pending(request)
    require(actor, "organisations.confirm_request", req)
    req.state = RoleRequest.State.REFUSED
    req.decided_by = actor
    req.decided_at = now()
    req.reason = reason[:500]
    req.full_clean()
    req.save()
    record(
        organisation=req.organisation,
        actor=actor,
        action=AuditEvent.ROLE_REQUEST_REFUSED,
        obj=req,
        details={"requested_by": str(req.requested_by_id), "reason": req.reason},
    )
    return req


# --- People --------------------------------------------------------------------------------


PERSON_FIELDS = ("first_name", "last_name", "email", "is_active")


@transaction.atomic
def create_person(
    organisation, *, username: str, actor, password: str | None = None, **fields
) -> User:
    """A new person onboarded in `organisation`: visible to its administrators from now on,
    with no role until one is granted or confirmed."""
    _require_manage(actor, organisation)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise KluisError(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    user = User(username=username, onboarded_in=organisation, **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    record(
        organisation=organisation,
        actor=actor,
        action=AuditEvent.PERSON_CREATED,
        obj=user,
        details={"username": username, **{k: fields[k] for k in sorted(fields)}},
    )
    return user


def person_organisation(person: User, actor=None):
    """The organisation whose trail records changes to `person`: where they were onboarded,
    else one where the actor administers them."""
    if person.onboarded_in_id:
        return person.onboarded_in
    qs = Membership.objects.filter(user=person)
    if actor is not None and not actor.is_superuser:
        qs = qs.filter(
            organisation__memberships__user=actor,
            organisation__memberships__role=Role.FUNCTIONAL_ADMIN,
        )
    first = qs.select_related("organisation").first()
    return first.organisation if first else None


@transaction.atomic
def update_person(person: User, *, actor, **changes) -> User:
    """Change a person's name, e-mail or active flag; old and new values in the trail."""
    organisation = person_organisation(person, actor)
    if actor is not None and not actor.is_superuser:
        if organisation is None:
            raise NotAllowed(_("This person is not in your organisation."))
        require(actor, "organisations.manage", organisation)
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise KluisError(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    diff = {k: [getattr(person, k), v] for k, v in changes.items() if getattr(person, k) != v}
    for name, value in changes.items():
        setattr(person, name, value)
    person.full_clean(exclude=["password"])
    person.save()
    record(
        organisation=organisation,
        actor=actor,
        action=(
            AuditEvent.PERSON_DEACTIVATED
            if diff.get("is_active") == [True, False]
            else AuditEvent.PERSON_CHANGED
        ),
        obj=person,
        details={"changes": diff},
    )
    return person


@transaction.atomic
def reset_password(person: User, new_password: str, *, actor) -> User:
    """An administrator sets a colleague's password: audited, and the person is told by e-mail
    so a reset they did not ask for does not go unnoticed."""
    organisation = person_organisation(person, actor)
    if actor is not None and not actor.is_superuser:
        if organisation is None:
            raise NotAllowed(_("This person is not in your organisation."))
        require(actor, "organisations.manage", organisation)
    if actor is not None and actor.pk == person.pk:
        raise NotAllowed(_("Change your own password on your account page."), code="own-password")
    person.set_password(new_password)
    person.save(update_fields=["password"])
    record(
        organisation=organisation,
        actor=actor,
        action=AuditEvent.PASSWORD_RESET,
        obj=person,
        details={"person": person.get_username()},
    )
    if person.email:
        subject = _("Your Kluis password was reset")
        body = _(
            "%(actor)s set a new password for your Kluis account %(username)s. If you did not "
            "expect this, tell your privacy officer."
        ) % {"actor": actor or "Kluis", "username": person.get_username()}
        transaction.on_commit(
            lambda: send_mail(subject, body, None, [person.email], fail_silently=True)
        )
    return person
