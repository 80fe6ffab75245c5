from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "apps.activity"
    label = "activity"
    verbose_name = "Assets and maintenance"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
