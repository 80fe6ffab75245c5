"""DRF exception handler: database, rule and lock failures become clear JSON, never a 500."""

from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.views.responses import WRITE_FAILURES, describe_write_failure


def _model_name(view):
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return str(queryset.model._meta.verbose_name)
    return "record"


def atomic_exception_handler(exc, context):
    if isinstance(exc, WRITE_FAILURES):
        status, body, headers = describe_write_failure(exc, _model_name(context.get("view")))
        return Response(body, status=status, headers=headers)
    return exception_handler(exc, context)
