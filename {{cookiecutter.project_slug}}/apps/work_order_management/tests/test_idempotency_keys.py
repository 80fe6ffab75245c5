"""``Idempotency-Key``: a write retried with its key is done once, and answers what was done.

The requests go through the whole stack (middleware, token authentication, the API and the form
views), the way a client that lost an answer retries.
"""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.core.models import IdempotencyKey, OutboxMessage
from apps.core.testing import fault_at
from apps.work_order_management.models import Vendor, WorkOrder

API = "/api/v1"


@pytest.fixture
def token_client(author):
    """An API client authenticating with ``author``'s token, as a script does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=author).key}")
    return client


def _post(client, body, key, path=f"{API}/vendors/"):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_with_the_same_key_answers_the_first_result_and_writes_nothing(token_client):
    key = str(uuid.uuid4())
    first = _post(token_client, {"code": "V1", "name": "Vendor One"}, key)
    assert first.status_code == 201
    retry = _post(token_client, {"code": "V1", "name": "Vendor One"}, key)
    assert retry.status_code == 201
    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true"
    assert Vendor.objects.count() == 1
    record = IdempotencyKey.objects.get(key=key)
    assert record.committed_at is not None and record.answered_at is not None


def test_a_retry_of_a_work_order_sends_its_vendor_no_second_notice(token_client, vendor, asset):
    key = str(uuid.uuid4())
    body = {"description": "Replace the filters", "vendor": vendor.pk, "asset": asset.pk}
    first = _post(token_client, body, key, f"{API}/work-orders/")
    assert first.status_code == 201, first.content
    assert _post(token_client, body, key, f"{API}/work-orders/").json() == first.json()
    assert WorkOrder.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_and_writes_nothing(token_client):
    key = str(uuid.uuid4())
    assert _post(token_client, {"code": "V1", "name": "Vendor One"}, key).status_code == 201
    other = _post(token_client, {"code": "V2", "name": "Vendor Two"}, key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()
    assert list(Vendor.objects.values_list("code", flat=True)) == ["V1"]


def test_the_same_key_from_another_caller_is_their_own_request_never_a_replay(token_client, member):
    key = str(uuid.uuid4())
    first = _post(token_client, {"code": "V1", "name": "Vendor One"}, key)
    assert first.status_code == 201
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member('client_admin')).key}")
    answer = _post(other, {"code": "V2", "name": "Vendor Two"}, key)
    assert answer.status_code == 201
    assert "Idempotent-Replayed" not in answer
    assert answer.json()["code"] == "V2"
    assert Vendor.objects.count() == 2
    assert IdempotencyKey.objects.filter(key=key).count() == 2


def test_a_rejected_request_keeps_no_key_so_its_corrected_retry_runs(token_client):
    key = str(uuid.uuid4())
    assert _post(token_client, {"code": "", "name": "No code"}, key).status_code == 400
    assert not IdempotencyKey.objects.filter(key=key).exists()
    assert _post(token_client, {"code": "", "name": "No code"}, key).status_code == 400
    assert Vendor.objects.count() == 0


def test_a_failed_write_keeps_no_key_and_its_retry_runs(token_client, vendor, asset):
    key = str(uuid.uuid4())
    body = {"description": "Replace the filters", "vendor": vendor.pk, "asset": asset.pk}
    with fault_at("apps.work_order_management.services", "_record_history"):
        assert _post(token_client, body, key, f"{API}/work-orders/").status_code == 500
    assert not IdempotencyKey.objects.filter(key=key).exists()
    assert WorkOrder.objects.count() == 0
    assert _post(token_client, body, key, f"{API}/work-orders/").status_code == 201
    assert WorkOrder.objects.count() == 1


def test_a_key_whose_request_is_still_running_is_a_409_to_retry_later(token_client):
    key = str(uuid.uuid4())
    body = {"code": "V1", "name": "Vendor One"}
    assert _post(token_client, body, key).status_code == 201
    IdempotencyKey.objects.filter(key=key).update(answered_at=None, committed_at=None, claimed_at=timezone.now())
    busy = _post(token_client, body, key)
    assert busy.status_code == 409
    assert busy["Retry-After"] == "1"


def test_a_key_abandoned_before_its_commit_runs_again(token_client, settings):
    key = str(uuid.uuid4())
    body = {"code": "V1", "name": "Vendor One"}
    assert _post(token_client, body, key).status_code == 201
    # As if the worker had been killed before its commit: the claim, but no vendor and no answer.
    Vendor.objects.all().delete()
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_CLAIM_TIMEOUT + 1)
    IdempotencyKey.objects.filter(key=key).update(answered_at=None, committed_at=None, claimed_at=long_ago)
    assert _post(token_client, body, key).status_code == 201
    assert Vendor.objects.count() == 1


def test_a_key_that_committed_but_lost_its_answer_says_it_was_applied(token_client, settings):
    key = str(uuid.uuid4())
    body = {"code": "V1", "name": "Vendor One"}
    assert _post(token_client, body, key).status_code == 201
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_CLAIM_TIMEOUT + 1)
    IdempotencyKey.objects.filter(key=key).update(answered_at=None, claimed_at=long_ago)
    applied = _post(token_client, body, key)
    assert applied.status_code == 200
    assert "applied" in applied.json()["detail"]
    assert Vendor.objects.count() == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
def test_a_malformed_key_is_a_400_naming_the_header(token_client, key):
    answer = token_client.post(
        f"{API}/vendors/", {"code": "V1", "name": "One"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()
    assert Vendor.objects.count() == 0


def test_a_form_retried_with_its_key_redirects_to_the_same_record(web_client):
    key = str(uuid.uuid4())
    url = reverse("work_order_management:vendor-create")
    body = {"code": "V9", "name": "Nine"}
    first = web_client.post(url, body, HTTP_ACCEPT="text/html", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 303
    retry = web_client.post(url, body, HTTP_ACCEPT="text/html", HTTP_IDEMPOTENCY_KEY=key)
    assert (retry.status_code, retry["Location"]) == (303, first["Location"])
    assert Vendor.objects.count() == 1


def test_reads_ignore_the_key(token_client):
    key = str(uuid.uuid4())
    assert token_client.get(f"{API}/vendors/", HTTP_IDEMPOTENCY_KEY=key).status_code == 200
    assert not IdempotencyKey.objects.exists()
