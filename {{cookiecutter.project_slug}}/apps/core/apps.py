from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the system checks)
        from .access.signals import keep_role_groups_in_sync
        from .services import task_context  # noqa: F401  (carries the database alias into tasks)
        from .services.monitoring_metrics import install as fold_metrics_after_requests_and_tasks
        from .services.write_guard import install_on_every_connection
        from .signin import receivers  # noqa: F401  (counts failed sign-ins)

        post_migrate.connect(keep_role_groups_in_sync, sender=self, dispatch_uid="core.keep_role_groups_in_sync")
        install_on_every_connection()
        fold_metrics_after_requests_and_tasks()
