"""Dispatching a work order to its vendor is a saga: reserve, notify the vendor, mark dispatched.

Each step commits on its own, so these tests run with real transactions. When a step fails, the
completed ones are compensated in reverse, the order ends as it was, the run is recorded in
``SagaExecutionLog`` (through the monitoring connection) and the API answers with the saga's id.
"""

from smtplib import SMTPException
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.test import APIClient

from apps.core.models import SagaExecutionLog
from apps.core.services.saga import SagaError
from apps.core.testing import InjectedFault, fault_at
from apps.work_order_management import services
from apps.work_order_management.models import WorkOrder, WorkOrderHistory
from apps.work_order_management.services import DISPATCH_SAGA, create_work_order, dispatch_work_order_to_vendor

pytestmark = pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)

SERVICES = "apps.work_order_management.services"
API = "/api/v1"
STEPS = ["reserve", "notify_vendor", "mark_dispatched"]
STEP_FUNCTIONS = {
    "reserve": "_reserve_for_dispatch",
    "notify_vendor": "_notify_vendor_of_dispatch",
    "mark_dispatched": "_mark_dispatched",
}


def _saved_state(workorder):
    return WorkOrder.objects.filter(pk=workorder.pk).values().get()


def _history(workorder):
    return list(WorkOrderHistory.objects.filter(workorder=workorder).order_by("pk").values_list("action", flat=True))


def _saga_runs():
    return SagaExecutionLog.objects.using("monitoring").filter(name=DISPATCH_SAGA)


@pytest.fixture
def ready(workorder, mailoutbox):
    """An assigned order with a vendor; the mail of its creation is cleared away."""
    mailoutbox.clear()
    return workorder


def test_dispatch_reserves_notifies_and_marks_the_order(author, ready, mailoutbox):
    dispatched = dispatch_work_order_to_vendor(author=author, workorder=ready)
    saved = WorkOrder.objects.get(pk=ready.pk)
    assert dispatched.workstatus == saved.workstatus == WorkOrder.WorkStatus.DISPATCHED
    assert saved.dispatch_reference is None
    assert _history(ready) == ["CREATED", "DISPATCH_RESERVED", "DISPATCHED"]
    assert [m.to for m in mailoutbox] == [["jobs@fixit.example"]]
    assert "dispatched" in mailoutbox[0].subject
    run = _saga_runs().get()
    assert run.status == SagaExecutionLog.Status.COMPLETED
    assert run.steps_completed == STEPS
    assert (run.failed_step, run.compensations_run) == ("", [])


@pytest.mark.parametrize(
    ("step", "completed", "compensated", "history_after", "mails"),
    [
        ("reserve", [], [], ["CREATED"], []),
        ("notify_vendor", ["reserve"], ["reserve"], ["CREATED"], []),
        (
            "mark_dispatched",
            ["reserve", "notify_vendor"],
            ["notify_vendor", "reserve"],
            ["CREATED", "DISPATCH_CANCELLED"],
            ["work order {}: dispatched", "work order {}: dispatch cancelled"],
        ),
    ],
)
def test_failed_dispatch_step_compensates_the_completed_ones_and_leaves_the_order_as_it_was(
    step, completed, compensated, history_after, mails, author, ready, mailoutbox
):
    before = _saved_state(ready)
    with fault_at(SERVICES, STEP_FUNCTIONS[step]), pytest.raises(SagaError) as raised:
        dispatch_work_order_to_vendor(author=author, workorder=ready)
    assert _saved_state(ready) == before
    assert _history(ready) == history_after
    assert [m.subject.lower() for m in mailoutbox] == [m.format(ready.number).lower() for m in mails]
    run = _saga_runs().get()
    assert raised.value.log.saga_id == run.saga_id
    assert run.status == SagaExecutionLog.Status.COMPENSATED
    assert run.failed_step == step
    assert run.steps_completed == completed
    assert run.compensations_run == compensated
    assert "injected fault" in run.error


def test_a_step_failing_halfway_rolls_back_its_own_writes(author, ready, mailoutbox):
    """The last step sets DISPATCHED, then its history entry fails: its transaction takes the status back."""
    before = _saved_state(ready)
    record_history = services._record_history

    def history_failing_on_dispatched(workorder, author, action, snapshot):
        if action == WorkOrderHistory.Action.DISPATCHED:
            raise InjectedFault("history write failed")
        return record_history(workorder, author, action, snapshot)

    with mock.patch(f"{SERVICES}._record_history", history_failing_on_dispatched), pytest.raises(SagaError):
        dispatch_work_order_to_vendor(author=author, workorder=ready)
    assert _saved_state(ready) == before
    assert _history(ready) == ["CREATED", "DISPATCH_CANCELLED"]
    assert _saga_runs().get().compensations_run == ["notify_vendor", "reserve"]


def test_a_failing_compensation_is_recorded(author, ready, mailoutbox):
    with (
        fault_at(SERVICES, "_notify_vendor_of_dispatch"),
        fault_at(SERVICES, "_release_reservation"),
        pytest.raises(SagaError),
    ):
        dispatch_work_order_to_vendor(author=author, workorder=ready)
    run = _saga_runs().get()
    assert run.status == SagaExecutionLog.Status.COMPENSATION_FAILED
    assert (run.compensations_failed, run.compensations_run) == (["reserve"], [])
    assert WorkOrder.objects.get(pk=ready.pk).dispatch_reference is not None, "still claimed: the log says why"
    assert mailoutbox == []


def test_an_order_that_cannot_be_dispatched_is_refused_before_the_saga_starts(author, wom_rows, mailoutbox):
    workorder = create_work_order(author=author, description="No vendor yet")
    rows = wom_rows()
    with pytest.raises(ValidationError) as excinfo:
        dispatch_work_order_to_vendor(author=author, workorder=workorder)
    assert "vendor" in excinfo.value.message_dict
    assert rows.changed() == {}
    assert not _saga_runs().exists()


def test_dispatch_refuses_to_run_inside_an_outer_transaction(author, ready, wom_rows, mailoutbox):
    """Inside one, the vendor would hear of a dispatch that the outer rollback could still erase."""
    rows = wom_rows()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        dispatch_work_order_to_vendor(author=author, workorder=ready)
    assert rows.changed() == {}
    assert mailoutbox == []
    assert not _saga_runs().exists()


def test_a_dispatched_order_cannot_be_dispatched_again(author, ready, mailoutbox):
    dispatch_work_order_to_vendor(author=author, workorder=ready)
    with pytest.raises(ValidationError) as excinfo:
        dispatch_work_order_to_vendor(author=author, workorder=ready)
    assert "workstatus" in excinfo.value.message_dict
    assert len(mailoutbox) == 1


# Over the API
# ------------------------------------------------------------------------------


def _api(person):
    client = APIClient()
    client.force_authenticate(person)
    client.raise_request_exception = False
    return client


def test_dispatch_action_dispatches_and_tells_the_vendor_once(author, ready, mailoutbox):
    response = _api(author).post(f"{API}/work-orders/{ready.pk}/dispatch/")
    assert response.status_code == 200, response.json()
    assert response.json()["workstatus"] == "DISPATCHED"
    assert [m.to for m in mailoutbox] == [["jobs@fixit.example"]]


def test_unreachable_vendor_is_a_502_naming_the_saga_and_changes_nothing(author, ready, mailoutbox):
    before = _saved_state(ready)
    with mock.patch("apps.work_order_management.tasks.send_mail", side_effect=SMTPException("mail server down")):
        response = _api(author).post(f"{API}/work-orders/{ready.pk}/dispatch/")
    assert response.status_code == 502
    body = response.json()
    run = _saga_runs().get()
    assert body["saga_id"] == str(run.saga_id)
    assert (body["error"], body["failed_step"], body["compensations_run"]) == (
        "dispatch_failed",
        "notify_vendor",
        ["reserve"],
    )
    assert body["saga_status"] == run.status == SagaExecutionLog.Status.COMPENSATED
    assert "mail server down" in run.error
    assert _saved_state(ready) == before
    assert _history(ready) == ["CREATED"]
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("error", "status"),
    [(ValidationError({"workorder": "changed meanwhile"}), 409), (InjectedFault("disk full"), 500)],
    ids=["rule", "crash"],
)
def test_failed_last_step_over_the_api_is_answered_with_the_saga_id(error, status, author, ready, mailoutbox):
    before = _saved_state(ready)
    with mock.patch(f"{SERVICES}._mark_dispatched", side_effect=error):
        response = _api(author).post(f"{API}/work-orders/{ready.pk}/dispatch/")
    assert response.status_code == status
    body = response.json()
    assert body["saga_id"] == str(_saga_runs().get().saga_id)
    assert body["compensations_run"] == ["notify_vendor", "reserve"]
    assert "as it was" in body["detail"]
    assert _saved_state(ready) == before
    assert [m.subject.split(": ")[-1] for m in mailoutbox] == ["dispatched", "dispatch cancelled"]


def test_dispatch_action_without_a_vendor_is_a_400(author, mailoutbox):
    workorder = create_work_order(author=author, description="No vendor yet")
    response = _api(author).post(f"{API}/work-orders/{workorder.pk}/dispatch/")
    assert response.status_code == 400
    assert "vendor" in response.json()["errors"]
    assert not _saga_runs().exists()
