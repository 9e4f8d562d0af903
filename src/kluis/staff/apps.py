from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "kluis.staff"
    label = "staff"
    verbose_name = _("Staff web app")

    def ready(self):
        # Imported here, not at the top: an AppConfig module is imported before the models are.
        from kluis.core import gate

        from . import auth, rules  # noqa: F401  (rules registers the permission rules)

        gate.register_person_check(auth.check_person)
