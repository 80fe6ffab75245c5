"""The role groups follow ``ROLE_PERMISSIONS`` after every ``migrate`` and every test flush."""

from django.apps import apps as global_apps

from .roles import sync_role_groups


def keep_role_groups_in_sync(sender, apps=global_apps, using="default", **kwargs):
    """``post_migrate`` receiver: give the role groups their permissions on database ``using``.

    A flush (the test runner's, between transactional tests) sends no ``apps``: the global
    registry is used then. Skipped while the models the table names are not all migrated yet (a partial ``migrate``).
    """
    try:
        sync_role_groups(apps, using=using)
    except LookupError:
        return
