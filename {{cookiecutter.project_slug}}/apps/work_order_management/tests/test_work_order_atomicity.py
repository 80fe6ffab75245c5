"""Work orders: creation and changes are each all or nothing, the vendor hears only of commits.

Creation takes the client's numbering lock and then opens its own durable transaction, so it is
always the outermost boundary: inside the test case's transaction that boundary is a savepoint
whose rollback discards rows and on_commit callbacks as the real rollback would, and inside any
other transaction it refuses to run. Changes join an outer transaction, which a test opens to
stand in for the operation's own. Dispatch is a saga: see ``test_dispatch_saga``.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.services.distributed_locks import LockRegistry
from apps.core.testing import InjectedFault, fault_at
from apps.work_order_management.models import WorkOrder, WorkOrderHistory, WorkOrderSequence
from apps.work_order_management.services import create_work_order, dispatch_work_order_to_vendor, update_work_order
from apps.work_order_management.tasks import notify_vendor

SERVICES = "apps.work_order_management.services"
CREATE_STEPS = [
    "_new_work_order",
    "save_userinfo",
    "_record_history",
    "_allocate_number",
    "_notify_vendor_after_commit",
]
UPDATE_STEPS = ["_lock_work_order", "_apply_changes", "save_userinfo", "_record_history", "_notify_vendor_after_commit"]


def _saved_state(workorder):
    return WorkOrder.objects.filter(pk=workorder.pk).values().get()


@pytest.mark.parametrize("step", CREATE_STEPS)
def test_work_order_creation_leaves_nothing_when_a_step_fails(
    step, author, vendor, asset, wom_rows, mailoutbox, django_capture_on_commit_callbacks
):
    rows = wom_rows()
    with django_capture_on_commit_callbacks() as callbacks:
        with fault_at(SERVICES, step), pytest.raises(InjectedFault):
            create_work_order(author=author, description="Fix the door", vendor=vendor, asset=asset)
    assert rows.changed() == {}
    assert callbacks == []
    assert mailoutbox == []


@pytest.mark.parametrize("step", CREATE_STEPS)
def test_work_order_creation_failure_keeps_the_counter(
    step, author, vendor, workorder, wom_rows, mailoutbox, django_capture_on_commit_callbacks
):
    counter_before = WorkOrderSequence.objects.values().get()
    rows = wom_rows()
    with django_capture_on_commit_callbacks() as callbacks:
        with fault_at(SERVICES, step), pytest.raises(InjectedFault):
            create_work_order(author=author, description="Fix the door", vendor=vendor)
    assert rows.changed() == {}
    assert WorkOrderSequence.objects.values().get() == counter_before
    assert callbacks == []
    assert mailoutbox == []


@pytest.mark.parametrize("step", UPDATE_STEPS)
def test_work_order_change_leaves_nothing_when_a_step_fails(
    step, author, workorder, wom_rows, mailoutbox, django_capture_on_commit_callbacks
):
    before = _saved_state(workorder)
    rows = wom_rows()
    with django_capture_on_commit_callbacks() as callbacks:
        with fault_at(SERVICES, step), pytest.raises(InjectedFault):
            update_work_order(author=author, workorder=workorder, workstatus="INPROGRESS", priority="HIGH")
    assert rows.changed() == {}
    assert _saved_state(workorder) == before
    assert callbacks == []
    assert mailoutbox == []


def test_work_order_creation_numbers_records_and_tells_the_vendor(
    author, vendor, asset, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        workorder = create_work_order(author=author, description="Fix the door", vendor=vendor, asset=asset)
    workorder.refresh_from_db()
    assert workorder.number.endswith("-000001") and workorder.sequence == 1
    assert workorder.workstatus == WorkOrder.WorkStatus.ASSIGNED
    history = workorder.history.get()
    assert (history.action, history.changed_by_id) == ("CREATED", author.pk)
    assert history.snapshot["description"] == "Fix the door"
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [["jobs@fixit.example"]]
    assert workorder.number in mailoutbox[0].subject


def test_work_order_without_vendor_notifies_nobody(author, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        create_work_order(author=author, description="Sweep the yard")
    assert callbacks == []
    assert mailoutbox == []


def test_work_order_change_records_a_snapshot_of_the_changes(
    author, workorder, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        update_work_order(author=author, workorder=workorder, workstatus="INPROGRESS", priority="HIGH")
    entry = workorder.history.order_by("-pk").first()
    assert entry.action == WorkOrderHistory.Action.STATUS_CHANGED
    assert entry.snapshot == {"priority": ["MEDIUM", "HIGH"], "workstatus": ["ASSIGNED", "INPROGRESS"]}
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1


def test_work_order_change_without_status_change_tells_nobody(
    author, workorder, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        update_work_order(author=author, workorder=workorder, description="Replace all filters")
    entry = workorder.history.order_by("-pk").first()
    assert entry.action == WorkOrderHistory.Action.UPDATED
    assert entry.snapshot == {"description": ["Replace the filters", "Replace all filters"]}
    assert callbacks == []


def test_work_order_refuses_an_impossible_status_change(author, workorder, wom_rows):
    update_work_order(author=author, workorder=workorder, workstatus="CANCELLED")
    rows = wom_rows()
    with pytest.raises(ValidationError) as excinfo:
        update_work_order(author=author, workorder=workorder, workstatus="INPROGRESS")
    assert "workstatus" in excinfo.value.message_dict
    assert rows.changed() == {}


def test_work_order_refuses_a_vendor_of_another_client(author, wom_rows):
    from apps.onboarding.models import Bt
    from apps.work_order_management.models import Vendor

    other = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    other_site = Bt.objects.create(bucode="OTHER-1", buname="Other 1", identifier=Bt.Identifier.SITE, parent=other)
    foreign = Vendor.objects.create(client=other, site=other_site, code="FOREIGN", name="Foreign")
    rows = wom_rows()
    with pytest.raises(ValidationError) as excinfo:
        create_work_order(author=author, description="x", vendor=foreign)
    assert "vendor" in excinfo.value.message_dict
    assert rows.changed() == {}


@pytest.mark.django_db(transaction=True)
def test_work_order_creation_refuses_to_run_inside_an_outer_transaction_and_keeps_no_lock(
    author, client_bt, vendor, wom_rows, mailoutbox
):
    """Its lock would end before an outer transaction commits: creation must be the outermost boundary."""
    mailoutbox.clear()  # the vendor's creation committed
    rows = wom_rows()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        create_work_order(author=author, description="Fix the door", vendor=vendor)
    assert rows.changed() == {}
    assert mailoutbox == []
    assert LockRegistry.get_lock("WORK_ORDER_NUMBERING", client_bt.pk).acquire().release(), "the lock was released"


@pytest.mark.django_db(transaction=True)
def test_work_order_change_inside_an_outer_transaction_that_rolls_back_leaves_nothing_and_sends_nothing(
    author, workorder, wom_rows, mailoutbox
):
    before = _saved_state(workorder)
    mailoutbox.clear()  # the order's creation committed and told its vendor
    rows = wom_rows()
    with pytest.raises(InjectedFault), transaction.atomic():
        update_work_order(author=author, workorder=workorder, workstatus="INPROGRESS")
        raise InjectedFault("the outer operation fails after the order was changed")
    assert rows.changed() == {}
    assert _saved_state(workorder) == before
    assert mailoutbox == []


def test_a_work_order_being_dispatched_keeps_its_status(author, workorder):
    """While a dispatch saga holds the order (between its steps), a status change is refused."""
    WorkOrder.objects.filter(pk=workorder.pk).update(dispatch_reference="0b6f2a7e-5f1d-4c1e-9b7a-2f8d1c3e4a5b")
    workorder.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        update_work_order(author=author, workorder=workorder, workstatus="CANCELLED")
    assert "workstatus" in excinfo.value.message_dict
    assert WorkOrder.objects.get(pk=workorder.pk).workstatus == WorkOrder.WorkStatus.ASSIGNED
    with pytest.raises(ValidationError) as excinfo:
        dispatch_work_order_to_vendor(author=author, workorder=workorder)
    assert "workorder" in excinfo.value.message_dict


def test_notify_vendor_tolerates_a_vanished_work_order(db, mailoutbox):
    assert notify_vendor(987654, "CREATED") == []
    assert mailoutbox == []
