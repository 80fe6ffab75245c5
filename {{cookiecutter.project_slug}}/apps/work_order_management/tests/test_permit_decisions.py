"""Approvers decide on verified permits: one decision per approver, a decided permit stays decided.

A decision takes the permit's approval lock and then opens its own durable transaction, so it is
always the outermost boundary: inside the test case's transaction it is a savepoint whose
rollback discards rows and on_commit callbacks as the real one would; inside any other
transaction it refuses to run.
"""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test import override_settings

from apps.core.services.distributed_locks import LockAcquisitionError, LockRegistry
from apps.core.testing import InjectedFault, fault_at
from apps.work_order_management.models import Approver, PermitApproval, WorkPermit
from apps.work_order_management.services import create_approver, create_work_permit, decide_permit
from apps.work_order_management.tasks import notify_permit_author

SERVICES = "apps.work_order_management.services"
DECIDE_STEPS = [
    "_lock_permit",
    "_pending_part_of",
    "_awaiting_verification",
    "_record_decision",
    "_settle_permit",
    "_notify_author_after_commit",
]


def _approval_states(permit):
    return list(PermitApproval.objects.filter(permit=permit).order_by("pk").values_list("decision", "decided_at"))


@pytest.fixture
def permit(permit, verifier_person):
    """The permit once its verifier confirmed the checklist: now it waits for its approver."""
    return decide_permit(author=verifier_person, permit=permit, decision="APPROVED", role="VERIFIER")


@pytest.mark.parametrize("step", DECIDE_STEPS)
def test_decision_leaves_nothing_when_a_step_fails(
    step, permit, approver_person, wom_rows, mailoutbox, django_capture_on_commit_callbacks
):
    approvals_before = _approval_states(permit)
    rows = wom_rows()
    with django_capture_on_commit_callbacks() as callbacks:
        with fault_at(SERVICES, step), pytest.raises(InjectedFault):
            decide_permit(author=approver_person, permit=permit, decision="APPROVED")
    assert rows.changed() == {}
    assert _approval_states(permit) == approvals_before
    assert WorkPermit.objects.get(pk=permit.pk).status == WorkPermit.Status.PENDING
    assert callbacks == []
    assert mailoutbox == []


def test_approval_by_the_only_approver_approves_the_permit_and_tells_its_author(
    permit, approver_person, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        decided = decide_permit(author=approver_person, permit=permit, decision="APPROVED", remarks="ok")
    assert decided.status == WorkPermit.Status.APPROVED
    approval = PermitApproval.objects.get(permit=permit, role="APPROVER")
    assert (approval.decision, approval.remarks) == ("APPROVED", "ok")
    assert approval.decided_at is not None
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    assert "approved" in mailoutbox[0].subject


def test_rejection_rejects_the_permit(permit, approver_person, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decided = decide_permit(author=approver_person, permit=permit, decision="REJECTED", remarks="no gas test")
    assert decided.status == WorkPermit.Status.REJECTED
    assert "rejected" in mailoutbox[0].subject


def test_permit_waits_for_every_approver(
    author, site_bt, permit_type, approvers, approver_person, second_approver_person, verifier_person, details,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    create_approver(author=author, people=second_approver_person, identifier=Approver.Identifier.APPROVER, site=site_bt)
    permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    decide_permit(author=verifier_person, permit=permit, decision="APPROVED", role="VERIFIER")
    with django_capture_on_commit_callbacks() as callbacks:
        first = decide_permit(author=approver_person, permit=permit, decision="APPROVED")
    assert first.status == WorkPermit.Status.PENDING
    assert callbacks == []
    second = decide_permit(author=second_approver_person, permit=permit, decision="APPROVED")
    assert second.status == WorkPermit.Status.APPROVED


@pytest.mark.parametrize("who", ["verifier_person", "author"])
def test_only_a_pending_approver_may_decide(who, request, permit, wom_rows):
    person = request.getfixturevalue(who)
    rows = wom_rows()
    with pytest.raises(PermissionDenied):
        decide_permit(author=person, permit=permit, decision="APPROVED")
    assert rows.changed() == {}
    assert WorkPermit.objects.get(pk=permit.pk).status == WorkPermit.Status.PENDING


def test_a_decided_permit_cannot_be_decided_again(permit, approver_person):
    decide_permit(author=approver_person, permit=permit, decision="APPROVED")
    with pytest.raises(ValidationError) as excinfo:
        decide_permit(author=approver_person, permit=permit, decision="REJECTED")
    assert "permit" in excinfo.value.message_dict
    assert WorkPermit.objects.get(pk=permit.pk).status == WorkPermit.Status.APPROVED


def test_decision_must_be_approved_or_rejected(permit, approver_person):
    with pytest.raises(ValidationError) as excinfo:
        decide_permit(author=approver_person, permit=permit, decision="PENDING")
    assert "decision" in excinfo.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_decision_refuses_to_run_inside_an_outer_transaction_and_keeps_no_lock(
    permit, approver_person, wom_rows, mailoutbox
):
    """Its lock would end before an outer transaction commits: a decision must be the outermost boundary."""
    mailoutbox.clear()  # the permit's creation and verification committed and told its verifier and approver
    states = _approval_states(permit)
    rows = wom_rows()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        decide_permit(author=approver_person, permit=permit, decision="APPROVED")
    assert rows.changed() == {}
    assert _approval_states(permit) == states
    assert WorkPermit.objects.get(pk=permit.pk).status == WorkPermit.Status.PENDING
    assert mailoutbox == []
    assert LockRegistry.get_lock("PERMIT_APPROVAL", permit.pk).acquire().release(), "the lock was released"


@override_settings(DISTRIBUTED_LOCK_TYPES={"PERMIT_APPROVAL": (5.0, 0.3)})
def test_decision_waits_for_the_permits_approval_lock_and_gives_up_with_a_clear_error(
    permit, approver_person, wom_rows, django_capture_on_commit_callbacks
):
    states = _approval_states(permit)
    held = LockRegistry.get_lock("PERMIT_APPROVAL", permit.pk).acquire()
    try:
        rows = wom_rows()
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(LockAcquisitionError):
            decide_permit(author=approver_person, permit=permit, decision="APPROVED")
        assert rows.changed() == {}
        assert _approval_states(permit) == states
        assert callbacks == []
    finally:
        held.release()
    assert decide_permit(author=approver_person, permit=permit, decision="APPROVED").status == "APPROVED"


def test_notify_permit_author_tolerates_a_vanished_permit(db, mailoutbox):
    assert notify_permit_author(987654) == []
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_decisions_of_one_approver_record_exactly_one(permit, approver_person):
    """The permit row lock serializes the two; the second sees the first's decision and is refused."""
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(decision):
        try:
            barrier.wait()
            outcomes.append(decide_permit(author=approver_person, permit=permit, decision=decision).status)
        except ValidationError as exc:
            outcomes.append(sorted(exc.message_dict))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(d,)) for d in ("APPROVED", "REJECTED")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a decision did not finish: deadlock or endless wait"
    statuses = [o for o in outcomes if isinstance(o, str)]
    refusals = [o for o in outcomes if isinstance(o, list)]
    assert len(statuses) == 1 and len(refusals) == 1
    assert WorkPermit.objects.get(pk=permit.pk).status == statuses[0]
    assert PermitApproval.objects.filter(permit=permit, role="APPROVER").exclude(decision="PENDING").count() == 1
