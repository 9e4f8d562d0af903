from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "kluis.recordings"
    label = "recordings"
    verbose_name = _("Recordings")

    def ready(self):
        from . import rules  # noqa: F401  (registers the permission rules)
