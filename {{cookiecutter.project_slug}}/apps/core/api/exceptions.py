"""DRF exception handler: every failure of a write is answered in JSON, never an HTML 500.

Database conflicts, rule violations and lock timeouts get their own status (see
``apps.core.views.responses``). A duplicate is 409 with ``{field: [message]}`` whether the database
refused it or one of DRF's unique validators did. Anything else is logged with its traceback and answered 500 in
JSON; the transaction boundary has already rolled the operation back by then.
"""

import logging

from django.db import IntegrityError
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.exceptions import StaleVersionError
from apps.core.input.body import BODY_LIMIT_ERRORS, body_limit_payload
from apps.core.services.transaction_manager import count_rejection
from apps.core.services.transaction_monitoring_service import is_rejection
from apps.core.views.responses import WRITE_FAILURES, describe_write_failure, stale_version_payload

from .conditional import etag

logger = logging.getLogger(__name__)


def _model_name(view):
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return str(queryset.model._meta.verbose_name)
    return "record"


def _serializer_fields(view):
    """The names of the fields the caller may send to ``view`` (None when it has no serializer)."""
    try:
        return {name for name, field in view.get_serializer().fields.items() if not field.read_only}
    except Exception:  # noqa: BLE001 - a view without a serializer: name every field of the constraint
        return None


def _only_duplicates(detail):
    """True when every error of a DRF ``ValidationError`` is a unique validator's ("unique")."""
    codes = []

    def collect(item):
        if isinstance(item, dict):
            for value in item.values():
                collect(value)
        elif isinstance(item, list):
            for value in item:
                collect(value)
        else:
            codes.append(getattr(item, "code", None))

    collect(detail)
    return bool(codes) and all(code == "unique" for code in codes)


def atomic_exception_handler(exc, context):
    view = context.get("view")
    if isinstance(exc, BODY_LIMIT_ERRORS):
        # Read by the view before the middleware could (or without it): still the caller's 413.
        return Response(body_limit_payload(exc), status=413)
    if isinstance(exc, StaleVersionError):
        # The client's If-Match named a version the record no longer has.
        return Response(stale_version_payload(exc), status=412, headers={"ETag": etag(exc.current)})
    if isinstance(exc, WRITE_FAILURES):
        status, body, headers = describe_write_failure(exc, _model_name(view), _serializer_fields(view))
        if isinstance(exc, IntegrityError) and "errors" in body:
            body = body["errors"]  # the API's field errors are top-level, as DRF's own
        return Response(body, status=status, headers=headers)
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError) and _only_duplicates(exc.detail):
        response.status_code = 409
    if response is None:
        logger.exception("unhandled error in %s", type(view).__name__, exc_info=exc)
        body = {"error": "server_error", "detail": "The operation failed and was rolled back; nothing was saved."}
        response = Response(body, status=500)
    _count_write_rejection(exc, context, response.status_code)
    return response


def _count_write_rejection(exc, context, status):
    """A write refused for the caller's mistake before its transaction began (a body that cannot be
    parsed, a content type not accepted) is a rejection too; one refused inside was counted there."""
    request, view = context.get("request"), context.get("view")
    if request is None or request.method in SAFE_METHODS or not 400 <= status < 500 or not is_rejection(exc):
        return
    action = getattr(view, "action", None) or request.method.lower()
    count_rejection(f"{type(view).__module__}.{type(view).__qualname__}.{action}", exc)
