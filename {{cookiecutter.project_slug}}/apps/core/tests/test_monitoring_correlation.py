"""A correlation id follows each request into its response, its log lines and its tasks."""

import logging

import pytest
from celery import shared_task

from apps.core.services import task_context
from apps.core.services.correlation import (
    CorrelationIdFilter,
    clean_correlation_id,
    correlation_context,
    get_correlation_id,
)


@pytest.mark.django_db
def test_a_valid_request_id_is_kept_and_returned(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="lb-1234.abc_DEF-9")
    assert response["X-Request-ID"] == "lb-1234.abc_DEF-9"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["x" * 65, "has space", "semi;colon", "new\nline", "ünï", ""])
def test_an_implausible_request_id_is_replaced_by_a_fresh_one(client, header):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=header)
    assert response["X-Request-ID"] != header
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_a_request_without_an_id_gets_one_and_each_request_its_own(client):
    first, second = client.get("/health/live"), client.get("/health/live")
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_cleaning_accepts_64_characters_and_refuses_65():
    assert clean_correlation_id("a" * 64) == "a" * 64
    assert clean_correlation_id("a" * 65) != "a" * 65


def test_log_records_carry_the_correlation_id():
    record = logging.makeLogRecord({"msg": "hello"})
    with correlation_context("req-7"):
        CorrelationIdFilter().filter(record)
    assert record.correlation_id == "req-7"
    outside = logging.makeLogRecord({"msg": "hello"})
    CorrelationIdFilter().filter(outside)
    assert outside.correlation_id == "-"


@shared_task(name="core.tests.report_correlation_id")
def report_correlation_id():
    return get_correlation_id()


def test_tasks_receive_the_correlation_id_in_their_headers():
    headers = {}
    with correlation_context("req-99"):
        task_context.add_context_headers(headers=headers)
    assert headers[task_context.CORRELATION_HEADER] == "req-99"
    # A worker restores it from the headers, whatever its own context holds.
    with correlation_context("worker-own"):
        assert report_correlation_id.apply(headers={"correlation_id": "req-99"}).result == "req-99"


def test_a_task_sent_from_outside_a_request_correlates_by_its_own_id():
    result = report_correlation_id.apply(task_id="task-1234")
    assert result.result == "task-1234"


def test_an_eager_task_inherits_the_callers_id():
    with correlation_context("req-eager"):
        assert report_correlation_id.delay().result == "req-eager"
