from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustodyConfig(AppConfig):
    name = "kluis.custody"
    label = "custody"
    verbose_name = _("Audit trail")
    # No rules.py: who may read a custody report depends on roles, which sit above the audit
    # trail, so kluis.recordings.rules registers "custody.view_report" (docs/developer.md).
