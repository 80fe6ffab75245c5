"""System checks: production stays off the try-it-out defaults, and writes stay in transactions.

SQLite and the in-process lock backend make ``runserver`` work with nothing installed. Neither
is safe with several processes: SQLite serialises every writer and the in-process lock only
excludes threads of one process. ``manage.py check --deploy`` reports both as errors.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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


def _transaction_usage_findings():
    """The analyser's findings over ``apps`` and ``config``, cached on disk while the tree is unchanged.

    The key is every analysed file's path, size and modification time (a finding in one file can
    depend on another: a helper, a callee, a receiver) and ``pyproject.toml``'s. With nothing
    changed, ``manage.py check``, ``runserver`` and each of its reloads read one small file
    instead of analysing the tree again.
    """
    from apps.core.analysis.cache import cached_findings

    base = Path(settings.BASE_DIR)
    return cached_findings([base / "apps", base / "config"], root=base)


@register()
def check_transaction_usage(app_configs, **kwargs):
    """The same analysis as the pre-commit hook: writes outside a transaction, side effects inside one.

    Warnings while developing (``DEBUG`` on), errors otherwise, so ``check --deploy`` with the
    production settings fails on a finding. ``TRANSACTION_USAGE_CHECK=off`` (setting or
    environment) switches it off; the start-up benchmark uses that as its floor.
    """
    if not getattr(settings, "TRANSACTION_USAGE_CHECK", os.environ.get("TRANSACTION_USAGE_CHECK", "on") != "off"):
        return []
    level = Warning if settings.DEBUG else Error
    return [
        (Warning if finding.is_warning else level)(
            f"{finding.path}:{finding.line}: {finding.code} in {finding.qualname}: {finding.message}",
            hint=finding.fix,
            obj=finding.qualname,
            id=f"core.{finding.code}",
        )
        for finding in _transaction_usage_findings()
    ]
