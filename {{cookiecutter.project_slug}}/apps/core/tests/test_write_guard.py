"""The runtime guard: a request that writes twice outside a transaction is caught."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.write_guard import UnprotectedWriteError, is_write, unit_of_work


def unprotected_two_writes(request):
    Group.objects.create(name="first")
    Group.objects.create(name="second")
    return HttpResponse("done")


@atomic_view_operation()
def protected_two_writes(request):
    Group.objects.create(name="first")
    Group.objects.create(name="second")
    return HttpResponse("done")


def single_write(request):
    Group.objects.create(name="only")
    return HttpResponse("done")


urlpatterns = [
    path("unprotected/", unprotected_two_writes),
    path("protected/", protected_two_writes),
    path("single/", single_write),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def test_unprotected_two_write_view_is_caught_with_its_statements(client):
    with pytest.raises(UnprotectedWriteError) as caught:
        client.get("/unprotected/")
    message = str(caught.value)
    assert "GET /unprotected/" in message
    assert message.count("INSERT INTO") == 2


def test_the_same_writes_inside_a_transaction_pass(client):
    assert client.get("/protected/").status_code == 200
    assert Group.objects.count() == 2


def test_a_single_write_needs_no_transaction(client):
    assert client.get("/single/").status_code == 200


def test_outside_a_unit_of_work_nothing_is_checked():
    Group.objects.create(name="setup one")
    Group.objects.create(name="setup two")
    assert Group.objects.count() == 2


@override_settings(WRITE_GUARD_MODE="warn")
def test_local_mode_warns_instead_of_raising():
    with pytest.warns(RuntimeWarning, match="writes outside a transaction"), unit_of_work("command demo"):
        Group.objects.create(name="a")
        Group.objects.create(name="b")


@override_settings(WRITE_GUARD_MODE="log")
def test_production_mode_logs_and_counts(caplog):
    from apps.core.services.write_guard import UNPROTECTED_WRITES

    before = UNPROTECTED_WRITES.labels(unit="task demo")._value.get()
    with unit_of_work("task demo"):
        Group.objects.create(name="a")
        Group.objects.create(name="b")
        Group.objects.create(name="c")
    assert UNPROTECTED_WRITES.labels(unit="task demo")._value.get() == before + 1
    assert "task demo issued 2 writes outside a transaction" in caplog.text


@override_settings(ROOT_URLCONF="config.urls")
def test_admin_login_bookkeeping_is_exempt(client):
    get_user_model().objects.create_superuser(
        username="boss", password="pw-for-tests-only", peoplecode="B1", peoplename="Boss"
    )
    response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


# Writes made through the ORM's own transactions
# ------------------------------------------------------------------------------


def _groups(*names):
    return [Group(name=name) for name in names]


def _cascading_delete():
    """Delete groups that people belong to: the ORM deletes the memberships first, in its own transaction."""
    user = get_user_model().objects.create(username="member", peoplecode="MEMBER", peoplename="Member")
    user.groups.add(*Group.objects.bulk_create(_groups("doomed-1", "doomed-2")))
    return lambda: Group.objects.filter(name__startswith="doomed").delete()


ORM_CALLS = {
    "bulk_create": lambda: Group.objects.bulk_create(_groups("b1", "b2")),
    "get_or_create": lambda: Group.objects.get_or_create(name="fresh"),
    "update_or_create": lambda: Group.objects.update_or_create(name="fresh", defaults={"name": "fresher"}),
    "bulk_update": lambda: Group.objects.bulk_update(
        [Group(pk=group.pk, name=f"{group.name}!") for group in Group.objects.all()], ["name"]
    ),
}


@pytest.mark.parametrize("call", sorted(ORM_CALLS))
def test_a_create_then_an_orm_call_with_its_own_transaction_outside_a_transaction_is_caught(settings, call):
    settings.WRITE_GUARD_MODE = "raise"
    Group.objects.create(name="existing")
    with unit_of_work("test"), pytest.raises(UnprotectedWriteError, match="2 writes"):
        Group.objects.create(name="first")
        ORM_CALLS[call]()


def test_a_create_then_a_cascading_delete_outside_a_transaction_is_caught(settings):
    settings.WRITE_GUARD_MODE = "raise"
    delete = _cascading_delete()
    with unit_of_work("test"), pytest.raises(UnprotectedWriteError):
        Group.objects.create(name="first")
        delete()


def test_one_orm_call_is_atomic_on_its_own_and_passes(settings):
    settings.WRITE_GUARD_MODE = "raise"
    delete = _cascading_delete()
    with unit_of_work("test"):
        Group.objects.bulk_create(_groups("a", "b", "c"), batch_size=1)  # three INSERTs, one ORM transaction
    with unit_of_work("test"):
        delete()  # memberships and groups, one ORM transaction


def test_the_same_orm_calls_inside_an_application_transaction_pass(settings):
    settings.WRITE_GUARD_MODE = "raise"
    delete = _cascading_delete()
    with unit_of_work("test"), atomic_view_operation():
        Group.objects.create(name="first")
        for call in ORM_CALLS.values():
            call()
        delete()


def test_a_write_through_a_common_table_expression_counts(settings):
    settings.WRITE_GUARD_MODE = "raise"
    insert = "WITH picked AS (SELECT 'cte' AS name) INSERT INTO auth_group (name) SELECT name FROM picked"
    with unit_of_work("test"), pytest.raises(UnprotectedWriteError, match="WITH picked"):
        Group.objects.create(name="first")
        with connection.cursor() as cursor:
            cursor.execute(insert)


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('WITH gone AS (DELETE FROM "a" RETURNING id) SELECT count(*) FROM gone', True),
        ('WITH x AS (SELECT 1) UPDATE "a" SET "n" = 1', True),
        ('WITH x AS (SELECT 1) SELECT * FROM "a" FOR UPDATE', False),
        ('SELECT "a"."id" FROM "a" WHERE "a"."id" = 1 FOR NO KEY UPDATE', False),
        ('INSERT INTO "a" ("n") VALUES (1)', True),
    ],
)
def test_which_statements_are_writes(sql, writes):
    assert is_write(sql) is writes
