from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "kluis.organisations"
    label = "organisations"
    verbose_name = _("Organisations and people")

    def ready(self):
        from . import rules  # noqa: F401  (registers the permission rules)
