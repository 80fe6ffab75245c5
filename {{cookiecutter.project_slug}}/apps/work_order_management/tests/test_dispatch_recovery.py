"""A dispatch interrupted where no ``except`` runs is put right: compensated on the way out of a
``SystemExit``, or, after a SIGKILL, by the recovery beat task; staff can release it at once.

Afterwards the order can be dispatched again, and the recovery never undoes anything twice.
"""

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.core.models import SagaExecutionLog
from apps.core.services.saga import TransactionManager, recover_stuck_sagas
from apps.core.tasks import recover_stuck_sagas_task
from apps.peoples.services import create_person
from apps.work_order_management import services
from apps.work_order_management.models import WorkOrder, WorkOrderHistory
from apps.work_order_management.services import DISPATCH_SAGA, dispatch_work_order_to_vendor

from .test_celery_worker import _database_url

pytestmark = pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)

RUNNING = SagaExecutionLog.Status.RUNNING
COMPENSATED = SagaExecutionLog.Status.COMPENSATED


def _runs():
    return SagaExecutionLog.objects.using("monitoring").filter(name=DISPATCH_SAGA)


def _history(workorder):
    return list(WorkOrderHistory.objects.filter(workorder=workorder).order_by("pk").values_list("action", flat=True))


def _state(workorder):
    return WorkOrder.objects.filter(pk=workorder.pk).values("workstatus", "dispatch_reference").get()


@pytest.fixture
def ready(workorder, mailoutbox):
    mailoutbox.clear()
    return workorder


def _die_before_compensating():
    """What a killed process leaves: the step failed and no compensation or final record follows."""
    return mock.patch.object(TransactionManager, "_compensate", side_effect=SystemExit("killed"))


def _crash_at_mark_dispatched(author, workorder):
    with (
        mock.patch.object(services, "_mark_dispatched", side_effect=RuntimeError("process gone")),
        _die_before_compensating(),
        pytest.raises(SystemExit),
    ):
        dispatch_work_order_to_vendor(author=author, workorder=workorder)


@pytest.mark.parametrize("interruption", [SystemExit, KeyboardInterrupt])
def test_a_dispatch_interrupted_by_a_base_exception_is_compensated_before_it_propagates(
    interruption, author, ready, mailoutbox
):
    with mock.patch.object(services, "_mark_dispatched", side_effect=interruption), pytest.raises(interruption):
        dispatch_work_order_to_vendor(author=author, workorder=ready)

    assert _state(ready) == {"workstatus": "ASSIGNED", "dispatch_reference": None}
    assert _history(ready) == ["CREATED", "DISPATCH_CANCELLED"]
    run = _runs().get()
    assert (run.status, run.failed_step) == (COMPENSATED, "mark_dispatched")
    assert run.compensations_run == ["notify_vendor", "reserve"]


def test_each_step_is_recorded_as_it_completes_and_a_crashed_run_is_recovered_by_the_beat_task(
    author, ready, mailoutbox, settings
):
    _crash_at_mark_dispatched(author, ready)
    run = _runs().get()
    assert (run.status, run.steps_completed) == (RUNNING, ["reserve", "notify_vendor"])
    assert _state(ready)["dispatch_reference"] is not None  # stuck: neither cancellable nor dispatchable

    settings.SAGA_RECOVERY_TIMEOUT = 3600
    assert recover_stuck_sagas_task() == 0  # not yet past its timeout: it may still be running
    settings.SAGA_RECOVERY_TIMEOUT = 0
    assert recover_stuck_sagas_task() == 1

    run.refresh_from_db()
    assert (run.status, run.compensations_run) == (COMPENSATED, ["notify_vendor", "reserve"])
    assert _state(ready) == {"workstatus": "ASSIGNED", "dispatch_reference": None}
    assert _history(ready) == ["CREATED", "DISPATCH_CANCELLED"]
    assert [m.subject for m in mailoutbox][-1].lower().endswith("dispatch cancelled")

    out = StringIO()
    call_command("recover_sagas", "--timeout", "0", stdout=out)  # idempotent: nothing is undone twice
    assert "0 saga run(s) recovered" in out.getvalue()
    assert _history(ready) == ["CREATED", "DISPATCH_CANCELLED"]
    dispatched = dispatch_work_order_to_vendor(author=author, workorder=ready)
    assert dispatched.workstatus == WorkOrder.WorkStatus.DISPATCHED


def test_staff_can_release_a_stuck_dispatch_at_once_and_others_cannot(author, ready, client_bt, site_bt):
    _crash_at_mark_dispatched(author, ready)
    clerk = create_person(
        author=None, username="clerk", peoplecode="CLK01", peoplename="Carl Clerk", client=client_bt, site=site_bt
    )
    url = f"/api/v1/work-orders/{ready.pk}/release-dispatch/"
    as_clerk, as_staff = APIClient(), APIClient()
    as_clerk.force_authenticate(clerk)
    as_staff.force_authenticate(author)

    assert as_clerk.post(url).status_code in (403, 404)  # refused, or not even visible to them
    assert _state(ready)["dispatch_reference"] is not None

    released = as_staff.post(url)
    assert released.status_code == 200, released.content
    assert _state(ready) == {"workstatus": "ASSIGNED", "dispatch_reference": None}
    assert _runs().get().status == COMPENSATED
    assert as_staff.post(url).status_code == 400  # nothing left to release
    changed = as_staff.patch(f"/api/v1/work-orders/{ready.pk}/", {"workstatus": "CANCELLED"}, format="json")
    assert changed.status_code == 200, changed.content


# A dispatch in its own process, stopped for good in its last step (after "reserve" and
# "notify_vendor" committed) until the test kills it.
DISPATCHER = """
import sys
import time
from unittest import mock

import django

django.setup()

from apps.peoples.models import People
from apps.work_order_management import services
from apps.work_order_management.models import WorkOrder


def hang(context):
    print("IN LAST STEP", flush=True)
    time.sleep(600)


with mock.patch.object(services, "_mark_dispatched", hang):
    services.dispatch_work_order_to_vendor(
        author=People.objects.get(pk=int(sys.argv[2])), workorder=WorkOrder.objects.get(pk=int(sys.argv[1]))
    )
"""


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the dispatching process must share the test database: set DATABASE_URL=postgres://...",
)
def test_a_dispatch_killed_with_sigkill_between_steps_is_compensated_by_the_beat_task(author, ready, tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url()}
    output = tmp_path / "dispatcher.log"
    with open(output, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", DISPATCHER, str(ready.pk), str(author.pk)],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "IN LAST STEP" not in output.read_text(errors="replace"):
            assert process.poll() is None, output.read_text(errors="replace")
            assert time.monotonic() < deadline, output.read_text(errors="replace")
            time.sleep(0.1)
        run = _runs().get()
        assert (run.status, run.steps_completed) == (RUNNING, ["reserve", "notify_vendor"])
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    assert recover_stuck_sagas(timeout=0) == [run] or _runs().get().status == COMPENSATED
    run.refresh_from_db()
    assert (run.status, run.compensations_run) == (COMPENSATED, ["notify_vendor", "reserve"])
    assert _state(ready) == {"workstatus": "ASSIGNED", "dispatch_reference": None}
    assert _history(ready) == ["CREATED", "DISPATCH_CANCELLED"]
    assert dispatch_work_order_to_vendor(author=author, workorder=ready).workstatus == "DISPATCHED"
