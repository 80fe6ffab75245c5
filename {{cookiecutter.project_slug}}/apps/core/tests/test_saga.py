"""Sagas: completed steps are compensated in reverse, and the record survives every rollback."""

import time

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from apps.core.models import SagaExecutionLog
from apps.core.services.saga import SagaError, TransactionManager
from apps.core.services.transaction_monitoring_service import TransactionMonitoringService
from apps.core.testing import InjectedFault

pytestmark = pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)


def create(name):
    def action(context):
        context[name] = Group.objects.create(name=name).pk

    return action


def delete(name):
    def compensation(context):
        Group.objects.filter(pk=context[name]).delete()

    return compensation


def fail(context):
    Group.objects.create(name="half-made")
    raise InjectedFault("vendor unreachable")


def logs():
    return SagaExecutionLog.objects.using("monitoring")


def test_completed_saga_is_recorded_with_its_steps():
    saga = TransactionManager("two groups", correlation_id="req-1")
    saga.add_step("a", create("a"), delete("a")).add_step("b", create("b"), delete("b"))
    context = saga.execute()
    assert set(context) == {"a", "b"}
    log = logs().get()
    assert log.status == SagaExecutionLog.Status.COMPLETED
    assert log.steps_completed == ["a", "b"]
    assert log.correlation_id == "req-1"
    assert log.duration_ms is not None


def test_failed_step_compensates_completed_steps_in_reverse_order():
    saga = TransactionManager("failing")
    saga.add_step("a", create("a"), delete("a")).add_step("b", create("b"), delete("b")).add_step("c", fail)
    with pytest.raises(SagaError) as raised:
        saga.execute()
    assert Group.objects.count() == 0, "the failed step's own writes and the completed steps are gone"
    log = logs().get()
    assert raised.value.log.pk == log.pk
    assert log.status == SagaExecutionLog.Status.COMPENSATED
    assert log.steps_completed == ["a", "b"]
    assert log.failed_step == "c"
    assert log.compensations_run == ["b", "a"]
    assert "vendor unreachable" in log.error


def test_a_failing_compensation_is_recorded_and_the_others_still_run():
    def broken(context):
        raise InjectedFault("cannot undo b")

    saga = TransactionManager("broken compensation")
    saga.add_step("a", create("a"), delete("a")).add_step("b", create("b"), broken).add_step("c", fail)
    with pytest.raises(SagaError):
        saga.execute()
    log = logs().get()
    assert log.status == SagaExecutionLog.Status.COMPENSATION_FAILED
    assert log.compensations_failed == ["b"]
    assert log.compensations_run == ["a"]
    assert list(Group.objects.values_list("name", flat=True)) == ["b"]


def test_the_record_survives_an_outer_transaction_that_rolls_back():
    saga = TransactionManager("nested")
    saga.add_step("a", create("a"), delete("a")).add_step("c", fail)
    started = time.monotonic()
    with pytest.raises(SagaError), transaction.atomic():
        saga.execute()
    # On SQLite the outer transaction holds the file's write lock: the record must not wait on it
    # (the busy timeout is 20 s per write) but follow once it has ended.
    assert time.monotonic() - started < 10
    assert TransactionMonitoringService.wait_for_deferred_records(timeout=30)
    assert Group.objects.count() == 0
    log = logs().get()
    assert (log.status, log.steps_completed, log.compensations_run) == (
        SagaExecutionLog.Status.COMPENSATED,
        ["a"],
        ["a"],
    )
