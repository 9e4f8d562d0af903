"""Organisations (tenants), the municipalities they serve and their teams (ORG-1, ORG-2)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .policy import Policy


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
