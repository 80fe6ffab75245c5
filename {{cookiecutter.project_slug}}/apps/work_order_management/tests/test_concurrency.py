"""Under real concurrency (threads, PostgreSQL, Redis locks) numbers, decisions and permits stay whole.

Each thread is its own client with its own database connection, closed when it is done; the
operations are the outermost transactions, as in production, and the distributed locks go to
the Redis in ``REDIS_URL``. Every test runs twice: with locks that hold, and with locks that
expire under their holders, where the database-level guards must suffice on their own. Mail
sent by the threads' on_commit callbacks (eager Celery) lands in the one in-process outbox.
"""

import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from apps.work_order_management.models import (
    Approver,
    PermitApproval,
    WomDetails,
    WorkOrder,
    WorkOrderHistory,
    WorkOrderSequence,
    WorkPermit,
)
from apps.work_order_management.services import (
    create_approver,
    create_work_order,
    create_work_permit,
    decide_permit,
)

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="concurrent writers need PostgreSQL: set DATABASE_URL=postgres://...",
    ),
    pytest.mark.skipif(not settings.REDIS_URL, reason="the distributed locks are tested on Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]

# "held": locks that outlive the operation, with generous waits (these tests are about
# correctness under contention, not the wait bound). "expired": locks whose 1 ms TTL runs out
# under every holder, as after a long pause or a Redis failover: the database's row locks alone
# must then keep the result right.
LOCK_TYPES = {
    "held": {"WORK_ORDER_NUMBERING": (30.0, 60.0), "PERMIT_APPROVAL": (30.0, 60.0)},
    "expired": {"WORK_ORDER_NUMBERING": (0.001, 60.0), "PERMIT_APPROVAL": (0.001, 60.0)},
}


@pytest.fixture(autouse=True, params=list(LOCK_TYPES))
def redis_locks(request):
    with override_settings(DISTRIBUTED_LOCK_BACKEND="redis", DISTRIBUTED_LOCK_TYPES=LOCK_TYPES[request.param]):
        yield request.param


def run_concurrently(operations, timeout=120):
    """Start every operation in its own thread at the same moment; return (results, errors).

    Each thread closes its database connection when done, so none is left open on the test database.
    """
    barrier = threading.Barrier(len(operations))
    results, errors = [], []

    def run(operation):
        try:
            barrier.wait()
            results.append(operation())
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(operation,)) for operation in operations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return results, errors


def test_200_concurrent_work_orders_of_one_client_get_200_unique_gapless_numbers(author, client_bt):
    threads, per_thread = 20, 10

    def create_ten(thread_no):
        return [create_work_order(author=author, description=f"job {thread_no}.{n}").number for n in range(per_thread)]

    results, errors = run_concurrently([lambda i=i: create_ten(i) for i in range(threads)])
    assert errors == []
    numbers = [number for numbers in results for number in numbers]
    total = threads * per_thread
    year = timezone.localdate().year
    assert len(set(numbers)) == len(numbers) == total
    assert sorted(numbers) == [f"WO-{year}-{n:06d}" for n in range(1, total + 1)]
    assert sorted(WorkOrder.objects.values_list("sequence", flat=True)) == list(range(1, total + 1))
    assert WorkOrderSequence.objects.get(client=client_bt).last_number == total
    assert WorkOrderHistory.objects.count() == total


@pytest.fixture
def fresh_permit(author, site_bt, permit_type, approvers, verifier_person, details, mailoutbox):
    """A verified permit waiting for its approver; the mails about it so far are cleared away."""
    author.email = "ada@example.com"
    author.save(update_fields=["email"])
    permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    decide_permit(author=verifier_person, permit=permit, decision="APPROVED", role="VERIFIER")
    mailoutbox.clear()
    return permit


def test_concurrent_approvals_of_one_permit_record_one_and_notify_its_author_once(
    fresh_permit, approver_person, mailoutbox
):
    racers = 8
    results, errors = run_concurrently(
        [lambda: decide_permit(author=approver_person, permit=fresh_permit, decision="APPROVED")] * racers
    )
    assert [permit.status for permit in results] == [WorkPermit.Status.APPROVED]
    assert len(errors) == racers - 1
    assert all(isinstance(error, ValidationError) for error in errors), errors
    assert WorkPermit.objects.get(pk=fresh_permit.pk).status == WorkPermit.Status.APPROVED
    assert PermitApproval.objects.filter(permit=fresh_permit, role="APPROVER", decision="APPROVED").count() == 1
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["ada@example.com"], f"Work permit {fresh_permit} was approved")
    ]


def test_concurrent_approvals_by_two_approvers_settle_the_permit_once(
    author, site_bt, permit_type, approvers, second_approver_person, approver_person, verifier_person, details,
    mailoutbox,
):  # fmt: skip
    """Each must see the other's decision: the one that decides last approves the permit, exactly once."""
    create_approver(author=author, people=second_approver_person, identifier=Approver.Identifier.APPROVER, site=site_bt)
    author.email = "ada@example.com"
    author.save(update_fields=["email"])
    permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    decide_permit(author=verifier_person, permit=permit, decision="APPROVED", role="VERIFIER")
    mailoutbox.clear()
    people = [approver_person, second_approver_person] * 3
    results, errors = run_concurrently(
        [lambda person=person: decide_permit(author=person, permit=permit, decision="APPROVED") for person in people]
    )
    assert len(results) == 2 and len(errors) == 4
    assert all(isinstance(error, ValidationError) for error in errors), errors
    assert WorkPermit.objects.get(pk=permit.pk).status == WorkPermit.Status.APPROVED
    assert PermitApproval.objects.filter(permit=permit, role="APPROVER", decision="APPROVED").count() == 2
    assert [m.subject for m in mailoutbox] == [f"Work permit {permit} was approved"]


def test_concurrent_permit_creations_keep_every_detail_and_orphan_none(
    author, site_bt, permit_type, approvers, mailoutbox
):
    creations, answers = 5, 6
    checklist = [
        {"question": f"Check {n}", "answertype": "NUMERIC", "answer": str(n), "ismandatory": True}
        for n in range(1, answers + 1)
    ]
    results, errors = run_concurrently(
        [
            lambda i=i: create_work_permit(
                author=author, site=site_bt, permit_type=permit_type, details=checklist, remarks=f"racer {i}"
            )
            for i in range(creations)
        ]
    )
    assert errors == []
    permits = WorkPermit.objects.order_by("sequence")
    assert sorted(p.pk for p in results) == sorted(p.pk for p in permits)
    assert [p.permit_name for p in permits] == [f"PTW-ACME-HQ-{n:05d}" for n in range(1, creations + 1)]
    for permit in permits:
        assert list(permit.details.order_by("seqno").values_list("seqno", "question")) == [
            (n, f"Check {n}") for n in range(1, answers + 1)
        ]
        assert permit.approvals.count() == 2
    assert WomDetails.objects.count() == creations * answers
    assert not WomDetails.objects.exclude(permit__in=permits).exists()
    assert sorted(m.subject for m in mailoutbox) == sorted(
        f"Work permit {p.permit_name} needs your verification" for p in permits
    )
