"""The organisation's sealing key pair, created on first use."""

from __future__ import annotations

import secrets

from django.db import transaction

from kluis.core.clock import now
from kluis.custody.log import record
from kluis.organisations.models import Organisation
from kluis.sealed.keys import generate_organisation_keypair

from ..keystore import get_keystore
from ..models import OrganisationKey


def ensure_organisation_key(organisation: Organisation) -> OrganisationKey:
    """The organisation's sealing key pair, created on first use (the system does this)."""
    existing = OrganisationKey.objects.filter(organisation=organisation).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        # Lock the organisation row so two first enrolments create one key, not two.
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        existing = OrganisationKey.objects.filter(organisation=organisation).first()
        if existing is not None:
            return existing
        pair = generate_organisation_keypair()
        name = f"org/{organisation.pk}/x25519-{secrets.token_hex(4)}"
        get_keystore().put(name, pair.private_key)
        key = OrganisationKey.objects.create(
            organisation=organisation,
            public_key=pair.public_key,
            keystore_name=name,
            created_at=now(),
        )
        record(
            organisation=organisation,
            actor=None,
            action="organisation_key.created",
            obj=key,
            details={"public_key": pair.public_key.hex(), "keystore": name},
        )
        return key
