"""People: onboarding, their details and password resets."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.permissions import require
from kluis.core.problems import KluisError, NotAllowed
from kluis.custody.events import AuditEvent
from kluis.custody.log import record

from ..models import Membership, Role, User
from .checks import require_manage

PERSON_FIELDS = ("first_name", "last_name", "email", "is_active")


@transaction.atomic
def create_person(
    organisation, *, username: str, actor, password: str | None = None, **fields
) -> User:
    """A new person onboarded in `organisation`: visible to its administrators from now on,
    with no role until one is granted or confirmed."""
    require_manage(actor, organisation)
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
