"""System checks that keep production off the try-it-out defaults.

SQLite and the in-process lock backend make ``runserver`` work with nothing installed. Neither
is safe with several processes: SQLite serialises every writer and the in-process lock only
excludes threads of one process. ``manage.py check --deploy`` reports both as errors.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.database, deploy=True)
def check_production_database(app_configs, **kwargs):
    errors = []
    for alias, config in settings.DATABASES.items():
        if config["ENGINE"] == "django.db.backends.sqlite3":
            errors.append(
                Error(
                    f"Database alias '{alias}' uses SQLite, which is for local trials only.",
                    hint="Set DATABASE_URL=postgres://user:password@host:5432/name.",
                    id="core.E001",
                )
            )
        if config.get("ATOMIC_REQUESTS"):
            errors.append(
                Error(
                    f"Database alias '{alias}' has ATOMIC_REQUESTS on.",
                    hint="Leave it off: write paths open their own transactions after taking their locks.",
                    id="core.E002",
                )
            )
    return errors


@register(deploy=True)
def check_lock_backend(app_configs, **kwargs):
    backend = getattr(settings, "DISTRIBUTED_LOCK_BACKEND", "inprocess")
    if backend == "inprocess":
        return [
            Error(
                "DISTRIBUTED_LOCK_BACKEND is 'inprocess', which only excludes threads of one process.",
                hint="Set REDIS_URL (Redis locks) or DISTRIBUTED_LOCK_BACKEND=postgres.",
                id="core.E003",
            )
        ]
    if backend == "redis" and not getattr(settings, "REDIS_URL", ""):
        return [
            Error(
                "DISTRIBUTED_LOCK_BACKEND is 'redis' but REDIS_URL is not set.",
                hint="Set REDIS_URL=redis://host:6379/0.",
                id="core.E004",
            )
        ]
    return []
