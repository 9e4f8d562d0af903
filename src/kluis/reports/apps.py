from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "kluis.reports"
    label = "reports"
    verbose_name = _("Incident reports")

    def ready(self):
        from . import rules  # noqa: F401  (registers the permission rules)
