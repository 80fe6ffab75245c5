"""``IdempotencyKeyMiddleware``: honour the ``Idempotency-Key`` header on every write.

Placed after the authentication (and tenant routing) middleware: the key is kept on the alias of
the request's operation, and its fingerprint includes who sends it (the ``Authorization`` header,
or the session's user), so nobody is ever answered with another caller's result.

Each caller's keys are its own: the same key from another caller is another request.
"""

import logging
import re

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse

from apps.core.services.transaction_manager import before_commit, get_current_db_name

from . import keys

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def _caller(request):
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return f"authorization:{authorization}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"


def _key_error(message, status):
    return JsonResponse({HEADER: [message]}, status=status)


def _replay(record):
    response = HttpResponse(record.body, status=record.status_code, content_type=record.content_type or None)
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method not in UNSAFE_METHODS:
            return self.get_response(request)
        if not _VALID_KEY.fullmatch(key):
            return _key_error("Send 1 to 255 printable ASCII characters without spaces, such as a UUID.", 400)
        try:
            body = request.body
        except RequestDataTooBig:
            return self.get_response(request)  # refused by the view's own limit: 413, nothing written
        alias = get_current_db_name()
        caller = keys.caller_digest(_caller(request))
        print_ = keys.fingerprint(method=request.method, path=request.get_full_path(), body=body)
        try:
            outcome, record = keys.claim(caller, key, print_, alias)
        except DatabaseError:
            logger.exception("idempotency key %s could not be claimed", key)
            response = JsonResponse(
                {"detail": "The database is unavailable; nothing was written. Retry with the same key."}, status=503
            )
            response["Retry-After"] = "1"
            return response
        if outcome == keys.MISMATCH:
            return _key_error("This key was already used with a different request; send a new key.", 422)
        if outcome == keys.REPLAY:
            return _replay(record)
        if outcome == keys.APPLIED:
            return JsonResponse(
                {"detail": "The request sent with this key was applied; its answer was lost.", HEADER: key}, status=200
            )
        if outcome == keys.IN_PROGRESS:
            response = _key_error("A request with this key is still being processed; retry shortly.", 409)
            response["Retry-After"] = "1"
            return response
        claim = keys.Claim(pk=record.pk, alias=alias)
        with before_commit(lambda committing: keys.mark_committed(claim, committing)):
            response = self.get_response(request)
        try:
            keys.store_answer(claim, response)
        except Exception:  # noqa: BLE001 - the answer stands; a retry learns it was applied
            logger.exception("the answer to idempotency key %s could not be stored", key)
        return response
