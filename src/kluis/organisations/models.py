"""Organisations (tenants), their municipalities, teams, people, roles and policy.

ORG-1: everything that belongs to an organisation carries a foreign key to it, and every query a
person makes goes through `scoped()` (permissions.py), so nothing crosses tenants.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff member's login. What they may do comes from their memberships, not from flags."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Who onboarded this person, so the administrators there see them before any role is
    # confirmed (a person without a membership would be invisible to every scoped list).
    onboarded_in = models.ForeignKey(
        "Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("onboarded in"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username


class Policy(models.Model):
    """Every setting in which the seed municipalities differ (RULES.md, policy presets).

    A preset is a Policy without organisation; an organisation's own policy starts as a copy.
    """

    class RequestWindow(models.TextChoices):
        NONE_STATED = "none_stated", _("none stated (within retention)")
        DAYS = "days", _("a number of days after the recording")
        WITHIN_RETENTION = "within_retention", _("within the retention period")

    class InvitationChannel(models.TextChoices):
        NOT_STATED = "not_stated", _("not stated")
        PHONE = "phone", _("by phone")
        LETTER_OR_EMAIL = "letter_or_email", _("by letter or e-mail")

    class CopyRule(models.TextChoices):
        NONE = "none", _("no copy")
        USB_STICK = "usb_stick", _("copy on a municipal USB stick, handed over in person")

    class ErasureRequests(models.TextChoices):
        GDPR_DEFAULT = "gdpr_default", _("GDPR default")
        OFFERED = "offered", _("offered explicitly")

    class LearningPurpose(models.TextChoices):
        NOT_ALLOWED = "not_allowed", _("not allowed")
        ALLOWED = "allowed", _("allowed")
        OWN_CONDUCT = "own_conduct", _("allowed, about the officer's own conduct")
        OFFICER_INITIATIVE = "officer_initiative", _("allowed, on the officer's initiative")

    class ReporterDisclosure(models.TextChoices):
        NOT_STATED = "not_stated", _("not stated")
        REFUSED = "refused", _("no footage; the police can demand it")

    preset_key = models.SlugField(
        _("preset key"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Set on the shipped presets only."),
    )
    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(_("source"), max_length=200, blank=True)
    retention_days = models.PositiveSmallIntegerField(
        _("retention days"), validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    pre_record_seconds = models.PositiveSmallIntegerField(
        _("pre-record seconds"), validators=[MinValueValidator(0), MaxValueValidator(600)]
    )
    pre_record_stated = models.BooleanField(
        _("pre-record length stated by the source"), default=False
    )
    spoken_warnings = models.PositiveSmallIntegerField(
        _("spoken warnings before recording"), validators=[MaxValueValidator(10)]
    )
    warning_may_follow = models.BooleanField(
        _("warning may follow when there is no time"), default=False
    )
    recording_announced = models.BooleanField(_("recording announced beforehand"), default=False)
    request_window = models.CharField(
        _("citizen request window"), max_length=20, choices=RequestWindow.choices
    )
    request_window_days = models.PositiveSmallIntegerField(
        _("request window days"), null=True, blank=True
    )
    invitation_term_days = models.PositiveSmallIntegerField(
        _("invitation term (days)"), null=True, blank=True
    )
    invitation_channel = models.CharField(
        _("invitation channel"),
        max_length=20,
        choices=InvitationChannel.choices,
        default=InvitationChannel.NOT_STATED,
    )
    copy_rule = models.CharField(
        _("copy for the citizen"), max_length=20, choices=CopyRule.choices, default=CopyRule.NONE
    )
    copy_fee_cents = models.PositiveIntegerField(_("copy fee (cents)"), default=0)
    erasure_requests = models.CharField(
        _("erasure requests"),
        max_length=20,
        choices=ErasureRequests.choices,
        default=ErasureRequests.GDPR_DEFAULT,
    )
    delete_after_handling = models.BooleanField(
        _("delete after handling or viewing"), default=False
    )
    livestream_enabled = models.BooleanField(_("livestream on the emergency button"), default=False)
    learning_purpose = models.CharField(
        _("learning purpose"),
        max_length=20,
        choices=LearningPurpose.choices,
        default=LearningPurpose.NOT_ALLOWED,
    )
    reporter_disclosure = models.CharField(
        _("footage to a citizen who reported an employee"),
        max_length=20,
        choices=ReporterDisclosure.choices,
        default=ReporterDisclosure.NOT_STATED,
    )

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        constraints = [
            models.CheckConstraint(
                condition=~Q(request_window="days") | Q(request_window_days__isnull=False),
                name="policy_window_days_set",
            ),
            models.CheckConstraint(
                condition=Q(copy_rule="usb_stick") | Q(copy_fee_cents=0),
                name="policy_fee_only_with_copy",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_preset(self) -> bool:
        return bool(self.preset_key)

    def clean(self):
        if self.request_window == self.RequestWindow.DAYS and not self.request_window_days:
            raise ValidationError(
                {"request_window_days": _("Give the number of days of the request window.")}
            )
        if self.copy_rule == self.CopyRule.NONE and self.copy_fee_cents:
            raise ValidationError(
                {"copy_fee_cents": _("A fee needs a copy rule that allows a copy.")}
            )

    SETTING_FIELDS = (
        "retention_days",
        "pre_record_seconds",
        "pre_record_stated",
        "spoken_warnings",
        "warning_may_follow",
        "recording_announced",
        "request_window",
        "request_window_days",
        "invitation_term_days",
        "invitation_channel",
        "copy_rule",
        "copy_fee_cents",
        "erasure_requests",
        "delete_after_handling",
        "livestream_enabled",
        "learning_purpose",
        "reporter_disclosure",
    )

    def settings_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.SETTING_FIELDS}


class Organisation(models.Model):
    """A tenant: owns its policy, teams, people, cameras and footage (ORG-1)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    policy = models.OneToOneField(
        Policy, on_delete=models.PROTECT, related_name="organisation", verbose_name=_("policy")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Municipality(models.Model):
    """A municipality served by an organisation (H2O serves Hattem, Heerde and Oldebroek)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="municipalities",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("CBS municipality code"), max_length=6, unique=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Team(models.Model):
    """A team of officers with its camera pool (ORG-2: Alphen splits 28 cameras 26 + 2)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="teams", verbose_name=_("organisation")
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_unique_name")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.municipality_id and self.municipality.organisation_id != self.organisation_id:
            raise ValidationError(_("The municipality belongs to another organisation."))


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
        from kluis.core.clock import today

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
