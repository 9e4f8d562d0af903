from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "kluis.retention"
    label = "retention"
    verbose_name = _("Retention and deletion")

    def ready(self):
        # Imported here, not at the top: an AppConfig module is imported before the models are.
        from kluis.organisations.signals import retention_days_changed

        from . import receivers, rules  # noqa: F401  (rules registers the permissions)

        # The brake and the terms answer a policy change inside its transaction.
        retention_days_changed.connect(receivers.recompute_terms, dispatch_uid="retention.terms")
