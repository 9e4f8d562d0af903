"""The hash chains of audit entries, one per organisation and one for the installation."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..standalone_verify import INSTALLATION_CHAIN


def chain_key(organisation) -> str:
    """The chain an organisation's entries go to: its id, or the installation chain."""
    if organisation is None:
        return INSTALLATION_CHAIN
    pk = organisation.pk if hasattr(organisation, "pk") else organisation
    return str(pk)


class ChainHead(models.Model):
    """The last entry of one chain. Writers lock this row, which gives each chain one order."""

    chain = models.CharField(_("chain"), max_length=40, primary_key=True)
    sequence = models.PositiveBigIntegerField(_("sequence"), default=0)
    entry_hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("chain head")
        verbose_name_plural = _("chain heads")

    def __str__(self):
        return f"{self.chain} #{self.sequence}"


class AuditEntry(models.Model):
    """Who did what, when, to which object and why; linked by hash to the entry before it."""

    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(_("chain"), max_length=40, editable=False)
    sequence = models.PositiveBigIntegerField(_("sequence"), editable=False)
    at = models.DateTimeField(_("time"), editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=200)
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    purpose = models.CharField(_("purpose"), max_length=80, blank=True)
    # Stored as the exact canonical JSON that is hashed, not as a JSON column: PostgreSQL's jsonb
    # reorders keys and rewrites numbers, which would change the bytes the hash was made over.
    details_json = models.TextField(_("details"), default="{}")
    # Derived from the object or details["recording_id"], so a recording's custody report finds
    # its entries by index; verification checks that it matches what the hash covers.
    recording_id = models.CharField(_("recording"), max_length=100, blank=True, db_index=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["chain", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "sequence"], name="audit_entry_chain_seq")
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_entry_object")]

    def __str__(self):
        return f"#{self.sequence} {self.action}"

    @property
    def details(self) -> dict:
        return json.loads(self.details_json)
