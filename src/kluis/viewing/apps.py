from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ViewingConfig(AppConfig):
    name = "kluis.viewing"
    label = "viewing"
    verbose_name = _("Viewing sessions")

    def ready(self):
        from . import rules  # noqa: F401  (registers the permission rules)
