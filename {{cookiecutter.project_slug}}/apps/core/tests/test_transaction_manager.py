"""The transaction helpers: right alias, one transaction, no savepoints, batches fail alone."""

import json
import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.services.transaction_manager import (
    atomic_view_operation,
    get_current_db_name,
    handle_integrity_error,
    signal_aware_transaction,
    transactional_batch_operation,
    use_database,
)
from apps.core.testing import InjectedFault


def test_current_db_defaults_to_default_and_is_scoped():
    assert get_current_db_name() == "default"
    with use_database("other"):
        assert get_current_db_name() == "other"
    assert get_current_db_name() == "default"


def test_current_db_does_not_leak_into_other_threads():
    seen = []
    with use_database("other"):
        worker = threading.Thread(target=lambda: seen.append(get_current_db_name()))
        worker.start()
        worker.join(10)
    assert seen == ["default"]


def test_decorator_resolves_the_alias_when_called_not_when_decorated():
    opened = []

    @atomic_view_operation()
    def operation():
        opened.append(transaction.get_connection(get_current_db_name()).in_atomic_block)

    with use_database("nonexistent"), pytest.raises(Exception, match="nonexistent"):
        operation()
    assert opened == []


def test_decorator_needs_parentheses():
    with pytest.raises(TypeError, match="@atomic_view_operation()"):

        @atomic_view_operation
        def operation():
            pass


@pytest.mark.django_db(transaction=True)
def test_failure_anywhere_in_the_operation_rolls_back_everything():
    @atomic_view_operation()
    def create_two_then_fail():
        Group.objects.create(name="first")
        Group.objects.create(name="second")
        raise InjectedFault("third step")

    with pytest.raises(InjectedFault):
        create_two_then_fail()
    assert Group.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_nested_boundaries_join_the_outer_transaction_without_savepoints():
    @atomic_view_operation()
    def inner():
        Group.objects.create(name="inner")

    with CaptureQueriesContext(connection) as queries:
        with atomic_view_operation(durable=True):
            inner()
            with signal_aware_transaction():
                Group.objects.create(name="signal")
    assert not [q for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    assert Group.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_inner_failure_rolls_back_the_outer_transaction_too():
    @atomic_view_operation()
    def inner():
        Group.objects.create(name="inner")
        raise InjectedFault("inner")

    with pytest.raises(InjectedFault):
        with atomic_view_operation():
            Group.objects.create(name="outer")
            inner()
    assert Group.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_durable_boundary_refuses_to_run_inside_another_transaction():
    with pytest.raises(RuntimeError, match="durable"):
        with transaction.atomic():
            with atomic_view_operation(durable=True):
                pass


@pytest.mark.django_db(transaction=True)
def test_batch_operation_rolls_back_a_failed_batch_whole_and_runs_the_rest():
    def create(name):
        if name == "bad":
            raise ValueError("bad name")
        return Group.objects.create(name=name).name

    progress = []
    result = transactional_batch_operation(
        ["a", "b", "c", "bad", "e", "f", "g"], create, batch_size=3, on_batch_done=lambda r: progress.append(r.batches)
    )
    assert sorted(Group.objects.values_list("name", flat=True)) == ["a", "b", "c", "g"]
    assert (result.total, result.succeeded, result.failed, result.batches) == (7, 4, 3, 3)
    assert result.results == ["a", "b", "c", "g"]
    [failure] = result.failures
    assert failure.batch_number == 2
    assert failure.items == ["bad", "e", "f"]
    assert failure.error == "ValueError: bad name"
    assert progress == [1, 2, 3]
    assert not result.ok


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError):
        transactional_batch_operation([1], lambda item: item, batch_size=0)


def test_integrity_error_response_is_409_json_naming_the_model():
    response = handle_integrity_error("work permit")
    assert response.status_code == 409
    body = json.loads(response.content)
    assert body["error"] == "integrity_error"
    assert body["model"] == "work permit"


@pytest.mark.django_db(transaction=True, databases=["default", "monitoring"])
def test_a_caught_failure_of_a_joined_inner_boundary_fails_the_outer_one_loudly():
    from apps.core.services import monitoring_metrics
    from apps.core.services.transaction_manager import SwallowedFailureError

    @atomic_view_operation()
    def inner():
        Group.objects.create(name="inner")
        raise InjectedFault("inner step")

    @atomic_view_operation(name="tests.swallowing_outer")
    def outer():
        Group.objects.create(name="outer")
        try:
            inner()
        except InjectedFault:
            pass  # caught, but the transaction is doomed: there was no savepoint
        return "looks fine"

    monitoring_metrics.drain()
    with pytest.raises(SwallowedFailureError, match="inner step") as raised:
        outer()
    assert isinstance(raised.value.__cause__, InjectedFault)
    assert Group.objects.count() == 0
    counted = [
        bucket for key, bucket in monitoring_metrics.pending_snapshot().items() if key[2] == "tests.swallowing_outer"
    ]
    assert [(bucket.commits, bucket.rollbacks) for bucket in counted] == [(0, 1)]


@pytest.mark.django_db(transaction=True)
def test_a_batch_operation_inside_an_open_transaction_undoes_only_the_failed_batch():
    def create(name):
        if name == "bad":
            raise InjectedFault("bad item")
        return Group.objects.create(name=name).name

    with transaction.atomic():
        result = transactional_batch_operation(["a", "b", "bad", "c"], create, batch_size=2)
        assert (result.succeeded, result.failed) == (2, 2)
        assert sorted(Group.objects.values_list("name", flat=True)) == ["a", "b"]
    assert sorted(Group.objects.values_list("name", flat=True)) == ["a", "b"]
