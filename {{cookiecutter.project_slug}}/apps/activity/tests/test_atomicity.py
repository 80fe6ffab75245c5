"""Every activity write path is all or nothing: a failure at any step leaves no row and sends nothing."""

import importlib
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.activity import services, signals
from apps.activity.models import Asset, AssetLog, Job, Jobneed
from apps.activity.services import (
    change_asset_status,
    create_asset,
    create_job,
    transition_jobneed,
    update_asset,
    update_job,
)
from apps.core.testing import InjectedFault, RowCounts, fault_at

SERVICES = "apps.activity.services"

# (what fails, target, attribute): every step of create_job, in order.
CREATE_JOB_STEPS = [
    ("validation", SERVICES, "_validate_job"),
    ("job save", SERVICES, "save_userinfo"),
    ("jobneed generation", SERVICES, "_generate_jobneeds"),
    ("jobneed insert", Jobneed.objects, "bulk_create"),
    ("notification scheduling", SERVICES, "_notify_assignee_after_commit"),
    ("on-commit registration", SERVICES, "send_task_on_commit"),
]

UPDATE_JOB_STEPS = [
    ("job save", SERVICES, "save_userinfo"),
    ("removal of future jobneeds", SERVICES, "_remove_future_assigned_jobneeds"),
    ("jobneed generation", SERVICES, "_generate_jobneeds"),
    ("jobneed insert", Jobneed.objects, "bulk_create"),
    ("notification scheduling", SERVICES, "_notify_assignee_after_commit"),
]

CHANGE_STATUS_STEPS = [
    ("status save", Asset, "save"),
    ("asset log receiver", "apps.activity.signals", "_write_asset_log"),
    ("asset log insert", AssetLog.objects, "create"),
    ("closing the jobneeds of a scrapped asset", SERVICES, "_autoclose_jobneeds_of"),
]

CREATE_ASSET_STEPS = [
    ("asset save", Asset, "save"),
    ("asset log receiver", "apps.activity.signals", "_write_asset_log"),
]


def _job_kwargs(author, asset, technician, window):
    return {
        "author": author,
        "jobname": "Grease bearings",
        "asset": asset,
        "people": technician,
        "frequency": Job.Frequency.DAILY,
        "fromdate": window[0],
        "uptodate": window[1],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("step", "target", "attribute"), CREATE_JOB_STEPS, ids=[s[0] for s in CREATE_JOB_STEPS])
def test_job_creation_leaves_nothing_when_any_step_fails(
    step, target, attribute, author, asset, technician, window, mailoutbox, django_capture_on_commit_callbacks
):
    counts = RowCounts(Asset, AssetLog, Job, Jobneed)
    with django_capture_on_commit_callbacks() as callbacks, fault_at(target, attribute), pytest.raises(InjectedFault):
        create_job(**_job_kwargs(author, asset, technician, window))
    assert counts.changed() == {}
    assert callbacks == []
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(("step", "target", "attribute"), CREATE_JOB_STEPS, ids=[s[0] for s in CREATE_JOB_STEPS])
def test_job_creation_runs_every_step_it_is_tested_at(step, target, attribute, author, asset, technician, window):
    """The fault-injection table names real steps: each one runs during a job creation."""
    owner = importlib.import_module(target) if isinstance(target, str) else target
    with mock.patch.object(owner, attribute, wraps=getattr(owner, attribute)) as spy:
        create_job(**_job_kwargs(author, asset, technician, window))
    assert spy.called


@pytest.mark.django_db
def test_job_creation_rolls_back_when_the_window_is_too_long(author, asset, technician):
    counts = RowCounts(Job, Jobneed)
    start = timezone.now()
    with pytest.raises(services.ValidationError):
        create_job(
            author=author,
            jobname="Forever",
            asset=asset,
            frequency=Job.Frequency.DAILY,
            fromdate=start,
            uptodate=start + timedelta(days=services.MAX_JOBNEEDS_PER_JOB + 1),
        )
    assert counts.changed() == {}


@pytest.mark.django_db
@pytest.mark.parametrize(("step", "target", "attribute"), UPDATE_JOB_STEPS, ids=[s[0] for s in UPDATE_JOB_STEPS])
def test_job_update_keeps_the_old_schedule_when_any_step_fails(
    step, target, attribute, author, job, mailoutbox, django_capture_on_commit_callbacks
):
    from apps.peoples.services import create_person

    other = create_person(
        author=None, username="other", peoplecode="OTH01", peoplename="Otto", email="otto@example.com",
        client=job.client, site=job.site,
    )  # fmt: skip
    before = list(job.jobneeds.values_list("pk", "plandatetime", "expirydatetime"))
    people_before = job.people_id
    counts = RowCounts(Job, Jobneed)
    with django_capture_on_commit_callbacks() as callbacks, fault_at(target, attribute), pytest.raises(InjectedFault):
        update_job(author=author, job=job, frequency=Job.Frequency.DAILY, planduration=90, people=other)
    assert counts.changed() == {}
    assert list(job.jobneeds.values_list("pk", "plandatetime", "expirydatetime")) == before
    stored = Job.objects.get(pk=job.pk)
    assert (stored.frequency, stored.planduration, stored.people_id) == ("WEEKLY", 30, people_before)
    assert callbacks == []
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(("step", "target", "attribute"), CHANGE_STATUS_STEPS, ids=[s[0] for s in CHANGE_STATUS_STEPS])
def test_status_change_leaves_status_and_history_untouched_when_any_step_fails(
    step, target, attribute, author, asset, job, django_capture_on_commit_callbacks
):
    counts = RowCounts(Asset, AssetLog, Job, Jobneed)
    jobneeds_before = list(Jobneed.objects.values_list("pk", "jobstatus", "remarks"))
    with django_capture_on_commit_callbacks() as callbacks, fault_at(target, attribute), pytest.raises(InjectedFault):
        change_asset_status(author=author, asset=asset, status="SCRAPPED", remarks="Flooded")
    assert counts.changed() == {}
    assert Asset.objects.get(pk=asset.pk).status == "WORKING"
    assert list(AssetLog.objects.values_list("newstatus", flat=True)) == ["WORKING"]
    assert list(Jobneed.objects.values_list("pk", "jobstatus", "remarks")) == jobneeds_before
    assert callbacks == []


@pytest.mark.django_db
@pytest.mark.parametrize(("step", "target", "attribute"), CREATE_ASSET_STEPS, ids=[s[0] for s in CREATE_ASSET_STEPS])
def test_asset_creation_leaves_nothing_when_any_step_fails(step, target, attribute, author):
    counts = RowCounts(Asset, AssetLog)
    with fault_at(target, attribute), pytest.raises(InjectedFault):
        create_asset(author=author, assetcode="P-9", assetname="Pump 9")
    assert counts.changed() == {}


@pytest.mark.django_db
def test_jobneed_transition_leaves_the_status_when_the_save_fails(author, job):
    jobneed = job.jobneeds.first()
    with fault_at(SERVICES, "save_userinfo"), pytest.raises(InjectedFault):
        transition_jobneed(author=author, jobneed=jobneed, to_status="INPROGRESS")
    assert Jobneed.objects.get(pk=jobneed.pk).jobstatus == "ASSIGNED"


@pytest.mark.django_db
def test_job_api_answers_409_and_leaves_nothing_when_a_jobneed_conflicts(api_client, asset, technician, window):
    counts = RowCounts(Job, Jobneed)
    with mock.patch(f"{SERVICES}._generate_jobneeds", side_effect=IntegrityError("duplicate jobneed")):
        response = api_client.post(
            "/api/v1/jobs/",
            {"jobname": "Check", "asset": asset.pk, "frequency": "DAILY", "fromdate": window[0], "uptodate": window[1]},
            format="json",
        )
    assert response.status_code == 409
    assert response.json()["error"] == "integrity_error"
    assert counts.changed() == {}


@pytest.mark.django_db
def test_job_api_answers_400_and_leaves_nothing_when_the_window_is_too_long(api_client, asset, mailoutbox):
    counts = RowCounts(Job, Jobneed)
    start = timezone.now()
    response = api_client.post(
        "/api/v1/jobs/",
        {
            "jobname": "Forever",
            "asset": asset.pk,
            "frequency": "DAILY",
            "fromdate": start,
            "uptodate": start + timedelta(days=services.MAX_JOBNEEDS_PER_JOB + 5),
        },  # fmt: skip
        format="json",
    )
    assert response.status_code == 400
    assert "uptodate" in response.json()["errors"]
    assert counts.changed() == {}
    assert mailoutbox == []


@pytest.mark.django_db
def test_status_api_answers_409_and_leaves_the_status_when_the_log_conflicts(api_client, asset):
    counts = RowCounts(Asset, AssetLog)
    with mock.patch.object(signals, "_write_asset_log", side_effect=IntegrityError("log conflict")):
        response = api_client.post(f"/api/v1/assets/{asset.pk}/status/", {"status": "STANDBY"}, format="json")
    assert response.status_code == 409
    assert counts.changed() == {}
    assert Asset.objects.get(pk=asset.pk).status == "WORKING"


@pytest.mark.django_db
def test_job_form_answers_409_and_leaves_nothing_when_a_jobneed_conflicts(web_client, asset, window):
    counts = RowCounts(Job, Jobneed)
    with mock.patch.object(Jobneed.objects, "bulk_create", side_effect=IntegrityError("duplicate jobneed")):
        response = web_client.post(
            reverse("activity:job-create"),
            {
                "jobname": "Check",
                "asset": asset.pk,
                "frequency": "DAILY",
                "fromdate": "2030-01-07 09:00",
                "uptodate": "2030-01-14 09:00",
                "planduration": 30,
                "gracetime": 0,
            },  # fmt: skip
        )
    assert response.status_code == 409
    assert counts.changed() == {}


# Inside an outer transaction. The lock-taking operations refuse to start: their lock would be
# released before the outer transaction commits. The others join it and roll back with it.


class OuterRollback(Exception):
    pass


def _locking_operations(author, asset, technician, window, job):
    jobneed = job.jobneeds.first()
    return {
        "create_job": lambda: create_job(**_job_kwargs(author, asset, technician, window)),
        "update_job": lambda: update_job(author=author, job=job, frequency=Job.Frequency.DAILY),
        "change_asset_status": lambda: change_asset_status(author=author, asset=asset, status="MAINTENANCE"),
        "transition_jobneed": lambda: transition_jobneed(author=author, jobneed=jobneed, to_status="INPROGRESS"),
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation", ["create_job", "update_job", "change_asset_status", "transition_jobneed"])
def test_locking_operation_refuses_to_run_inside_an_open_transaction_and_writes_nothing(
    operation, author, asset, technician, window, job, mailoutbox
):
    run = _locking_operations(author, asset, technician, window, job)[operation]
    counts = RowCounts(Asset, AssetLog, Job, Jobneed)
    jobneeds_before = list(Jobneed.objects.values_list("pk", "jobstatus", "plandatetime"))
    mailoutbox.clear()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        run()
    assert counts.changed() == {}
    assert list(Jobneed.objects.values_list("pk", "jobstatus", "plandatetime")) == jobneeds_before
    assert Asset.objects.get(pk=asset.pk).status == "WORKING"
    assert mailoutbox == []
    run()  # the refusal released the lock: the same operation succeeds on its own


@pytest.mark.django_db(transaction=True)
def test_asset_writes_inside_a_rolled_back_outer_transaction_leave_nothing(author, asset):
    counts = RowCounts(Asset, AssetLog)
    with pytest.raises(OuterRollback), transaction.atomic():
        create_asset(author=author, assetcode="P-2", assetname="Pump 2")
        update_asset(author=author, asset=asset, location="Roof")
        raise OuterRollback
    assert counts.changed() == {}
    assert Asset.objects.get(pk=asset.pk).location == "Basement"


@pytest.mark.django_db(transaction=True)
def test_committed_job_creation_sends_the_assignment_mail_once(author, asset, technician, window, mailoutbox):
    job = create_job(**_job_kwargs(author, asset, technician, window))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [technician.email]
    assert "28 occurrences" in mailoutbox[0].body
    assert Job.objects.filter(pk=job.pk).exists()
