"""Least privilege: every monitoring page and API route is for staff only; bad input gets 400."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.models import TransactionFailureLog
from apps.core.services import monitoring_metrics

pytestmark = pytest.mark.django_db(databases=["default", "monitoring"])


@pytest.fixture(autouse=True)
def fresh_counts():
    """In-memory counts are per process: start and end each test without another test's."""
    monitoring_metrics.drain()
    yield
    monitoring_metrics.drain()


@pytest.fixture
def failure():
    return TransactionFailureLog.objects.using("monitoring").create(
        operation="apps.example.services.create_thing",
        error_class="builtins.RuntimeError",
        error_message="boom",
        correlation_id="corr-1",
        occurred_at=timezone.now(),
    )


def _person(username, *, is_staff):
    return get_user_model().objects.create_user(
        username=username,
        password="not-the-point-42",
        peoplecode=username.upper(),
        peoplename=username.title(),
        is_staff=is_staff,
    )


@pytest.fixture
def as_role():
    def client_for(role):
        client = APIClient()
        if role != "anonymous":
            client.force_login(_person(role, is_staff=role == "staff"))
        return client

    return client_for


PAGES = ["/admin/transaction-health/", "/admin/transaction-health/?hours=1", "/admin/transaction-health/failure/{pk}/"]
API = [
    "/api/transaction-health/",
    *(f"/api/transaction-health/?action={action}" for action in ("health_summary", "top_failing", "recent_failures")),
    "/api/transaction-health/?action=slow_transactions&threshold_ms=0",
    "/api/transaction-health/?action=coverage_audit",
    "/api/transaction-failure/{pk}/",
]


@pytest.mark.parametrize("url", PAGES)
def test_dashboard_pages_send_anonymous_to_login_refuse_non_staff_and_serve_staff(url, as_role, failure):
    url = url.format(pk=failure.pk)
    anonymous = as_role("anonymous").get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/?next=")
    assert as_role("clerk").get(url).status_code == 403
    staff = as_role("staff").get(url)
    assert staff.status_code == 200
    assert b"admin" in staff.content and b"<svg" in staff.content or b"failure-detail" in staff.content


@pytest.mark.parametrize("url", API)
def test_api_routes_refuse_anonymous_and_non_staff_and_serve_staff(url, as_role, failure):
    url = url.format(pk=failure.pk)
    assert as_role("anonymous").get(url).status_code in (401, 403)
    assert as_role("clerk").get(url).status_code == 403
    response = as_role("staff").get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")


def test_anonymous_api_caller_is_asked_to_authenticate(client):
    response = client.get("/api/transaction-health/")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("action=everything", "action"),
        ("hours=0", "hours"),
        ("hours=721", "hours"),
        ("hours=abc", "hours"),
        ("action=top_failing&limit=0", "limit"),
        ("action=recent_failures&limit=501", "limit"),
        ("action=recent_failures&limit=1.5", "limit"),
        ("action=slow_transactions&threshold_ms=-1", "threshold_ms"),
        ("action=slow_transactions&threshold_ms=fast", "threshold_ms"),
        ("action=slow_transactions&threshold_ms=nan", "threshold_ms"),
    ],
)
def test_bad_parameters_get_400_with_the_reason(query, field, as_role):
    response = as_role("staff").get(f"/api/transaction-health/?{query}")
    assert response.status_code == 400
    assert field in response.json() and response.json()[field][0]


@pytest.mark.parametrize(
    "query", ["hours=1", "hours=720", "action=top_failing&limit=1", "action=top_failing&limit=500"]
)
def test_parameters_at_their_bounds_are_accepted(query, as_role):
    assert as_role("staff").get(f"/api/transaction-health/?{query}").status_code == 200


def test_an_unknown_failure_is_404_on_the_api_and_the_page(as_role):
    staff = as_role("staff")
    assert staff.get("/api/transaction-failure/999999/").status_code == 404
    assert staff.get("/admin/transaction-health/failure/999999/").status_code == 404


def test_the_failure_api_returns_the_record(as_role, failure):
    body = as_role("staff").get(f"/api/transaction-failure/{failure.pk}/").json()
    assert (body["id"], body["operation"], body["correlation_id"]) == (failure.pk, failure.operation, "corr-1")


def test_admin_shows_monitoring_records_read_only_but_a_failure_can_be_resolved(as_role, failure):
    staff = get_user_model().objects.create_superuser(
        username="root", password="x-long-pass-99", peoplecode="ROOT", peoplename="Root"
    )
    client = APIClient()
    client.force_login(staff)
    for name in ("transactionfailurelog", "transactionmetrics", "transactionhealthcheck", "sagaexecutionlog"):
        assert client.get(f"/admin/core/{name}/").status_code == 200
        assert client.get(f"/admin/core/{name}/add/").status_code == 403
    change = f"/admin/core/transactionfailurelog/{failure.pk}/change/"
    assert client.get(change).status_code == 200
    response = client.post(change, {"is_resolved": "on", "resolution_note": "fixed the vendor URL"})
    assert response.status_code == 302, response.content[:2000]
    failure.refresh_from_db(using="monitoring")
    assert failure.is_resolved and failure.resolution_note == "fixed the vendor URL" and failure.resolved_at
    assert failure.error_message == "boom"
    assert client.post(f"/admin/core/transactionfailurelog/{failure.pk}/delete/").status_code == 403
