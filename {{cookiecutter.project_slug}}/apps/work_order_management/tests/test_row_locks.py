"""The database row locks, proven on their own: the statements carry ``FOR NO KEY UPDATE``, and
numbering and permit decisions stay correct when the distributed lock expires under a slow holder
(so that only the row lock keeps the two transactions apart)."""

import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.peoples.tests.concurrency import concurrent_db, needs_postgres_and_redis, run_concurrently
from apps.work_order_management import services
from apps.work_order_management.models import PermitApproval, WorkOrder, WorkPermit
from apps.work_order_management.services import create_work_order, decide_permit

pytestmark = needs_postgres_and_redis

# The distributed lock lives 0.1 s; the holder stays 0.6 s in its transaction.
EXPIRING = (0.1, 5)
HOLD = 0.6


@pytest.fixture
def permit(permit, verifier_person):
    """The permit once its verifier confirmed the checklist: now its approver decides."""
    return decide_permit(author=verifier_person, permit=permit, decision="APPROVED", role="VERIFIER")


def _locking_statements(queries, table):
    return [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"] and "FOR NO KEY UPDATE" in q["sql"]]


def _slowed(name):
    """``services.<name>`` made to pause first, inside the transaction of whoever calls it."""
    real = getattr(services, name)

    def slow(*args, **kwargs):
        time.sleep(HOLD)
        return real(*args, **kwargs)

    return mock.patch.object(services, name, side_effect=slow)


@pytest.mark.django_db
def test_the_work_order_counter_is_read_under_a_row_lock(author, settings):
    settings.DISTRIBUTED_LOCK_BACKEND = "redis"
    with CaptureQueriesContext(connection) as queries:
        create_work_order(author=author, description="counted")
    assert _locking_statements(queries, "work_order_management_workordersequence"), [q["sql"] for q in queries]


@pytest.mark.django_db
def test_a_permit_decision_reads_the_permit_under_a_row_lock(permit, approver_person, settings):
    settings.DISTRIBUTED_LOCK_BACKEND = "redis"
    with CaptureQueriesContext(connection) as queries:
        decide_permit(author=approver_person, permit=permit, decision="APPROVED")
    assert _locking_statements(queries, "work_order_management_workpermit"), [q["sql"] for q in queries]


@concurrent_db
def test_numbers_stay_distinct_when_the_numbering_lock_expires_under_a_slow_holder(author, settings):
    settings.DISTRIBUTED_LOCK_BACKEND = "redis"
    settings.DISTRIBUTED_LOCK_TYPES = {"WORK_ORDER_NUMBERING": EXPIRING}
    with _slowed("_notify_vendor_after_commit"):  # after the counter is read, before the commit
        outcomes = run_concurrently(
            *[lambda i=i: create_work_order(author=author, description=f"race {i}").number for i in range(3)]
        )

    assert [outcome.error for outcome in outcomes] == [None] * 3
    year = timezone.localdate().year
    assert sorted(outcome.value for outcome in outcomes) == [f"WO-{year}-{n:06d}" for n in (1, 2, 3)]
    assert WorkOrder.objects.count() == 3


@concurrent_db
def test_one_approvers_two_decisions_record_one_when_the_permit_lock_expires(permit, approver_person, settings):
    settings.DISTRIBUTED_LOCK_BACKEND = "redis"
    settings.DISTRIBUTED_LOCK_TYPES = {"PERMIT_APPROVAL": EXPIRING}
    with _slowed("_record_decision"):  # after the permit row is locked, inside the transaction
        outcomes = run_concurrently(
            *[
                lambda decision=decision: decide_permit(author=approver_person, permit=permit, decision=decision)
                for decision in ("APPROVED", "REJECTED")
            ]
        )

    winners = [outcome for outcome in outcomes if outcome.ok]
    assert len(winners) == 1, [outcome.error for outcome in outcomes]
    assert all(isinstance(outcome.error, ValidationError) for outcome in outcomes if not outcome.ok)
    decided = PermitApproval.objects.filter(permit=permit, role="APPROVER").exclude(decision="PENDING")
    assert decided.count() == 1
    assert WorkPermit.objects.get(pk=permit.pk).status == winners[0].value.status
