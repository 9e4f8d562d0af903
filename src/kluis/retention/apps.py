from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "kluis.retention"
    label = "retention"
    verbose_name = _("Retention and deletion")

    def ready(self):
        # Registers the retention permissions with the one permission helper.
        from . import rules  # noqa: F401
