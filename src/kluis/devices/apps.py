from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "kluis.devices"
    label = "devices"
    verbose_name = _("Cameras")

    def ready(self):
        from . import rules  # noqa: F401  (registers the permission rules)
