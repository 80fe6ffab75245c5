"""Health endpoints for load balancers and orchestrators: public, so they say nothing more than needed.

``/health/live``: the process answers (no I/O). ``/health/ready``: it can serve, meaning the
database answers on both connections and Redis answers when it is configured: 200
``{"status": "ok"}`` or 503 ``{"status": "unavailable"}``, nothing more. Which check failed, and
why, goes to the log (and the staff-only transaction health dashboard), never into the public
answer. The transaction health snapshot does not take a node out of service: a Critical failure
rate is an application problem every node shares.
"""

import logging

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _failure(check):
    """None when ``check`` passes, else the class name of what it raised."""
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - a failed check is an answer, not an error
        return type(exc).__name__
    return None


def _database(alias):
    def check():
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")

    return check


def _redis():
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()


@never_cache
@require_GET
def live_view(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready_view(request):
    checks = {"database": _database("default"), "monitoring_database": _database(settings.MONITORING_DB_ALIAS)}
    if getattr(settings, "REDIS_URL", ""):
        checks["redis"] = _redis
    failures = {name: error for name, check in checks.items() if (error := _failure(check)) is not None}
    if failures:
        logger.warning("not ready: %s", ", ".join(f"{name} ({error})" for name, error in failures.items()))
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
