from django.apps import AppConfig


class WorkOrderManagementConfig(AppConfig):
    name = "apps.work_order_management"
    label = "work_order_management"
    verbose_name = "Work orders and permits"

    def ready(self):
        from . import home  # noqa: F401  (registers the home-page sections)
