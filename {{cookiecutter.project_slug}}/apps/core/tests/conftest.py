"""The core's tests use auth groups as a scratch table, so each starts without the role groups.

A migrated database holds the role groups (``apps.core.access.roles``); these tests count and
name groups as the rows their transactions write, so the role groups are set aside first (in the
test's own transaction, or until the flush after a transactional test puts them back).
"""

import pytest
{%- if cookiecutter.use_tenant_routing == "y" %}


def pytest_collection_modifyitems(items):
    """The monitoring reads every tenant's task outbox: a core test with a database may read them all."""
    for item in items:
        if "apps/core/tests/" not in item.nodeid:
            continue
        marker = item.get_closest_marker("django_db")
        uses_db = marker is not None or {"db", "transactional_db"} & set(item.fixturenames)
        if uses_db and (marker is None or marker.kwargs.get("databases") != "__all__"):
            kwargs = dict(marker.kwargs) if marker is not None else {}
            everything = pytest.mark.django_db(*(marker.args if marker else ()), **{**kwargs, "databases": "__all__"})
            item.add_marker(everything, append=False)
{%- endif %}


@pytest.fixture(autouse=True)
def _scratch_groups_start_empty(request):
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names:
        request.getfixturevalue("db")
    elif marker is None:
        return
    from django.conf import settings
    from django.contrib.auth.models import Group

    from apps.core.access.roles import Role

    databases = (marker.kwargs.get("databases") if marker is not None else None) or ["default"]
    if databases == "__all__":
        databases = list(settings.DATABASES)
    for alias in databases:
        if alias != settings.MONITORING_DB_ALIAS:  # the same database as default, another connection
            Group.objects.using(alias).filter(name__in=Role.values).delete()
