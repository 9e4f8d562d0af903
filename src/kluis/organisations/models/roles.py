"""Roles, memberships, reporting lines and the requests that grant them (ORG-3, ORG-4).

A role or reporting line that reaches footage takes effect only when a second person
confirms its `RoleRequest` (ACC-1).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kluis.core.clock import today

from .tenants import Organisation, Team
from .users import User


class Role(models.TextChoices):
    """ORG-4. Administrators and the supplier manage the system and never see footage."""

    OFFICER = "officer", _("officer (toezichthouder/boa)")
    MANAGER = "manager", _("manager (leidinggevende)")
    DEPUTY_MANAGER = "deputy_manager", _("deputy manager (plaatsvervanger)")
    INVITED_STAFF = "invited_staff", _("invited staff member")
    PRIVACY_OFFICER = "privacy_officer", _("privacy officer")
    COMPLAINT_COORDINATOR = "complaint_coordinator", _("complaint coordinator")
    CONTROL_ROOM = "control_room", _("control-room team coordinator")
    FUNCTIONAL_ADMIN = "functional_admin", _("functional administrator")
    SUPPLIER = "supplier", _("supplier/operator")


#: Roles that manage the system but may never see or hear footage (ORG-4).
NO_FOOTAGE_ROLES = frozenset({Role.FUNCTIONAL_ADMIN, Role.SUPPLIER})

#: Every other role can see footage: one person never grants it alone (ORG-4, ACC-1).
FOOTAGE_ROLES = frozenset(Role) - NO_FOOTAGE_ROLES


class MembershipQuerySet(models.QuerySet):
    def active(self, on: dt.date | None = None):
        day = on or today()
        return self.filter(valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class Membership(models.Model):
    """A person's role in one organisation, for a period. One person may hold several."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("team"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation", "user", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="membership_dates_ordered",
                violation_error_message=_("The end date lies before the start date."),
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    def clean(self):
        if self.team_id and self.team.organisation_id != self.organisation_id:
            raise ValidationError(_("The team belongs to another organisation."))


class ReportingLineQuerySet(models.QuerySet):
    def on(self, day: dt.date):
        return self.filter(valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class ReportingLine(models.Model):
    """Who manages whom, with dates (ORG-3): a manager, or that manager's deputy."""

    class Kind(models.TextChoices):
        MANAGER = "manager", _("direct manager")
        DEPUTY = "deputy", _("deputy")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="reporting_lines",
        verbose_name=_("organisation"),
    )
    officer = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="managed_by", verbose_name=_("officer")
    )
    manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="manages", verbose_name=_("manager")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MANAGER)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = ReportingLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("reporting line")
        verbose_name_plural = _("reporting lines")
        ordering = ["officer", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="reporting_line_dates_ordered",
                violation_error_message=_("The end date lies before the start date."),
            ),
            models.CheckConstraint(
                condition=~Q(officer=models.F("manager")),
                name="reporting_line_not_self",
                violation_error_message=_("Nobody manages themselves."),
            ),
        ]

    def __str__(self):
        return f"{self.manager} → {self.officer} ({self.get_kind_display()})"


class RoleRequest(models.Model):
    """A footage role or a reporting line that an administrator asked for (ORG-4, ACC-1).

    Nobody reaches footage on one person's word: the grant takes effect only when a second,
    authorised person confirms it (`actions.confirm_request`; who may is `rules.py`'s
    "organisations.confirm_request"). The request stays as the record of who asked and who agreed.
    """

    class Kind(models.TextChoices):
        MEMBERSHIP = "membership", _("role")
        REPORTING_LINE = "reporting_line", _("reporting line")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REFUSED = "refused", _("refused")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="role_requests",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="role_requests",
        verbose_name=_("person"),
        help_text=_("The person who gets the role; for a reporting line, the officer."),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("team")
    )
    manager = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("manager"),
    )
    line_kind = models.CharField(
        _("reporting line kind"), max_length=10, choices=ReportingLine.Kind.choices, blank=True
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reporting_line = models.ForeignKey(
        ReportingLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("role request")
        verbose_name_plural = _("role requests")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(requested_by=models.F("user")),
                name="role_request_not_for_self",
                violation_error_message=_("Nobody requests a role for themselves."),
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="role_request_second_person",
                violation_error_message=_("The person who asked does not confirm."),
            ),
        ]

    def __str__(self):
        if self.kind == self.Kind.REPORTING_LINE:
            return f"{self.manager} → {self.user} ({self.get_line_kind_display()})"
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    @property
    def subjects(self) -> set:
        """Everyone whose access this request changes: none of them may confirm it."""
        return {self.user_id} | ({self.manager_id} if self.manager_id else set())
