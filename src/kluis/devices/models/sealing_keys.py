"""The organisation's X25519 key, to which cameras seal their footage."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKey(models.Model):
    """The organisation's X25519 key pair: cameras seal every recording's data key to it.

    The private half is in the server key store under `keystore_name`, never in the database.
    """

    organisation = models.OneToOneField(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="sealing_key",
        verbose_name=_("organisation"),
    )
    public_key = models.BinaryField(_("public key (X25519)"))
    keystore_name = models.CharField(_("key store entry"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("organisation sealing key")
        verbose_name_plural = _("organisation sealing keys")

    def __str__(self):
        return f"{self.organisation} X25519"
