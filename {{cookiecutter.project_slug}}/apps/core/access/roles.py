"""The roles of a facility platform, and the model permissions each one holds.

Platform staff are ``is_staff`` people: every client, the Django admin and the monitoring. The
other roles are Django groups, held by people who belong to one client; what each group may do
is given by its model permissions (``ROLE_PERMISSIONS``) and by the scoping rules of
``apps.core.access.scoping``: a permission is always a permission on the records of one's own
client.

``ROLE_PERMISSIONS`` is the one table of who may do what. A data migration creates the groups
from it, and ``sync_role_groups`` runs again after every ``migrate`` (and after the test
runner's flushes), so a permission added here reaches the groups without a new migration.
"""

from django.db import models, transaction

from apps.core.services.transaction_manager import use_database


class Role(models.TextChoices):
    CLIENT_ADMIN = "client_admin", "Client admin"
    SUPERVISOR = "supervisor", "Supervisor"
    TECHNICIAN = "technician", "Technician"


def _perms(app_label, model, *verbs):
    return tuple(f"{app_label}.{verb}_{model}" for verb in verbs)


#: Reading the records of one's client: every role.
_READ_ALL = (
    *_perms("peoples", "people", "view"),
    *_perms("onboarding", "bt", "view"),
    *_perms("onboarding", "supertypeassist", "view"),
    *_perms("onboarding", "typeassist", "view"),
    *_perms("activity", "asset", "view"),
    *_perms("activity", "job", "view"),
    *_perms("activity", "jobneed", "view"),
    *_perms("attendance", "peopleeventlog", "view"),
    *_perms("work_order_management", "vendor", "view"),
    *_perms("work_order_management", "approver", "view"),
    *_perms("work_order_management", "workorder", "view"),
    *_perms("work_order_management", "workpermit", "view"),
)

ROLE_PERMISSIONS = {
    # People, sites, type assists, vendors and the approver roster of their own client.
    Role.CLIENT_ADMIN: frozenset(
        (
            *_READ_ALL,
            *_perms("peoples", "people", "add", "change"),
            *_perms("onboarding", "bt", "add", "change"),
            *_perms("onboarding", "typeassist", "add", "change"),
            *_perms("work_order_management", "vendor", "add", "change"),
            *_perms("work_order_management", "approver", "add"),
        )
    ),
    # Plans the work: assets and their jobs, work orders (create, assign, dispatch), attendance.
    Role.SUPERVISOR: frozenset(
        (
            *_READ_ALL,
            *_perms("activity", "asset", "add", "change"),
            *_perms("activity", "job", "add", "change"),
            *_perms("activity", "jobneed", "change"),
            *_perms("attendance", "peopleeventlog", "add", "change"),
            *_perms("work_order_management", "workorder", "add", "change"),
        )
    ),
    # Does the work: checks in and out, works job occurrences, raises permits with their checklist.
    Role.TECHNICIAN: frozenset(
        (
            *_READ_ALL,
            *_perms("activity", "jobneed", "change"),
            *_perms("attendance", "peopleeventlog", "add"),
            *_perms("work_order_management", "workpermit", "add"),
        )
    ),
}


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


def sync_role_groups(apps, using="default"):
    """Make the role groups hold exactly the permissions of ``ROLE_PERMISSIONS``.

    ``apps`` is a migration's app registry or the global one. Permissions that Django has not
    created yet (a fresh database, where ``post_migrate`` comes after the migrations) are
    created here, with the names Django gives them.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    # ``using`` is also made the current alias, so that a tenant router sends every row there.
    with use_database(using), transaction.atomic(using=using):
        _sync(Group, Permission, ContentType, apps, using)


def _sync(Group, Permission, ContentType, apps, using):
    for role, perms in ROLE_PERMISSIONS.items():
        wanted = []
        for perm in sorted(perms):
            app_label, codename = perm.split(".")
            verb, model_name = codename.split("_", 1)
            model = apps.get_model(app_label, model_name)
            content_type, _ = ContentType.objects.using(using).get_or_create(app_label=app_label, model=model_name)
            permission, _ = Permission.objects.using(using).get_or_create(
                content_type_id=content_type.pk,
                codename=codename,
                defaults={"name": f"Can {verb} {model._meta.verbose_name_raw}"},
            )
            wanted.append(permission)
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        group.permissions.set(wanted)
