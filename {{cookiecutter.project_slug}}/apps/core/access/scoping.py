"""Limiting what a person sees to their own client.

Platform staff see every client. Anyone else sees the records of their own client only, and
a person with no client sees nothing. A model says where its client is with ``client_scope``,
a tuple of lookups any of which may match the user's client id (default: ``("client",)``).
"""

from django.db.models import Q


def client_lookups(model):
    return getattr(model, "client_scope", ("client",))


def visible_to(user, queryset):
    """``queryset`` limited to what ``user`` may see (one filter, no query per row)."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user.is_staff:
        return queryset
    client_id = getattr(user, "client_id", None)
    if client_id is None:
        return queryset.none()
    condition = Q()
    for lookup in client_lookups(queryset.model):
        condition |= Q(**{lookup: client_id})
    return queryset.filter(condition)
