from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for trying the project out: ``manage.py seed_demo``."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo data"
