"""Processing agreements and the storage location they allow (STO-1, STO-2)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from kluis.core.clock import now
from kluis.core.permissions import require_unless_system
from kluis.core.problems import KluisError
from kluis.custody.log import record

from ..models import ProcessingAgreement, StorageLocation
from ..storage import get_storage


@transaction.atomic
def record_processing_agreement(
    organisation,
    *,
    processor: str,
    reference: str,
    signed_on: dt.date,
    security_terms_signed: bool,
    actor=None,
) -> ProcessingAgreement:
    """Record that a processing agreement (and its security terms) is signed (STO-2)."""
    require_unless_system(actor, "devices.manage", organisation)
    agreement = ProcessingAgreement(
        organisation=organisation,
        processor=processor,
        reference=reference,
        signed_on=signed_on,
        security_terms_signed=security_terms_signed,
        recorded_by=actor,
        recorded_at=now(),
    )
    agreement.full_clean()
    agreement.save()
    record(
        organisation=organisation,
        actor=actor,
        action="processing_agreement.recorded",
        obj=agreement,
        details={
            "processor": processor,
            "reference": reference,
            "signed_on": str(signed_on),
            "security_terms_signed": security_terms_signed,
        },
    )
    return agreement


@transaction.atomic
def enable_storage_location(
    organisation, *, url: str, external: bool, agreement=None, actor=None
) -> StorageLocation:
    """Send the organisation's new recordings to `url`; external needs a signed agreement."""
    require_unless_system(actor, "devices.manage", organisation)
    if external and (
        agreement is None
        or agreement.organisation_id != organisation.pk
        or not agreement.security_terms_signed
        or agreement.signed_on > now().date()
    ):
        raise KluisError(
            _(
                "An external storage location needs a signed processing agreement with "
                "signed security terms, recorded for this organisation first (STO-2)."
            ),
            code="processing-agreement-missing",
            status=409,
        )
    get_storage(url)  # refuses a URL it cannot use before anything is saved
    location, _created = StorageLocation.objects.update_or_create(
        organisation=organisation,
        defaults={
            "url": url,
            "external": external,
            "agreement": agreement if external else None,
            "enabled_by": actor,
            "enabled_at": now(),
        },
    )
    record(
        organisation=organisation,
        actor=actor,
        action="storage_location.enabled",
        obj=location,
        details={
            "url": url.split("?")[0],
            "external": external,
            "agreement": agreement.pk if agreement else None,
        },
    )
    return location
