"""The roles of a facility platform.

Platform staff are ``is_staff`` people: every client, the Django admin and the monitoring. The
other roles are Django groups, held by people who belong to one client; what each group may do
is given by its model permissions and by the scoping rules of ``apps.core.access``.
"""

from django.db import models


class Role(models.TextChoices):
    CLIENT_ADMIN = "client_admin", "Client admin"
    SUPERVISOR = "supervisor", "Supervisor"
    TECHNICIAN = "technician", "Technician"


def role_names(user):
    """The role group names ``user`` holds (a set; empty for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        user._role_names = cached
    return cached


def has_role(user, role):
    return role in role_names(user)
