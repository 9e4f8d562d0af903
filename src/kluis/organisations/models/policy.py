"""The policy: every setting in which organisations differ (policy is data)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
