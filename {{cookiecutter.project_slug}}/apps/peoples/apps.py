from django.apps import AppConfig


class PeoplesConfig(AppConfig):
    name = "apps.peoples"
    label = "peoples"
    verbose_name = "People"

    def ready(self):
        # Connect the receivers and register the home-page sections.
        from . import home, signals  # noqa: F401
