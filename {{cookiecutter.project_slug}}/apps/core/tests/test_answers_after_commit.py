"""Once a transaction has committed, nothing that runs afterwards turns the answer into an error.

After-commit callbacks, the release of a lock and the watching of the operation each run after the
commit; what goes wrong there is an after-commit incident (logged, counted, recorded), and the
operation's caller is told it succeeded, because it did.
"""

import functools

import pytest
from django.contrib.auth.models import Group

from apps.core.models import AfterCommitIncident, OutboxMessage
from apps.core.services import monitoring_metrics
from apps.core.services.distributed_locks import with_lock_and_transaction
from apps.core.services.transaction_manager import atomic_view_operation, on_commit, send_task_on_commit
from apps.core.services.transaction_monitoring_service import TransactionMonitoringService

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def _incidents(kind):
    return AfterCommitIncident.objects.using("monitoring").filter(kind=kind)


def _counted(kind):
    return monitoring_metrics.AFTER_COMMIT_INCIDENTS.labels(kind)._value.get()


def test_a_callback_that_raises_after_the_commit_is_an_incident_not_an_error(caplog):
    before = _counted("callback_failed")

    @atomic_view_operation(name="tests.create_group")
    def create(name):
        Group.objects.create(name=name)
        on_commit(functools.partial(int, "not a number"))  # a partial has no __qualname__
        on_commit(lambda: Group.objects.filter(name=name).update(name=f"{name} (seen)"))

    create("kept")

    assert Group.objects.filter(name="kept (seen)").exists(), "the callbacks after the failing one still ran"
    incident = _incidents("callback_failed").get()
    assert (incident.operation, incident.action) == ("tests.create_group", "builtins.int")
    assert incident.error_class == "builtins.ValueError"
    assert _counted("callback_failed") == before + 1
    logged = [record for record in caplog.records if record.getMessage().startswith("After-commit callback failed")]
    assert logged and logged[0].exc_info is not None, "the incident is logged with its traceback"


def test_a_task_the_broker_refuses_is_a_task_not_sent_incident(unreachable_broker):
    from celery import shared_task

    from apps.core.outbox.consumer import IdempotentTask

    @shared_task(name="tests.after_commit.noop", base=IdempotentTask)
    def noop(value):
        return value

    @atomic_view_operation(name="tests.create_group_and_tell")
    def create(name):
        Group.objects.create(name=name)
        send_task_on_commit(noop, name)

    create("told")

    assert Group.objects.filter(name="told").exists()
    incident = _incidents("task_not_sent").get()
    assert incident.action == "tests.after_commit.noop"
    assert incident.error_class.startswith("kombu.exceptions.")
    [message] = OutboxMessage.objects.filter(task_name="tests.after_commit.noop")
    assert message.published_at is None, "the refused task waits in the outbox for the relay"


def test_incidents_are_in_the_health_summary_apart_from_failures():
    monitoring_metrics.drain()  # what earlier tests of this process counted

    @atomic_view_operation(name="tests.create_group")
    def create(name):
        Group.objects.create(name=name)
        on_commit(lambda: 1 / 0)

    create("summary")
    monitoring_metrics.fold()
    summary = TransactionMonitoringService.get_transaction_health_summary(hours=1)
    assert (summary["commits"], summary["failures"]) == (1, 0)
    assert summary["after_commit_incidents"] == 1
    assert summary["after_commit_incidents_by_kind"]["callback_failed"] == 1
    assert summary["status"] == "degraded"
    assert any("after-commit incident" in reason for reason in summary["reasons"])


def test_redis_lost_while_a_lock_is_held_leaves_the_commit_standing(own_redis):
    @with_lock_and_transaction("ATTENDANCE_UPDATE", resource_id_param="name")
    def create(name):
        Group.objects.create(name=name)
        own_redis.stop()  # the lock service goes away while the transaction runs
        return name

    with own_redis.settings():
        assert create("locked") == "locked"

    assert Group.objects.filter(name="locked").exists()
    incident = _incidents("lock_release_failed").get()
    assert incident.action == "lock:ATTENDANCE_UPDATE:locked"
    assert incident.operation.endswith("create")
    assert "could not be released" in incident.error_message


def test_a_failing_release_does_not_hide_the_operations_own_error(own_redis):
    @with_lock_and_transaction("ATTENDANCE_UPDATE", resource_id_param="name")
    def create(name):
        Group.objects.create(name=name)
        own_redis.stop()
        raise LookupError("the operation's own failure")

    with own_redis.settings(), pytest.raises(LookupError, match="own failure"):
        create("lost")

    assert not Group.objects.filter(name="lost").exists()
    assert _incidents("lock_release_failed").count() == 1


def test_monitoring_that_breaks_after_the_commit_does_not_fail_the_operation(settings):
    settings.TRANSACTION_HEALTH_THRESHOLDS = {"slow_transaction_ms": "not a number"}  # record() now raises

    @atomic_view_operation(name="tests.create_group")
    def create(name):
        return Group.objects.create(name=name)

    assert create("watched").name == "watched"
    assert Group.objects.filter(name="watched").exists()
    assert _incidents("monitoring_failed").get().operation == "tests.create_group"
