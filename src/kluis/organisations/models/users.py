"""A staff member's login (`AUTH_USER_MODEL`); what they may do lives in `roles.py`."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
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
