"""Signed checkpoints over a chain's head (AUD-2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..standalone_verify import Checkpoint as CheckpointData


class Checkpoint(models.Model):
    """The server's Ed25519 signature over one chain's head at one moment (AUD-2).

    A checkpoint pins every entry up to its sequence: rewriting any of them, even with all hashes
    recomputed, no longer matches the signature, and the key is not in the database.
    """

    chain = models.CharField(_("chain"), max_length=40, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    sequence = models.PositiveBigIntegerField(_("sequence"))
    entry_hash = models.CharField(_("hash"), max_length=64)
    at = models.CharField(_("signed at"), max_length=32)
    key_id = models.CharField(_("key id"), max_length=16)
    signature = models.CharField(_("signature"), max_length=100)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["chain", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "sequence"], name="audit_checkpoint_seq")
        ]

    def __str__(self):
        return f"{self.chain} #{self.sequence}"

    def as_data(self):
        """The checkpoint as the verifier sees it (standalone_verify.Checkpoint)."""
        return CheckpointData(
            chain=self.chain,
            sequence=self.sequence,
            entry_hash=self.entry_hash,
            at=self.at,
            key_id=self.key_id,
            signature=self.signature,
        )
