"""A committed write is answered as committed, whatever breaks after the commit.

The lock service (a Redis server of the test's own) is stopped while a lock-holding transaction
runs, and the Celery broker refuses connections: in each case the API answers 2xx, the row is in
the database, and the incident is recorded, counted in ``/metrics`` and in the monitoring API.
"""

import pytest
from django.db.models.signals import post_save
from rest_framework.test import APIClient

from apps.activity.models import Asset, AssetLog
from apps.activity.services import create_asset
from apps.attendance.models import PeopleEventlog
from apps.core.models import AfterCommitIncident
from apps.core.tests.prometheus import metrics_text
from apps.peoples.services import create_person
from apps.work_order_management.models import Approver, WorkOrder, WorkPermit
from apps.work_order_management.services import create_approver, create_vendor

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


class StopWhenWritten:
    """Stop ``server`` the first time a row of ``model`` is saved: inside the operation's transaction."""

    def __init__(self, server, model):
        self.server, self.model = server, model

    def __call__(self, sender, **kwargs):
        self.server.stop()

    def __enter__(self):
        post_save.connect(self, sender=self.model, weak=False)
        return self

    def __exit__(self, *exc_info):
        post_save.disconnect(self, sender=self.model)


def _incidents(kind):
    return AfterCommitIncident.objects.using("monitoring").filter(kind=kind)


def _check_in(api_client, author, client_bt, site_bt, redis_stops):
    guard = create_person(
        author=None, username="guard", peoplecode="G1", peoplename="Gina", client=client_bt, site=site_bt
    )
    with redis_stops(PeopleEventlog):
        response = api_client.post("/api/v1/attendance/check-in/", {"people": guard.pk}, format="json")
    return response, PeopleEventlog.objects.filter(people=guard).exists()


def _work_order(api_client, author, client_bt, site_bt, redis_stops):
    with redis_stops(WorkOrder):
        response = api_client.post("/api/v1/work-orders/", {"description": "Fix the lift"}, format="json")
    return response, WorkOrder.objects.filter(description="Fix the lift").exists()


def _asset_status(api_client, author, client_bt, site_bt, redis_stops):
    asset = create_asset(author=author, assetcode="P-1", assetname="Pump 1")
    with redis_stops(AssetLog):
        response = api_client.post(f"/api/v1/assets/{asset.pk}/status/", {"status": "MAINTENANCE"}, format="json")
    return response, Asset.objects.get(pk=asset.pk).status == "MAINTENANCE"


@pytest.mark.parametrize(
    "operation", [_check_in, _work_order, _asset_status], ids=["check-in", "work-order-creation", "asset-status-change"]
)
def test_redis_lost_during_a_lock_holding_transaction_answers_success(
    operation, own_redis, api_client, author, client_bt, site_bt
):
    with own_redis.settings():
        response, committed = operation(
            api_client, author, client_bt, site_bt, lambda model: StopWhenWritten(own_redis, model)
        )

    assert response.status_code in (200, 201), response.content
    assert committed
    incident = _incidents("lock_release_failed").get()
    assert incident.request_path == response.wsgi_request.path
    assert "could not be released" in incident.error_message


def test_a_permit_committed_while_the_broker_refuses_answers_201(
    unreachable_broker, api_client, author, client_bt, site_bt
):
    from apps.onboarding.services import get_or_create_type_assist

    permit_type = get_or_create_type_assist(
        author=author, group_code="PERMITTYPE", group_name="Permit type", tacode="HOTWORK", taname="Hot work"
    )
    verifier = create_person(
        author=None, username="veri", peoplecode="V1", peoplename="Vic", client=client_bt, site=site_bt
    )
    approver = create_person(
        author=None, username="appr", peoplecode="A1", peoplename="Al", client=client_bt, site=site_bt
    )
    create_approver(author=author, people=approver, identifier=Approver.Identifier.APPROVER, site=site_bt)
    create_approver(author=author, people=verifier, identifier=Approver.Identifier.VERIFIER, site=site_bt)
    details = [{"question": "Isolated?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True}]
    body = {"site": site_bt.pk, "permit_type": permit_type.pk, "remarks": "Welding", "details": details}

    response = api_client.post("/api/v1/work-permits/", body, format="json")

    assert response.status_code == 201, response.content
    assert WorkPermit.objects.filter(pk=response.json()["id"]).exists()
    incident = _incidents("task_not_sent").get()
    assert incident.action == "apps.work_order_management.tasks.notify_verifiers"
    assert incident.operation == "apps.work_order_management.services.create_work_permit"


def test_a_work_order_for_a_vendor_committed_while_the_broker_refuses_is_counted_everywhere(
    unreachable_broker, api_client, author, client, django_user_model
):
    vendor = create_vendor(author=author, code="FIXIT", name="Fix-It", email="jobs@fixit.example")

    response = api_client.post("/api/v1/work-orders/", {"description": "Oil leak", "vendor": vendor.pk}, format="json")

    assert response.status_code == 201, response.content
    assert WorkOrder.objects.filter(vendor=vendor).count() == 1
    assert _incidents("task_not_sent").count() == 1

    metrics = metrics_text(client)
    assert 'transaction_after_commit_incidents_total{kind="task_not_sent"}' in metrics
    staff = django_user_model.objects.create_user(username="ops", password="x", is_staff=True)
    monitoring = APIClient()
    monitoring.force_authenticate(staff)
    summary = monitoring.get("/api/transaction-health/", {"action": "health_summary", "hours": 1}).json()
    assert summary["after_commit_incidents_by_kind"]["task_not_sent"] == 1
    assert summary["failures"] == 0
    listed = monitoring.get("/api/transaction-health/", {"action": "after_commit_incidents"}).json()
    assert [row["kind"] for row in listed["incidents"]] == ["task_not_sent"]
    client.force_login(staff)
    page = client.get("/admin/transaction-health/").content.decode()
    assert 'id="after-commit-incidents"' in page and "Task not sent" in page
