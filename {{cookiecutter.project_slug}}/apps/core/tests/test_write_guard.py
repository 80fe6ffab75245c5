"""The runtime guard: a request that writes twice outside a transaction is caught."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.write_guard import UnprotectedWriteError, unit_of_work


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
