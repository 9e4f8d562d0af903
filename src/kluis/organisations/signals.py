"""What organisations tell the apps above them, which connect in their `AppConfig.ready()`.

Organisations sit low in the layers (docs/developer.md, "Layers"): they cannot import the apps
that depend on their policy, so they send a signal and those apps answer it.

`retention_days_changed`: sent by `actions.update_policy` inside its transaction when the
retention period changes, with `organisation`, `old_days`, `new_days`, `confirm_due` and
`actor`. A receiver that raises (the retention brake's `Conflict`) undoes the whole change; the
signal is sent with `send()`, never `send_robust()`, so a refusal cannot be swallowed.
"""

from __future__ import annotations

from django.dispatch import Signal

retention_days_changed = Signal()
