"""The purge's own bookkeeping: its runs and each recording's deletion steps (RET-4)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Deletion(models.Model):
    """The purge's progress on one recording: each step is persisted before the next starts.

    `started` is the point of no return: it is written under a lock on the recording, after
    checking there is no active hold, and a hold cannot be placed on a recording that has one.
    The recording counts as deleted (and its certificate exists) only in `deleted`, after the
    key and the object were found gone, so the database never says "gone" while footage is
    readable.
    """

    class State(models.TextChoices):
        STARTED = "started", _("deletion started")
        KEY_DESTROYED = "key_destroyed", _("key destroyed")
        OBJECT_DELETED = "object_deleted", _("object deleted")
        DELETED = "deleted", _("deleted and verified")

    recording = models.OneToOneField(
        "recordings.Recording",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="deletion",
        verbose_name=_("recording"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    grounds = models.CharField(_("grounds"), max_length=20)
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64, blank=True)
    run = models.ForeignKey(
        "retention.PurgeRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deletions",
        verbose_name=_("purge run"),
    )
    started_at = models.DateTimeField(_("started at"))
    key_destroyed_at = models.DateTimeField(_("key destroyed at"), null=True, blank=True)
    object_deleted_at = models.DateTimeField(_("object deleted at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, db_index=True)
    certificate = models.JSONField(_("deletion certificate"), null=True, blank=True)

    class Meta:
        verbose_name = _("deletion")
        verbose_name_plural = _("deletions")
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self):
        return f"{self.recording_id} {self.state}"


class PurgeRun(models.Model):
    """One run of `kluis purge`: what it found, what it did and where the brake stopped it."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RUNNING
    )
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    resumed = models.PositiveIntegerField(_("interrupted deletions finished"), default=0)
    braked = models.JSONField(_("organisations stopped by the brake"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.state}"
