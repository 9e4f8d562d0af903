from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "kluis.staff"
    label = "staff"
    verbose_name = _("Staff web app")

    def ready(self):
        from . import rules  # noqa: F401  (registers the permission rules)
