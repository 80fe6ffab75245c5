"""Conditional writes on the API: ``ETag`` on the reads of a record, ``If-Match`` on its writes.

A versioned record (``apps.core.models.VersionedModel``) is sent with ``ETag: "<version>"``. A
client that wants its edit refused when someone else changed the record since it was read sends
that tag back as ``If-Match``; the service compares it with the row it re-reads under its row
lock, and a stale one is answered ``412 Precondition Failed`` with the current version (nothing
written). Without ``If-Match`` the edit is applied to the current row (only the fields sent).
"""

from rest_framework import status
from rest_framework.exceptions import APIException

ETAG_ACTIONS = frozenset({"retrieve", "update", "partial_update"})


class MalformedPrecondition(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = 'If-Match must be the ETag of the record, such as "3".'
    default_code = "precondition_failed"


def etag(version):
    return f'"{version}"'


def parse_if_match(header):
    """The version an ``If-Match`` header asks for; None when absent or ``*`` (any version)."""
    if header is None or header.strip() in ("", "*"):
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if len(tags) != 1:
        raise MalformedPrecondition("Send one ETag in If-Match.")
    tag = tags[0].removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise MalformedPrecondition()
    return int(tag)


class ConditionalWriteMixin:
    """For a viewset of versioned records: ETag on reads and writes, If-Match passed to the service.

    The version asked for reaches the serializer as ``context["expected_version"]``; its
    ``update`` hands it to the service (``expected_version=``), which checks it under the row lock.
    """

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "action", None) in ("update", "partial_update"):
            context["expected_version"] = parse_if_match(self.request.headers.get("If-Match"))
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if (
            getattr(self, "action", None) in ETAG_ACTIONS
            and 200 <= response.status_code < 300
            and isinstance(data, dict)
            and "version" in data
        ):
            response["ETag"] = etag(data["version"])
        return response
