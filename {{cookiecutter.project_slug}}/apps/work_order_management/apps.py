from django.apps import AppConfig


class WorkOrderManagementConfig(AppConfig):
    name = "apps.work_order_management"
    label = "work_order_management"
    verbose_name = "Work orders and permits"

    def ready(self):
        # Register the home-page sections, and the recovery of interrupted dispatches
        # (``register_saga_recovery``) in every process.
        from . import home, services  # noqa: F401
