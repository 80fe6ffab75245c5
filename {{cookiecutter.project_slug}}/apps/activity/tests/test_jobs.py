"""PPM jobs: the schedule they generate, re-planning, the workflow of each occurrence."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.activity.models import Job, Jobneed
from apps.activity.services import (
    autoclose_expired_jobneeds,
    create_job,
    schedule,
    transition_jobneed,
    update_job,
)
from apps.activity.tasks import autoclose_expired_jobneeds_task, notify_job_assigned

pytestmark = pytest.mark.django_db


def test_job_generates_one_assigned_jobneed_per_week_of_its_window(job, window, author):
    plans = list(job.jobneeds.values_list("plandatetime", flat=True))
    assert plans == [window[0] + timedelta(weeks=n) for n in range(4)]
    first = job.jobneeds.first()
    assert first.expirydatetime - first.plandatetime == timedelta(minutes=45)
    assert (first.jobstatus, first.client_id, first.site_id, first.cuser) == (
        "ASSIGNED",
        job.asset.client_id,
        job.asset.site_id,
        author,
    )


@pytest.mark.parametrize(("frequency", "count"), [("DAILY", 28), ("WEEKLY", 4), ("MONTHLY", 1)])
def test_job_schedule_follows_its_frequency(author, asset, window, frequency, count):
    job = create_job(
        author=author, jobname="Check", asset=asset, frequency=frequency, fromdate=window[0], uptodate=window[1]
    )
    assert job.jobneeds.count() == count
    assert (job.client_id, job.site_id) == (asset.client_id, asset.site_id)


def test_monthly_schedule_keeps_the_day_of_month_where_it_can():
    job = Job(
        frequency=Job.Frequency.MONTHLY,
        fromdate=datetime(2031, 1, 31, 8, tzinfo=UTC),
        uptodate=datetime(2031, 5, 1, tzinfo=UTC),
    )
    assert [plan.date().isoformat() for plan in schedule(job)] == [
        "2031-01-31",
        "2031-02-28",
        "2031-03-31",
        "2031-04-30",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"uptodate": datetime(2029, 1, 1, tzinfo=UTC)}, "uptodate"),
        ({"frequency": "HOURLY"}, "frequency"),
        ({"planduration": 0}, "planduration"),
    ],
)
def test_job_refuses_a_bad_schedule(author, asset, window, changes, field):
    kwargs = {"fromdate": window[0], "uptodate": window[1], **changes}
    with pytest.raises(ValidationError) as caught:
        create_job(author=author, jobname="Check", asset=asset, **kwargs)
    assert field in caught.value.error_dict
    assert not Job.objects.exists()


def test_job_refuses_an_assignee_of_another_client(author, asset, window):
    from apps.onboarding.models import Bt
    from apps.peoples.services import create_person

    other_client = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    stranger = create_person(author=None, username="x", peoplecode="X1", peoplename="X", client=other_client)
    with pytest.raises(ValidationError) as caught:
        create_job(author=author, jobname="Check", asset=asset, people=stranger, fromdate=window[0], uptodate=window[1])
    assert "people" in caught.value.error_dict


def test_job_assignee_is_emailed_after_commit(
    author, asset, technician, window, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        create_job(
            author=author, jobname="Check", asset=asset, people=technician, fromdate=window[0], uptodate=window[1]
        )
        assert mailoutbox == []
    assert len(callbacks) == 1
    assert [message.to for message in mailoutbox] == [[technician.email]]


def test_job_without_assignee_schedules_no_mail(author, asset, window, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        create_job(author=author, jobname="Check", asset=asset, fromdate=window[0], uptodate=window[1])
    assert callbacks == []


def test_notification_task_tolerates_a_deleted_job_or_missing_address(job, technician, mailoutbox):
    assert notify_job_assigned(job.pk + 1000) is False
    technician.email = ""
    technician.save()
    assert notify_job_assigned(job.pk) is False
    assert mailoutbox == []


def _running_job(author, asset, technician):
    """A daily job that started 3 days ago and runs 3 more days: 4 past and 3 future occurrences."""
    start = (timezone.now() - timedelta(days=3, hours=1)).replace(microsecond=0)
    return create_job(
        author=author,
        jobname="Daily round",
        asset=asset,
        people=technician,
        frequency=Job.Frequency.DAILY,
        fromdate=start,
        uptodate=start + timedelta(days=7),
        planduration=30,
    )


def test_job_update_replans_only_future_jobneeds_nobody_started(author, asset, technician):
    job = _running_job(author, asset, technician)
    now = timezone.now()
    past = list(job.jobneeds.filter(plandatetime__lt=now).values_list("pk", "expirydatetime"))
    started = job.jobneeds.filter(plandatetime__gte=now).first()
    transition_jobneed(author=technician, jobneed=started, to_status="INPROGRESS")
    update_job(author=author, job=job, planduration=120, jobdesc="Check oil too")
    assert list(job.jobneeds.filter(plandatetime__lt=now).values_list("pk", "expirydatetime")) == past
    future = job.jobneeds.filter(plandatetime__gte=now).exclude(pk=started.pk)
    assert future.count() == 2
    assert all(n.expirydatetime - n.plandatetime == timedelta(minutes=120) for n in future)
    assert set(future.values_list("jobdesc", flat=True)) == {"Check oil too"}
    assert Jobneed.objects.get(pk=started.pk).jobstatus == "INPROGRESS"


def test_job_update_that_shortens_the_window_drops_the_jobneeds_beyond_it(author, job, window):
    update_job(author=author, job=job, uptodate=window[0] + timedelta(days=14))
    assert job.jobneeds.count() == 2


def test_job_update_refuses_fields_that_cannot_change(author, job, asset):
    with pytest.raises(ValidationError) as caught:
        update_job(author=author, job=job, asset=asset)
    assert "asset" in caught.value.error_dict


def test_job_reassignment_emails_the_new_assignee_only(author, job, mailoutbox, django_capture_on_commit_callbacks):
    from apps.peoples.services import create_person

    other = create_person(
        author=None, username="o", peoplecode="O1", peoplename="Otto", email="otto@example.com",
        client=job.client, site=job.site,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        update_job(author=author, job=job, jobname="Inspect pump (weekly)")
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        update_job(author=author, job=job, people=other)
    assert [message.to for message in mailoutbox] == [["otto@example.com"]]


@pytest.mark.parametrize(
    "path",
    [["INPROGRESS", "COMPLETED"], ["AUTOCLOSED"], ["INPROGRESS", "AUTOCLOSED"]],
)
def test_jobneed_follows_its_workflow(author, technician, job, path):
    jobneed = job.jobneeds.first()
    for status in path:
        jobneed = transition_jobneed(author=technician, jobneed=jobneed, to_status=status, remarks=f"to {status}")
    stored = Jobneed.objects.get(pk=jobneed.pk)
    assert (stored.jobstatus, stored.remarks, stored.muser) == (path[-1], f"to {path[-1]}", technician)
    if "INPROGRESS" in path:
        assert stored.performedby == technician


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "COMPLETED"),
        ([], "ASSIGNED"),
        (["INPROGRESS"], "ASSIGNED"),
        (["INPROGRESS", "COMPLETED"], "AUTOCLOSED"),
        (["AUTOCLOSED"], "INPROGRESS"),
        ([], "DONE"),
    ],
)
def test_jobneed_refuses_moves_outside_its_workflow(author, job, path, refused):
    jobneed = job.jobneeds.first()
    for status in path:
        jobneed = transition_jobneed(author=author, jobneed=jobneed, to_status=status)
    with pytest.raises(ValidationError) as caught:
        transition_jobneed(author=author, jobneed=jobneed, to_status=refused)
    assert "to_status" in caught.value.error_dict
    assert Jobneed.objects.get(pk=jobneed.pk).jobstatus == (path[-1] if path else "ASSIGNED")


def test_jobneed_transition_checks_the_stored_status_not_a_stale_copy(author, job):
    stale = job.jobneeds.first()
    transition_jobneed(author=author, jobneed=Jobneed.objects.get(pk=stale.pk), to_status="AUTOCLOSED")
    with pytest.raises(ValidationError):
        transition_jobneed(author=author, jobneed=stale, to_status="INPROGRESS")
    assert Jobneed.objects.get(pk=stale.pk).jobstatus == "AUTOCLOSED"


def test_expired_open_jobneeds_are_autoclosed(author, asset, technician):
    job = _running_job(author, asset, technician)
    assert autoclose_expired_jobneeds() == 4
    assert list(job.jobneeds.values_list("jobstatus", flat=True)) == ["AUTOCLOSED"] * 4 + ["ASSIGNED"] * 3


@pytest.mark.django_db(transaction=True)
def test_autoclose_task_runs_as_its_own_transaction(author, asset, technician):
    job = _running_job(author, asset, technician)
    assert autoclose_expired_jobneeds_task.delay().get() == 4
    assert job.jobneeds.filter(jobstatus="AUTOCLOSED").count() == 4
