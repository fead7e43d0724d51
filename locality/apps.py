from django.apps import AppConfig


class LocalityConfig(AppConfig):
    name = "locality"
    verbose_name = "Localities, agencies and teams"
