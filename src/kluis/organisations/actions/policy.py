"""The policy: the shipped presets, applying one, and changing single settings."""

from __future__ import annotations

from django.db import transaction

from kluis.core.problems import KluisError
from kluis.custody.events import AuditEvent
from kluis.custody.log import record

from .. import signals
from ..models import Organisation, Policy
from ..presets import PRESETS
from .checks import require_manage


def load_presets() -> list[Policy]:
    """Create or refresh the five shipped presets (idempotent)."""
    policies = []
    with transaction.atomic():
        for key, values in PRESETS.items():
            policy, _created = Policy.objects.update_or_create(preset_key=key, defaults=values)
            policies.append(policy)
    return policies


def preset(key: str) -> Policy:
    try:
        return Policy.objects.get(preset_key=key)
    except Policy.DoesNotExist:
        if key not in PRESETS:
            raise KluisError(
                f"Unknown policy preset {key!r}; choose one of: {', '.join(sorted(PRESETS))}.",
                code="unknown-preset",
            )
        load_presets()
        return Policy.objects.get(preset_key=key)


@transaction.atomic
def apply_preset(organisation: Organisation, preset_key: str, *, actor=None) -> Policy:
    """Replace every setting of the organisation's policy by a preset's values, and name the
    policy after the preset so nobody reads the old preset's name over the new settings."""
    require_manage(actor, organisation)
    source = preset(preset_key)
    policy = update_policy(
        organisation, actor=actor, reason=f"preset {preset_key}", **source.settings_dict()
    )
    policy.name = f"{organisation.name} ({source.name})"[:120]
    policy.source = f"preset {preset_key}"
    policy.save(update_fields=["name", "source"])
    record(
        organisation=organisation,
        actor=actor,
        action=AuditEvent.POLICY_PRESET_APPLIED,
        obj=policy,
        details={"preset": preset_key, "name": policy.name},
    )
    return policy


@transaction.atomic
def update_policy(
    organisation: Organisation, *, actor=None, reason: str = "", confirm_due=None, **changes
) -> Policy:
    """Change policy settings, validated, with the old and new values in the audit trail.

    A shorter retention period that makes recordings due at once is refused with their number
    unless `confirm_due` repeats it: the retention app answers `retention_days_changed` in this
    transaction (the brake, kluis.retention.actions.retention_changed).
    """
    require_manage(actor, organisation)
    policy = Policy.objects.select_for_update().get(pk=organisation.policy_id)
    unknown = set(changes) - set(Policy.SETTING_FIELDS)
    if unknown:
        raise KluisError(f"Unknown policy settings: {', '.join(sorted(unknown))}.")
    before = policy.settings_dict()
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.full_clean(exclude=["preset_key"])
    policy.save()
    diff = {k: [before[k], v] for k, v in policy.settings_dict().items() if before[k] != v}
    if "retention_days" in diff:
        old_days, new_days = diff["retention_days"]
        signals.retention_days_changed.send(
            sender=Policy,
            organisation=organisation,
            old_days=old_days,
            new_days=new_days,
            confirm_due=confirm_due,
            actor=actor,
        )
    record(
        organisation=organisation,
        actor=actor,
        action="policy.changed",
        obj=policy,
        details={"changes": diff, "reason": reason},
    )
    organisation.policy = policy
    return policy
