from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "apps.activity"
    label = "activity"
    verbose_name = "Assets and maintenance"

    def ready(self):
        # Connect the receivers and register the home-page sections.
        from . import home, signals  # noqa: F401
