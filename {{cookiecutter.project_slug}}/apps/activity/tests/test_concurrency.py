"""Assets and jobneeds written by real threads at once, on PostgreSQL with Redis locks.

Each operation takes its Redis lock and also re-reads the row under ``SELECT ... FOR UPDATE``:
the tests show that concurrent writers are serialised, that every change is logged exactly once
in a consistent chain, and that the database still prevents a lost update when the lock expires
under a slow holder.
"""

import threading
import time
from contextlib import ExitStack
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from prometheus_client import REGISTRY

from apps.activity import services
from apps.activity.models import Asset, AssetLog, Job, Jobneed
from apps.activity.services import change_asset_status, schedule, transition_jobneed, update_job
from apps.core.services.distributed_locks import LockAcquisitionError
from apps.core.services.userinfo import save_userinfo
from apps.onboarding.models import Bt
from apps.peoples.services import create_person
from apps.peoples.tests.concurrency import concurrent_db, needs_postgres_and_redis, run_concurrently

pytestmark = [needs_postgres_and_redis, concurrent_db]


@pytest.fixture(autouse=True)
def _redis_locks(settings):
    settings.DISTRIBUTED_LOCK_BACKEND = "redis"


def _writers(client_bt, site_bt, count):
    return [
        create_person(
            author=None,
            username=f"writer{n}",
            peoplecode=f"WR{n:02d}",
            peoplename=f"Writer {n}",
            client=client_bt,
            site=site_bt,
        )
        for n in range(count)
    ]


def _slowed(seconds):
    """Make the save step of the activity services pause, widening the window a race needs."""
    patches = ExitStack()
    for name in ("save_userinfo", "save_changes"):
        real = getattr(services, name)

        def slow(*args, real=real, **kwargs):
            time.sleep(seconds)
            return real(*args, **kwargs)

        patches.enter_context(mock.patch.object(services, name, side_effect=slow))
    return patches


def _assert_log_chain_is_consistent(asset):
    logs = list(AssetLog.objects.filter(asset=asset).order_by("pk"))
    assert logs[0].oldstatus == ""
    for previous, log in zip(logs, logs[1:], strict=False):
        assert log.oldstatus == previous.newstatus, [(entry.oldstatus, entry.newstatus) for entry in logs]
    assert Asset.objects.get(pk=asset.pk).status == logs[-1].newstatus
    return logs


def test_ten_concurrent_stampings_of_one_asset_keep_its_creator_client_and_site(author, asset, client_bt, site_bt):
    writers = _writers(client_bt, site_bt, 10)
    elsewhere = Bt.objects.create(bucode="OTHER", buname="Other client", identifier=Bt.Identifier.CLIENT)
    elsewhere_site = Bt.objects.create(
        bucode="OTHER-1", buname="Other site", identifier=Bt.Identifier.SITE, parent=elsewhere
    )

    def stamp(number):
        def write():
            with transaction.atomic():
                copy = Asset.objects.select_for_update().get(pk=asset.pk)  # re-read under the row lock
                copy.location = f"Room {number}"
                # An explicit client/site never moves a record that already belongs somewhere.
                return save_userinfo(copy, writers[number], client=elsewhere, site=elsewhere_site)

        return write

    outcomes = run_concurrently(*[stamp(number) for number in range(10)])

    assert [outcome.error for outcome in outcomes] == [None] * 10
    stored = Asset.objects.get(pk=asset.pk)
    assert stored.cuser_id == author.pk
    assert stored.muser_id in {writer.pk for writer in writers}
    assert stored.location == f"Room {[writer.pk for writer in writers].index(stored.muser_id)}"
    assert (stored.client_id, stored.site_id) == (client_bt.pk, site_bt.pk)
    assert stored.status == "WORKING"
    assert AssetLog.objects.filter(asset=asset).count() == 1


def test_five_concurrent_status_changes_of_one_asset_are_each_logged_once_in_order(author, asset, client_bt, site_bt):
    writers = _writers(client_bt, site_bt, 5)
    targets = ["MAINTENANCE", "STANDBY", "WORKING", "MAINTENANCE", "STANDBY"]

    with _slowed(0.05):
        outcomes = run_concurrently(
            *[
                lambda writer=writer, status=status: change_asset_status(author=writer, asset=asset, status=status)
                for writer, status in zip(writers, targets, strict=True)
            ]
        )

    succeeded = [outcome for outcome in outcomes if outcome.ok]
    assert succeeded, [outcome.error for outcome in outcomes]
    # A loser was refused with a clear message (its status was already the current one).
    assert all(isinstance(outcome.error, ValidationError) for outcome in outcomes if not outcome.ok)
    logs = _assert_log_chain_is_consistent(asset)
    assert len(logs) == 1 + len(succeeded)  # the creation, then one row per successful change
    assert logs[-1].newstatus in targets
    assert sorted(log.newstatus for log in logs[1:]) == sorted(outcome.value.status for outcome in succeeded)


def test_concurrent_transitions_of_one_jobneed_let_exactly_one_win(job, client_bt, site_bt):
    writers = _writers(client_bt, site_bt, 5)
    jobneed = job.jobneeds.first()

    with _slowed(0.05):
        outcomes = run_concurrently(
            *[
                lambda writer=writer: transition_jobneed(author=writer, jobneed=jobneed, to_status="INPROGRESS")
                for writer in writers
            ]
        )

    winners = [outcome for outcome in outcomes if outcome.ok]
    assert len(winners) == 1, [outcome.error for outcome in outcomes]
    losers = [outcome.error for outcome in outcomes if not outcome.ok]
    assert all(isinstance(error, ValidationError | LockAcquisitionError) for error in losers), losers
    assert all("INPROGRESS to INPROGRESS" in str(error) for error in losers if isinstance(error, ValidationError))
    stored = Jobneed.objects.get(pk=jobneed.pk)
    assert stored.jobstatus == "INPROGRESS"
    assert stored.performedby_id == winners[0].value.performedby_id
    assert stored.muser_id == stored.performedby_id


def test_concurrent_replans_of_one_job_leave_exactly_the_last_plans_occurrences(author, job):
    frequencies = ["DAILY", "MONTHLY", "WEEKLY", "DAILY"]
    copies = [Job.objects.get(pk=job.pk) for _ in frequencies]

    with _slowed(0.05):
        outcomes = run_concurrently(
            *[
                lambda copy=copy, frequency=frequency: update_job(author=author, job=copy, frequency=frequency)
                for copy, frequency in zip(copies, frequencies, strict=True)
            ]
        )

    assert [outcome.error for outcome in outcomes] == [None] * len(frequencies)
    stored = Job.objects.get(pk=job.pk)
    assert stored.frequency in frequencies
    planned = list(stored.jobneeds.order_by("plandatetime").values_list("plandatetime", "jobstatus"))
    assert planned == [(plan, "ASSIGNED") for plan in schedule(stored)]


def test_concurrent_reassignments_of_one_job_to_one_person_email_them_once(author, job, client_bt, site_bt, mailoutbox):
    newcomer = create_person(
        author=None, username="newcomer", peoplecode="NEW01", peoplename="Nina New", email="nina@example.com",
        client=client_bt, site=site_bt,
    )  # fmt: skip
    mailoutbox.clear()
    copies = [Job.objects.get(pk=job.pk) for _ in range(3)]

    with _slowed(0.05):
        outcomes = run_concurrently(
            *[lambda copy=copy: update_job(author=author, job=copy, people=newcomer) for copy in copies]
        )

    assert [outcome.error for outcome in outcomes] == [None, None, None]
    assert Job.objects.get(pk=job.pk).people_id == newcomer.pk
    # Only the first re-plan saw another assignee in the stored row; the others changed nothing.
    assert [message.to for message in mailoutbox] == [[newcomer.email]]


@override_settings(DISTRIBUTED_LOCK_TYPES={"ASSET_STATUS_UPDATE": (0.5, 5)})
def test_a_lock_expiring_under_a_slow_holder_is_reported_and_loses_no_update(author, asset, caplog):
    expired = {"lock_type": "ASSET_STATUS_UPDATE"}
    expired_before = REGISTRY.get_sample_value("distributed_lock_expired_under_holder_total", expired) or 0
    inside = threading.Event()
    real = services.save_changes

    def first_caller_pauses(*args, **kwargs):
        if not inside.is_set():
            inside.set()
            time.sleep(1.5)  # three times the lock's TTL, after its SELECT ... FOR UPDATE
        return real(*args, **kwargs)

    def second():
        assert inside.wait(5)
        return change_asset_status(author=author, asset=asset, status="MAINTENANCE")

    with mock.patch.object(services, "save_changes", side_effect=first_caller_pauses):
        outcomes = run_concurrently(
            lambda: change_asset_status(author=author, asset=asset, status="STANDBY"),
            second,
        )

    assert [outcome.error for outcome in outcomes] == [None, None]
    logs = _assert_log_chain_is_consistent(asset)
    assert [(log.oldstatus, log.newstatus) for log in logs] == [
        ("", "WORKING"),
        ("WORKING", "STANDBY"),
        ("STANDBY", "MAINTENANCE"),
    ]
    expired_after = REGISTRY.get_sample_value("distributed_lock_expired_under_holder_total", expired)
    assert expired_after >= expired_before + 1
    assert any(
        "expired or was taken over" in record.getMessage() and record.levelname == "ERROR" for record in caplog.records
    )
