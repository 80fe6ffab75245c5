"""The transaction monitoring API: the dashboard's figures as JSON, for staff and their scripts.

``GET /api/transaction-health/?action=...`` (``after_commit_incidents`` lists what went wrong
after a commit: tasks not sent, locks not released) with ``hours`` (1-720), ``limit`` (1-500) and
``threshold_ms`` (0 or more); a bad value or an unknown action is answered 400 with the reason.
``GET /api/transaction-failure/<id>/`` returns one failure record (404 when there is none).
Anonymous callers get 401, signed-in non-staff 403.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.models import TransactionFailureLog
from apps.core.services import monitoring_metrics
from apps.core.services.transaction_monitoring_service import (
    TransactionAuditService,
    TransactionMonitoringService,
    failure_as_dict,
)

ACTIONS = (
    "health_summary",
    "top_failing",
    "recent_failures",
    "after_commit_incidents",
    "slow_transactions",
    "coverage_audit",
)


def _number(params, name, default, *, minimum, maximum=None, kind=int):
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"must be {'an integer' if kind is int else 'a number'}, not {raw!r}"]}) from None
    if kind is float and value != value:  # NaN
        raise ValidationError({name: ["must be a number"]})
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValidationError({name: [f"must be {bounds}, not {raw}"]})
    return value


class TransactionHealthAPIView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[
            OpenApiParameter("action", str, enum=ACTIONS, default="health_summary"),
            OpenApiParameter("hours", int, description="1-720; default 24."),
            OpenApiParameter("limit", int, description="1-500; default 10 (top_failing) or 20."),
            OpenApiParameter("threshold_ms", float, description="slow_transactions: 0 or more."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        params = request.query_params
        action = params.get("action", "health_summary")
        if action not in ACTIONS:
            raise ValidationError({"action": [f"unknown action {action!r}; use one of {', '.join(ACTIONS)}"]})
        hours = _number(params, "hours", 24, minimum=1, maximum=720)
        limit = _number(params, "limit", 10 if action == "top_failing" else 20, minimum=1, maximum=500)
        threshold = _number(
            params,
            "threshold_ms",
            settings.TRANSACTION_HEALTH_THRESHOLDS.get("slow_transaction_ms", 1000),
            minimum=0,
            kind=float,
        )
        if action != "coverage_audit":
            monitoring_metrics.fold_quietly()
        service = TransactionMonitoringService
        if action == "health_summary":
            data = service.get_transaction_health_summary(hours=hours)
        elif action == "top_failing":
            data = {"hours": hours, "operations": service.get_top_failing_operations(limit=limit, hours=hours)}
        elif action == "recent_failures":
            data = {"hours": hours, "failures": service.get_recent_failures(limit=limit, hours=hours)}
        elif action == "after_commit_incidents":
            data = {
                "hours": hours,
                "incidents": service.get_recent_after_commit_incidents(limit=limit, hours=hours),
            }
        elif action == "slow_transactions":
            data = {
                "hours": hours,
                "threshold_ms": threshold,
                "operations": TransactionAuditService.get_slow_transactions(
                    threshold_ms=threshold, limit=limit, hours=hours
                ),
            }
        else:
            data = TransactionAuditService.audit_transaction_coverage()
        return Response({"action": action, **data})


class TransactionFailureAPIView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        record = TransactionFailureLog.objects.using(settings.MONITORING_DB_ALIAS).filter(pk=pk).first()
        if record is None:
            raise NotFound(f"No transaction failure with id {pk}.")
        return Response(failure_as_dict(record))
