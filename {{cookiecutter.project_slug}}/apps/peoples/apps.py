from django.apps import AppConfig


class PeoplesConfig(AppConfig):
    name = "apps.peoples"
    label = "peoples"
    verbose_name = "People"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
