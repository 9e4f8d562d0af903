"""What the staff login keeps besides django-otp's devices and django-axes' attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivationCode(models.Model):
    """A one-time code an administrator gives a person for their first login (or after an
    authenticator reset): with the password it lets them set up an authenticator, once.

    Only the SHA-256 of the code is kept; the code has 60 random bits, so a hash without salt
    is enough and lets the login look it up. Issuing a new code ends the person's older ones.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activation_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")

    def __str__(self) -> str:
        return f"activation code of {self.user} ({self.issued_at:%Y-%m-%d})"
