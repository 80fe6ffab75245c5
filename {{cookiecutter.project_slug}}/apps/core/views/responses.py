"""How a failed write is told to the caller, shared by form views and the REST API.

A duplicate (a unique constraint the input violates) is 409 with ``{field: [message]}`` naming the
field(s) of the constraint; other constraint conflicts are 409 with the model's name, rule
violations 400 with field errors, a lock that could not be had 409 (503 when the lock service is
down) with ``Retry-After``, an edit of a record that changed since it was read 409 with the current
version (the API answers 412).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import JsonResponse

from apps.core.exceptions import LockAcquisitionError, LockBackendUnavailable, StaleVersionError
from apps.core.services.transaction_manager import integrity_error_payload
from apps.core.services.unique_conflicts import unique_field_errors

WRITE_FAILURES = (IntegrityError, ValidationError, LockAcquisitionError, StaleVersionError)


def validation_error_payload(exc):
    """Field errors of a Django ``ValidationError`` as ``{"field": ["message", ...]}``."""
    if hasattr(exc, "error_dict"):
        return {name: [m for e in errors for m in e.messages] for name, errors in exc.error_dict.items()}
    return {"__all__": exc.messages}


def stale_version_payload(exc, current=None):
    """The body that refuses an edit based on an old version: the current version (and values, when given)."""
    body = {"error": "stale", "field": "version", "detail": str(exc), "version": exc.current}
    if current is not None:
        body["current"] = current
    return body


def describe_write_failure(exc, model_name, visible_fields=None):
    """Return ``(status, body, headers)`` for one of ``WRITE_FAILURES``.

    ``visible_fields`` are the fields the caller filled in: a duplicate's errors name those.
    """
    if isinstance(exc, IntegrityError):
        field_errors = unique_field_errors(exc, visible_fields)
        if field_errors is not None:
            return 409, {"errors": field_errors}, {}
        return 409, integrity_error_payload(model_name), {}
    if isinstance(exc, ValidationError):
        return 400, {"errors": validation_error_payload(exc)}, {}
    if isinstance(exc, StaleVersionError):
        return 409, stale_version_payload(exc), {}
    if isinstance(exc, LockAcquisitionError):
        status = 503 if isinstance(exc, LockBackendUnavailable) else 409
        return status, {"error": "locked", "detail": str(exc)}, {"Retry-After": str(exc.retry_after)}
    raise TypeError(f"not a write failure: {exc!r}")


def write_failure_response(exc, model_name):
    status, body, headers = describe_write_failure(exc, model_name)
    return JsonResponse(body, status=status, headers=headers)
