"""Every queryset an entry point uses is limited to the records of the user's client.

A model says how its rows belong to a client with ``client_scope``:

- absent: the model has a ``client`` foreign key (``TenantScopedModel`` and people);
- a lookup string, such as ``"permit__client"``, for rows that reach their client through another;
- a function ``client_id -> Q`` for anything else (a client and its sites);
- ``None`` for lookup data shared by every client (readable by all, written by platform staff).

A model that says nothing and has no ``client`` field is refused (``ImproperlyConfigured``), so
a new model cannot be served unscoped by mistake. Scoping is one ``WHERE`` clause: it adds no
query, whatever the number of rows.

Who sees what: platform staff (``is_staff``) see every client; a person of a client sees that
client's rows; anyone else (anonymous, or signed in without a client) sees nothing. Celery tasks
and management commands run as the system and do not scope.
"""

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Q

DEFAULT_SCOPE = "client"


def is_platform_staff(user):
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff)


def client_id_of(user):
    """The client ``user`` works for, or None (anonymous, or no client)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "client_id", None)


def client_condition(model, client_id):
    """The ``Q`` that selects the rows of ``model`` belonging to client ``client_id``."""
    scope = getattr(model, "client_scope", DEFAULT_SCOPE)
    if scope is None:
        return Q()
    if callable(scope):
        return scope(client_id)
    if scope == DEFAULT_SCOPE:
        try:
            model._meta.get_field(DEFAULT_SCOPE)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(
                f"{model._meta.label} has no client field: give it a client_scope (see apps.core.access.scoping)."
            ) from None
    return Q(**{scope: client_id})


def is_shared(model):
    """True for lookup data shared by every client (``client_scope = None``)."""
    return getattr(model, "client_scope", DEFAULT_SCOPE) is None


def scope_queryset(queryset, user):
    """``queryset`` limited to what ``user`` may see: all for staff, their client's rows, else none."""
    if is_platform_staff(user):
        return queryset
    client_id = client_id_of(user)
    if client_id is None:
        return queryset.none()
    return queryset.filter(client_condition(queryset.model, client_id))


def belongs_to_client(obj, user):
    """True when ``obj`` is visible to ``user`` under the same rule as ``scope_queryset`` (no query for most models)."""
    if is_platform_staff(user):
        return True
    client_id = client_id_of(user)
    if client_id is None:
        return False
    model = type(obj)
    scope = getattr(model, "client_scope", DEFAULT_SCOPE)
    if scope is None:
        return True
    if scope == DEFAULT_SCOPE:
        return getattr(obj, "client_id", None) == client_id
    return model._default_manager.filter(pk=obj.pk).filter(client_condition(model, client_id)).exists()
