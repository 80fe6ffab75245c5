"""413 for a request body over the limits, before any view (or the CSRF check) reads it.

Django raises ``RequestDataTooBig`` when a body is larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``
and ``TooManyFieldsSent``/``TooManyFilesSent`` past ``DATA_UPLOAD_MAX_NUMBER_FIELDS``/``_FILES``,
wherever the body is first read: in the CSRF check that becomes a bare 400 page, inside a DRF
view a 500. ``RequestBodyLimitMiddleware`` reads the body first, in ``process_view`` (so it
sits before ``CsrfViewMiddleware``), and answers 413 naming the limit:

* JSON (``{"error": "request_too_large", "detail", "limit", "setting"}``) to API and script callers;
* to a browser on a form view, the form again with the reason (the view's ``render_refused_body``);
* to a browser elsewhere, a short page.

Nothing has been written then: no view ran.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.shortcuts import render

from apps.core.views.negotiation import wants_json

BODY_LIMIT_ERRORS = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def describe_body_limit(exc):
    """``(detail, limit, setting)`` for one of ``BODY_LIMIT_ERRORS``."""
    if isinstance(exc, TooManyFieldsSent):
        limit, setting = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, "DATA_UPLOAD_MAX_NUMBER_FIELDS"
        return f"The request has more than {limit} fields.", limit, setting
    if isinstance(exc, TooManyFilesSent):
        limit, setting = settings.DATA_UPLOAD_MAX_NUMBER_FILES, "DATA_UPLOAD_MAX_NUMBER_FILES"
        return f"The request has more than {limit} files.", limit, setting
    limit, setting = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "DATA_UPLOAD_MAX_MEMORY_SIZE"
    return f"The request body is larger than the limit of {limit} bytes.", limit, setting


def body_limit_payload(exc):
    detail, limit, setting = describe_body_limit(exc)
    return {"error": "request_too_large", "detail": detail, "limit": limit, "setting": setting}


def read_body(request):
    """Read (and keep) the body as Django would; return the limit it broke, or None."""
    if request.method not in METHODS_WITH_BODY:
        return None
    try:
        if request.content_type in FORM_CONTENT_TYPES:
            request.POST  # noqa: B018 (parsing checks the size and the number of fields)
        else:
            request.body  # noqa: B018
    except BODY_LIMIT_ERRORS as exc:
        return exc
    return None


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        exc = read_body(request)
        if exc is None:
            return None
        if not wants_json(request):
            view_class = getattr(view_func, "view_class", None)
            render_refused_body = getattr(view_class, "render_refused_body", None)
            if render_refused_body is not None:
                return render_refused_body(request, exc, view_func, view_args, view_kwargs)
            detail, _, _ = describe_body_limit(exc)
            return render(request, "core/request_too_large.html", {"detail": detail}, status=413)
        return JsonResponse(body_limit_payload(exc), status=413)
