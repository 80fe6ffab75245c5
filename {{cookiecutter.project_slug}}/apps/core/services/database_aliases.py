"""The database aliases that hold tenants' data."""

from django.conf import settings


def tenant_aliases():
    """Every database alias that holds a tenant's data: ``default`` first, then the others by name.

    The monitoring connection is a second connection to the default database, not a tenant.
    """
    monitoring = getattr(settings, "MONITORING_DB_ALIAS", "monitoring")
    others = sorted(alias for alias in settings.DATABASES if alias not in ("default", monitoring))
    return ["default", *others]
