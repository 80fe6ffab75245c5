"""Activity pages and the technician's day: today's job needs, starting and completing them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.activity.models import Job, Jobneed
from apps.activity.services import create_asset, create_job
from apps.attendance.services import check_in
from apps.core.access.roles import Role

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def todays_job(author, asset, technician):
    """A daily job of the technician whose first occurrence is planned an hour from now."""
    start = timezone.now() + timedelta(hours=1)
    return create_job(
        author=author,
        jobname="Check the boiler",
        asset=asset,
        people=technician,
        frequency=Job.Frequency.DAILY,
        fromdate=start,
        uptodate=start + timedelta(days=3),
    )


def test_the_technicians_day_lists_todays_job_needs_and_the_check_in(client, technician, todays_job):
    client.force_login(technician)
    page = client.get(reverse("home")).content.decode()
    first = todays_job.jobneeds.order_by("plandatetime").first()
    assert "Your job needs today" in page and first.get_absolute_url() in page
    assert "you are not checked in" in page
    check_in(author=technician, people=technician)
    assert "checked in since" in client.get(reverse("home")).content.decode()


def test_a_technician_starts_and_completes_a_job_need_with_buttons(client, technician, todays_job):
    technician.groups.add(Group.objects.get(name=Role.TECHNICIAN))
    client.force_login(technician)
    jobneed = todays_job.jobneeds.order_by("plandatetime").first()
    transition = reverse("activity:jobneed-transition", args=[jobneed.pk])
    assert 'value="INPROGRESS"' in client.get(jobneed.get_absolute_url()).content.decode()
    assert client.post(transition, {"to_status": "INPROGRESS"}, **BROWSER).status_code == 303
    assert 'value="COMPLETED"' in client.get(jobneed.get_absolute_url()).content.decode()
    client.post(transition, {"to_status": "COMPLETED"}, **BROWSER)
    jobneed.refresh_from_db()
    assert (jobneed.jobstatus, jobneed.performedby) == (Jobneed.Status.COMPLETED, technician)


def test_only_supervisors_see_overdue_job_needs_on_their_day(client, technician, job):
    client.force_login(technician)
    assert "Overdue job needs" not in client.get(reverse("home")).content.decode()
    technician.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    assert "Overdue job needs" in client.get(reverse("home")).content.decode()


def test_asset_page_shows_the_status_history(web_client, asset):
    page = web_client.get(asset.get_absolute_url()).content.decode()
    assert "Status history" in page and reverse("activity:asset-status", args=[asset.pk]) in page


def test_the_asset_status_form_names_the_asset(web_client, asset):
    page = web_client.get(reverse("activity:asset-status", args=[asset.pk])).content.decode()
    assert str(asset) in page


def test_asset_list_runs_the_same_queries_for_3_and_20_assets(web_client, author, category):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert web_client.get(reverse("activity:asset-list")).status_code == 200
        return len(captured)

    for n in range(3):
        create_asset(author=author, assetcode=f"A-{n}", assetname=f"Asset {n}", category=category)
    few = queries()
    for n in range(3, 20):
        create_asset(author=author, assetcode=f"A-{n}", assetname=f"Asset {n}", category=category)
    assert queries() == few


def test_job_need_list_runs_the_same_queries_for_one_job_and_three(web_client, author, asset, technician, window):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert web_client.get(reverse("activity:jobneed-list")).status_code == 200
        return len(captured)

    def plan(name):
        create_job(author=author, jobname=name, asset=asset, people=technician, fromdate=window[0], uptodate=window[1])

    plan("One")
    few = queries()
    plan("Two")
    plan("Three")
    assert queries() == few
