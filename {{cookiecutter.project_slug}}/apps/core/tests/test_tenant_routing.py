"""Tenant routing: each host's writes land in its own database, and nothing crosses."""

import pytest
from celery import shared_task
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.urls import path

from apps.core.services.transaction_manager import atomic_view_operation, get_current_db_name
from apps.core.testing import InjectedFault


@atomic_view_operation()
def create_group(request, name):
    Group.objects.create(name=name)
    return HttpResponse(get_current_db_name())


@atomic_view_operation()
def create_group_then_fail(request, name):
    Group.objects.create(name=name)
    raise InjectedFault("second step failed")


def count_groups(request):
    return HttpResponse(str(Group.objects.count()))


urlpatterns = [
    path("groups/<str:name>/", create_group),
    path("groups/<str:name>/fail/", create_group_then_fail),
    path("count/", count_groups),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db(databases=["default", "tenant_b"], transaction=True)]
TENANT_B = "tenant-b.testserver"


def test_each_host_writes_to_its_own_database(client):
    assert client.get("/groups/alpha/").content == b"default"
    assert client.get("/groups/beta/", HTTP_HOST=TENANT_B).content == b"tenant_b"
    assert list(Group.objects.using("default").values_list("name", flat=True)) == ["alpha"]
    assert list(Group.objects.using("tenant_b").values_list("name", flat=True)) == ["beta"]


def test_reads_stay_in_the_hosts_database(client):
    Group.objects.using("tenant_b").create(name="only in b")
    assert client.get("/count/").content == b"0"
    assert client.get("/count/", HTTP_HOST=TENANT_B).content == b"1"


def test_a_fault_on_the_second_tenant_rolls_back_there_and_touches_nothing_else(client):
    client.get("/groups/kept/")
    with pytest.raises(InjectedFault):
        client.get("/groups/lost/fail/", HTTP_HOST=TENANT_B)
    assert Group.objects.using("tenant_b").count() == 0
    assert list(Group.objects.using("default").values_list("name", flat=True)) == ["kept"]


def test_an_unknown_host_gets_404_and_never_the_default_tenants_data(client):
    Group.objects.using("default").create(name="secret")
    response = client.get("/count/", HTTP_HOST="stranger.testserver")
    assert response.status_code == 404
    assert b"1" not in response.content


@shared_task
def alias_seen_by_task():
    return get_current_db_name()


def test_a_task_runs_on_the_alias_it_was_sent_with():
    assert alias_seen_by_task.apply(headers={"db_alias": "tenant_b"}).get() == "tenant_b"
    assert alias_seen_by_task.apply().get() == "default"
    assert get_current_db_name() == "default"
