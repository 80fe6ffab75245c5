"""DRF exception handler: every failure of a write is answered in JSON, never an HTML 500.

Database conflicts, rule violations and lock timeouts get their own status (see
``apps.core.views.responses``). Anything else is logged with its traceback and answered 500 in
JSON; the transaction boundary has already rolled the operation back by then.
"""

import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.exceptions import StaleVersionError
from apps.core.input.body import BODY_LIMIT_ERRORS, body_limit_payload
from apps.core.views.responses import WRITE_FAILURES, describe_write_failure, stale_version_payload

from .conditional import etag

logger = logging.getLogger(__name__)


def _model_name(view):
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return str(queryset.model._meta.verbose_name)
    return "record"


def atomic_exception_handler(exc, context):
    view = context.get("view")
    if isinstance(exc, BODY_LIMIT_ERRORS):
        # Read by the view before the middleware could (or without it): still the caller's 413.
        return Response(body_limit_payload(exc), status=413)
    if isinstance(exc, StaleVersionError):
        # The client's If-Match named a version the record no longer has.
        return Response(stale_version_payload(exc), status=412, headers={"ETag": etag(exc.current)})
    if isinstance(exc, WRITE_FAILURES):
        status, body, headers = describe_write_failure(exc, _model_name(view))
        return Response(body, status=status, headers=headers)
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in %s", type(view).__name__, exc_info=exc)
        body = {"error": "server_error", "detail": "The operation failed and was rolled back; nothing was saved."}
        response = Response(body, status=500)
    return response
