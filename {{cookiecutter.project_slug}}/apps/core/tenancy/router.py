"""Send every read and write to the current unit of work's database alias."""

from apps.core.services.transaction_manager import get_current_db_name


class TenantDatabaseRouter:
    """Route to ``get_current_db_name()``; a tenant's rows never leave its database."""

    def db_for_read(self, model, **hints):
        return get_current_db_name()

    def db_for_write(self, model, **hints):
        return get_current_db_name()

    def allow_relation(self, obj1, obj2, **hints):
        return obj1._state.db == obj2._state.db

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return True
