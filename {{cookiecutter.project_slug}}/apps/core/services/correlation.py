"""One correlation id per unit of work, so a failure can be followed through logs and tasks.

A request takes its id from the ``X-Request-ID`` header (what a load balancer or the caller set)
when it is a plausible id, or gets a fresh one, and returns it in the response's ``X-Request-ID``.
The id lives in a context variable: every log record carries it (``CorrelationIdFilter``), the
failure log stores it, and Celery tasks scheduled meanwhile receive it in their message headers
(``apps.core.services.task_context``). The request itself (for the user of a failure record) and
the name of the view that serves it are kept beside it.

This module imports nothing from Django's models, so the logging configuration can load it.
"""

import contextvars
import logging
import re
import uuid
from contextlib import contextmanager

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

_correlation_id = contextvars.ContextVar("correlation_id", default="")
_entry_point = contextvars.ContextVar("entry_point", default="")
_request = contextvars.ContextVar("current_request", default=None)


def new_correlation_id():
    return uuid.uuid4().hex


def clean_correlation_id(value):
    """``value`` when it is 1-64 characters of ``[A-Za-z0-9._-]``, else a fresh id.

    A caller's header is logged and stored: anything longer or with other characters could
    forge log lines or smuggle data, so it is replaced rather than trusted.
    """
    if isinstance(value, str) and _VALID.match(value):
        return value
    return new_correlation_id()


def get_correlation_id():
    """The correlation id of the current unit of work ("" outside any)."""
    return _correlation_id.get()


def get_entry_point():
    """The view or task serving the current unit of work ("" when unknown)."""
    return _entry_point.get()


def get_current_request():
    return _request.get()


@contextmanager
def correlation_context(correlation_id=None, *, entry_point=None, request=None):
    """Run the enclosed code with ``correlation_id`` (made when None) and restore afterwards."""
    tokens = [(_correlation_id, _correlation_id.set(correlation_id or new_correlation_id()))]
    if entry_point is not None:
        tokens.append((_entry_point, _entry_point.set(entry_point)))
    if request is not None:
        tokens.append((_request, _request.set(request)))
    try:
        yield _correlation_id.get()
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def _view_name(view_func):
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    target = view_class or view_func
    return f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', repr(target))}".strip(".")


class CorrelationIdMiddleware:
    """Give every request a correlation id and return it in the ``X-Request-ID`` response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        correlation_id = clean_correlation_id(request.META.get(_META_KEY))
        request.correlation_id = correlation_id
        with correlation_context(correlation_id, entry_point="", request=request):
            response = self.get_response(request)
        response[HEADER] = correlation_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        _entry_point.set(_view_name(view_func))


class CorrelationIdFilter(logging.Filter):
    """Put the current correlation id on every log record as ``correlation_id`` ("-" when none)."""

    def filter(self, record):
        if not getattr(record, "correlation_id", None):
            record.correlation_id = _correlation_id.get() or "-"
        return True
