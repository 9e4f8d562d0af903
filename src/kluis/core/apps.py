from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kluis.core"
    label = "core"
    verbose_name = "Kluis"
