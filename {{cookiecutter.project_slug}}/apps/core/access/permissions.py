"""Checks of what a role may do, for views, forms, the API and the services' own rules.

A permission is a model permission (``"activity.change_asset"``) held through a role group
(``apps.core.access.roles``); platform staff hold them all. ``STAFF_ONLY`` marks what only
platform staff may do (clients, shared lookup data). The scoping (``scoping``) decides *which*
rows a user reaches; these checks decide *what* the user may do with them.

An action an API view does not map is refused to everyone but platform staff: a new action is
closed until someone says who may run it.
"""

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .scoping import client_id_of

#: Only platform staff may do this.
STAFF_ONLY = "staff_only"

#: The permission verb each standard DRF action needs.
DEFAULT_ACTION_VERBS = {
    "list": "view",
    "retrieve": "view",
    "metadata": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def permission_name(model, verb):
    """``"<app_label>.<verb>_<model_name>"``, or ``STAFF_ONLY`` passed through."""
    if verb == STAFF_ONLY or "." in verb:
        return verb
    return f"{model._meta.app_label}.{verb}_{model._meta.model_name}"


def can(user, permission):
    """True when ``user`` may do ``permission`` (on their own client's records)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff:
        return True
    if permission == STAFF_ONLY or client_id_of(user) is None:
        return False
    return user.has_perm(permission)


def require(user, permission):
    """Raise ``PermissionDenied`` (403) unless ``user`` may do ``permission``."""
    if not can(user, permission):
        raise PermissionDenied(f"You may not do this ({permission}).")


class RolePermission(BasePermission):
    """DRF permission from the roles' model permissions.

    A viewset may map its actions to a verb (``"change"``), a full permission name or
    ``STAFF_ONLY`` in ``action_permissions``; the standard actions default to view/add/change/
    delete of the queryset's model. Actions on one object are checked after the object was
    found in the scoped queryset, so another client's object is a 404 and an own-client object
    the role may not change is a 403.
    """

    message = "Your role does not allow this."

    def _permission(self, request, view):
        action = getattr(view, "action", None) or request.method.lower()
        verbs = {**DEFAULT_ACTION_VERBS, **getattr(view, "action_permissions", {})}
        verb = verbs.get(action, STAFF_ONLY)
        queryset = getattr(view, "queryset", None)
        if queryset is None:
            return None if request.method in SAFE_METHODS else STAFF_ONLY
        return permission_name(queryset.model, verb)

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if getattr(view, "detail", False) or view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or "pk"):
            return True  # decided in has_object_permission, after the scoped lookup
        permission = self._permission(request, view)
        return permission is None or can(request.user, permission)

    def has_object_permission(self, request, view, obj):
        permission = self._permission(request, view)
        return permission is None or can(request.user, permission)
