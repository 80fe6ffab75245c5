"""Every write path of activity is all or nothing: each of its writes, failed in turn, leaves nothing.

Writes made by receivers (the asset's status log) and the assignment e-mail sent after commit are
covered without being named here.
"""

from datetime import UTC, datetime, timedelta

import pytest

from apps.activity.models import Asset, Job, Jobneed
from apps.activity.services import (
    autoclose_expired_jobneeds,
    change_asset_status,
    create_asset,
    create_job,
    transition_jobneed,
    update_asset,
    update_job,
)
from apps.activity.tasks import autoclose_expired_jobneeds_task

pytestmark = pytest.mark.usefixtures("each_transaction_mode")


def test_create_asset(assert_all_or_nothing, author, category):
    assert_all_or_nothing(
        lambda: create_asset(author=author, assetcode="P-2", assetname="Pump 2", category=category, location="Roof")
    )


def test_update_asset(assert_all_or_nothing, author, asset):
    assert_all_or_nothing(
        lambda: update_asset(author=author, asset=Asset.objects.get(pk=asset.pk), assetname="Pump 1b", location="Yard")
    )


def test_change_asset_status_scrapping_closes_the_jobs(assert_all_or_nothing, author, asset, job):
    record = assert_all_or_nothing(
        lambda: change_asset_status(author=author, asset=Asset.objects.get(pk=asset.pk), status=Asset.Status.SCRAPPED)
    )
    assert {"activity_asset", "activity_assetlog", "activity_jobneed"} <= set(record.tables)


def test_create_job(assert_all_or_nothing, author, asset, technician, window, mailoutbox):
    record = assert_all_or_nothing(
        lambda: create_job(
            author=author,
            jobname="Grease bearings",
            asset=Asset.objects.get(pk=asset.pk),
            people=technician,
            frequency=Job.Frequency.WEEKLY,
            fromdate=window[0],
            uptodate=window[1],
        )
    )
    assert record.emails == ["New maintenance job: Grease bearings"]


def test_update_job(assert_all_or_nothing, author, job, author_as_assignee):
    assert_all_or_nothing(
        lambda: update_job(
            author=author, job=Job.objects.get(pk=job.pk), people=author_as_assignee, frequency=Job.Frequency.DAILY
        )
    )


def test_transition_jobneed(assert_all_or_nothing, author, job):
    first = job.jobneeds.order_by("plandatetime").first()
    assert_all_or_nothing(
        lambda: transition_jobneed(
            author=author, jobneed=Jobneed.objects.get(pk=first.pk), to_status=Jobneed.Status.INPROGRESS
        )
    )


def test_autoclose_expired_jobneeds(assert_all_or_nothing, author, job, window):
    assert_all_or_nothing(lambda: autoclose_expired_jobneeds(author=author, now=window[1] + timedelta(days=1)))


def test_autoclose_task_closes_what_expired(assert_all_or_nothing, author, asset):
    """A task's body is an operation too when the task function is called directly."""
    start = datetime(2020, 3, 2, 8, 0, tzinfo=UTC)
    create_job(author=author, jobname="Old rounds", asset=asset, fromdate=start, uptodate=start + timedelta(weeks=3))
    record = assert_all_or_nothing(lambda: autoclose_expired_jobneeds_task())
    assert Jobneed._meta.db_table in record.tables
    assert Jobneed.objects.filter(jobstatus=Jobneed.Status.AUTOCLOSED).count() == 0  # put back after the runs


@pytest.fixture
def author_as_assignee(author):
    """The author, reloaded: a person of the job's client who can take it over."""
    from apps.peoples.models import People

    return People.objects.get(pk=author.pk)
