"""Where an organisation's footage may be stored, and the processing agreements that
allow an external store (STO-1, STO-2).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ProcessingAgreement(models.Model):
    """A signed processing agreement (verwerkersovereenkomst) with a storage provider (STO-2)."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="processing_agreements",
        verbose_name=_("organisation"),
    )
    processor = models.CharField(_("processor"), max_length=200)
    reference = models.CharField(_("document reference"), max_length=200)
    signed_on = models.DateField(_("signed on"))
    security_terms_signed = models.BooleanField(_("security terms signed"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("processing agreement")
        verbose_name_plural = _("processing agreements")

    def __str__(self):
        return f"{self.processor} ({self.signed_on})"


class StorageLocation(models.Model):
    """Where an organisation's new recordings go; without one, the installation's default store.

    An external location (a contracted environment) needs a signed processing agreement and
    security terms (STO-2): the constraint holds even against code that skips the action.
    """

    organisation = models.OneToOneField(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="storage_location",
        verbose_name=_("organisation"),
    )
    url = models.CharField(_("storage URL"), max_length=500)
    external = models.BooleanField(_("external environment"))
    agreement = models.ForeignKey(
        ProcessingAgreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processing agreement"),
    )
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enabled by"),
    )
    enabled_at = models.DateTimeField(_("enabled at"))

    class Meta:
        verbose_name = _("storage location")
        verbose_name_plural = _("storage locations")
        constraints = [
            models.CheckConstraint(
                condition=Q(external=False) | Q(agreement__isnull=False),
                name="external_storage_needs_agreement",
            )
        ]

    def __str__(self):
        return self.url
