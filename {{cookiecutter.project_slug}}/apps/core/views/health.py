"""Health endpoints for load balancers and orchestrators.

``/health/live``: the process answers (no I/O). ``/health/ready``: it can serve, meaning the
database answers on both connections and Redis answers when it is configured; the latest
transaction health snapshot is reported beside them but does not take the node out of service,
since a Critical failure rate is an application problem every node shares. 200 when ready, 503
otherwise; errors are named by class only, so the public answer leaks no host names.
"""

import time

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core.services.transaction_monitoring_service import TransactionMonitoringService


def _timed(check):
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - a failed check is an answer, not an error
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database(alias):
    def check():
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")

    return check


def _redis():
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()


def _snapshot():
    try:
        snapshot = TransactionMonitoringService.latest_snapshot()
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        return {"status": "error", "error": type(exc).__name__}
    if snapshot is None:
        return {"status": "none"}
    return {
        "status": snapshot.status,
        "checked_at": snapshot.checked_at.isoformat(),
        "age_seconds": round((timezone.now() - snapshot.checked_at).total_seconds()),
        "failure_rate": snapshot.failure_rate,
    }


@never_cache
@require_GET
def live_view(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready_view(request):
    checks = {"database": _timed(_database("default"))}
    monitoring = settings.MONITORING_DB_ALIAS
    checks["monitoring_database"] = _timed(_database(monitoring))
    if getattr(settings, "REDIS_URL", ""):
        checks["redis"] = _timed(_redis)
    ready = all(check["status"] == "ok" for check in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks, "transaction_health": _snapshot()}
    return JsonResponse(body, status=200 if ready else 503)
