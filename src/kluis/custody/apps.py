from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustodyConfig(AppConfig):
    name = "kluis.custody"
    label = "custody"
    verbose_name = _("Audit trail")

    def ready(self):
        # Registers the custody permissions with the one permission helper.
        from . import rules  # noqa: F401
