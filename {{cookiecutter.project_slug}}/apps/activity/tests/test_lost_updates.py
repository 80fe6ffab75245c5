"""No confirmed change is lost when two editors meet: jobs and assets through the API, the admin and
their edit pages.

The threaded tests hold one edit inside its transaction (a PostgreSQL trigger running
``pg_sleep``) while the other arrives; both changes must survive, or the later one is refused
(409/412) and writes nothing. The others show the ETag/If-Match and hidden-version rules on any
database.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.activity.models import Asset, AssetLog, Job, Jobneed
from apps.activity.services import change_asset_status
from apps.core.exceptions import StaleVersionError
from apps.peoples.tests.concurrency import (
    after,
    api_as,
    concurrent_db,
    needs_postgres_and_redis,
    run_concurrently,
    slow_updates,
    two_edits_from_one_version,
    web_as,
)


@pytest.fixture
def redis_locks(settings):
    settings.DISTRIBUTED_LOCK_BACKEND = "redis"


def _job_admin_data(job, **changes):
    data = {
        "jobname": job.jobname, "jobdesc": job.jobdesc, "asset": job.asset_id, "people": job.people_id or "",
        "frequency": job.frequency,
        "fromdate_0": job.fromdate.strftime("%Y-%m-%d"), "fromdate_1": job.fromdate.strftime("%H:%M:%S"),
        "uptodate_0": job.uptodate.strftime("%Y-%m-%d"), "uptodate_1": job.uptodate.strftime("%H:%M:%S"),
        "planduration": job.planduration, "gracetime": job.gracetime, "client": job.client_id, "site": job.site_id,
        "version": job.version,
    }  # fmt: skip
    data.update(changes)
    return data


def _asset_admin_data(asset, **changes):
    data = {
        "assetcode": asset.assetcode, "assetname": asset.assetname, "category": asset.category_id or "",
        "location": asset.location, "enable": "on", "client": asset.client_id, "site": asset.site_id,
    }  # fmt: skip
    data.update(changes)
    return data


@needs_postgres_and_redis
@concurrent_db
def test_two_concurrent_api_edits_of_one_job_keep_both_changes(redis_locks, author, job):
    url = f"/api/v1/jobs/{job.pk}/"
    with slow_updates("activity_job", "NEW.jobname = 'Renamed slowly'", 1.5):
        rename, duration = run_concurrently(
            lambda: api_as(author).patch(url, {"jobname": "Renamed slowly"}, format="json"),
            after(0.5, lambda: api_as(author).patch(url, {"planduration": 45}, format="json")),
        )

    assert rename.error is None and duration.error is None, (rename.error, duration.error)
    assert rename.value.status_code == 200, rename.value.content
    assert duration.value.status_code == 200, duration.value.content
    stored = Job.objects.get(pk=job.pk)
    assert (stored.jobname, stored.planduration) == ("Renamed slowly", 45)
    assert stored.version == job.version + 2
    # The second re-plan used the stored schedule: every open occurrence has the new duration.
    open_jobneeds = Jobneed.objects.filter(job=job, jobstatus="ASSIGNED")
    assert {(jn.expirydatetime - jn.plandatetime).total_seconds() for jn in open_jobneeds} == {(45 + 15) * 60}


@needs_postgres_and_redis
@concurrent_db
def test_an_admin_edit_of_a_job_changed_meanwhile_through_the_api_is_refused(redis_locks, author, admin_user, job):
    url = f"/api/v1/jobs/{job.pk}/"
    form = _job_admin_data(job, planduration=50)  # the change form as the admin opened it (version 1)
    with slow_updates("activity_job", "NEW.jobname = 'Renamed slowly'", 1.5):
        rename, admin_edit = run_concurrently(
            lambda: api_as(author).patch(url, {"jobname": "Renamed slowly"}, format="json"),
            after(0.5, lambda: web_as(admin_user).post(f"/admin/activity/job/{job.pk}/change/", form)),
        )

    assert rename.value.status_code == 200, rename.value.content
    assert admin_edit.value.status_code == 409, admin_edit.value.content
    assert admin_edit.value.json()["error"] == "stale"
    stored = Job.objects.get(pk=job.pk)
    assert (stored.jobname, stored.planduration) == ("Renamed slowly", 30)


@needs_postgres_and_redis
@concurrent_db
def test_an_admin_rename_during_a_scrap_leaves_the_asset_scrapped(redis_locks, author, admin_user, asset, job):
    form = _asset_admin_data(asset, assetname="Pump 1 (old)")  # an admin form without the version field
    with slow_updates("activity_asset", "NEW.status = 'SCRAPPED'", 1.5):
        scrap, rename = run_concurrently(
            lambda: change_asset_status(author=author, asset=asset.pk, status="SCRAPPED", remarks="Broken"),
            after(0.5, lambda: web_as(admin_user).post(f"/admin/activity/asset/{asset.pk}/change/", form)),
        )

    assert scrap.error is None, scrap.error
    assert rename.value.status_code == 302, rename.value.content
    stored = Asset.objects.get(pk=asset.pk)
    assert (stored.status, stored.assetname) == ("SCRAPPED", "Pump 1 (old)")
    logs = list(AssetLog.objects.filter(asset=asset).order_by("pk").values_list("oldstatus", "newstatus"))
    assert logs == [("", "WORKING"), ("WORKING", "SCRAPPED")]
    assert not Jobneed.objects.filter(job=job, jobstatus="ASSIGNED").exists()


@needs_postgres_and_redis
@concurrent_db
def test_two_admin_edits_of_one_asset_opened_together_let_the_second_learn_it_lost(admin_user, asset):
    url = f"/admin/activity/asset/{asset.pk}/change/"
    first = _asset_admin_data(asset, assetname="Slow rename", version=asset.version)
    second = _asset_admin_data(asset, location="Roof", version=asset.version)
    with slow_updates("activity_asset", "NEW.assetname = 'Slow rename'", 1.5):
        renamed, moved = run_concurrently(
            lambda: web_as(admin_user).post(url, first),
            after(0.5, lambda: web_as(admin_user).post(url, second)),
        )

    assert renamed.value.status_code == 302, renamed.value.content
    assert moved.value.status_code == 409, moved.value.content
    stored = Asset.objects.get(pk=asset.pk)
    assert (stored.assetname, stored.location) == ("Slow rename", "Basement")


@needs_postgres_and_redis
@concurrent_db
def test_two_edit_pages_opened_on_one_asset_let_the_second_learn_it_lost(author, asset):
    renamed, moved = two_edits_from_one_version(
        reverse("activity:asset-update", args=[asset.pk]),
        author,
        table="activity_asset",
        slow_change="NEW.assetname = 'Slow rename'",
        first={"assetname": "Slow rename"},
        second={"location": "Roof"},
    )

    assert renamed.status_code == 303, renamed.content[:2000]
    assert moved.status_code == 409, moved.content[:2000]
    assert "What is saved now" in moved.content.decode()
    stored = Asset.objects.get(pk=asset.pk)
    assert (stored.assetname, stored.location, stored.version) == ("Slow rename", "Basement", asset.version + 1)


@needs_postgres_and_redis
@concurrent_db
def test_two_edit_pages_opened_on_one_job_let_the_second_learn_it_lost(redis_locks, author, job):
    renamed, shortened = two_edits_from_one_version(
        reverse("activity:job-update", args=[job.pk]),
        author,
        table="activity_job",
        slow_change="NEW.jobname = 'Renamed slowly'",
        first={"jobname": "Renamed slowly"},
        second={"planduration": 45},
    )

    assert renamed.status_code == 303, renamed.content[:2000]
    assert shortened.status_code == 409, shortened.content[:2000]
    assert "What is saved now" in shortened.content.decode()
    stored = Job.objects.get(pk=job.pk)
    assert (stored.jobname, stored.planduration, stored.version) == ("Renamed slowly", 30, job.version + 1)


@pytest.mark.django_db
def test_a_job_is_read_with_its_etag_and_a_stale_if_match_is_refused_with_412(api_client, job):
    url = f"/api/v1/jobs/{job.pk}/"
    read = api_client.get(url)
    assert read["ETag"] == f'"{job.version}"'

    first = api_client.patch(url, {"planduration": 40}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert first.status_code == 200, first.content
    assert first["ETag"] == f'"{job.version + 1}"'

    stale = api_client.patch(url, {"jobname": "Too late"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412, stale.content
    assert stale.json()["version"] == job.version + 1
    assert stale["ETag"] == first["ETag"]
    assert Job.objects.get(pk=job.pk).jobname == job.jobname


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["abc", '"1", "2"'])
def test_a_malformed_if_match_is_refused_with_412_and_writes_nothing(api_client, asset, header):
    url = f"/api/v1/assets/{asset.pk}/"
    response = api_client.patch(url, {"location": "Roof"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 412, response.content
    assert Asset.objects.get(pk=asset.pk).location == "Basement"


@pytest.mark.django_db
def test_the_admin_change_form_carries_the_version_and_refuses_a_stale_one(admin_client, asset):
    page = admin_client.get(f"/admin/activity/asset/{asset.pk}/change/")
    assert f'name="version" value="{asset.version}"' in page.content.decode()
    url = f"/admin/activity/asset/{asset.pk}/change/"
    fresh = admin_client.post(url, _asset_admin_data(asset, location="Roof", version=asset.version))
    assert fresh.status_code == 302, fresh.content
    stale = admin_client.post(url, _asset_admin_data(asset, location="Cellar", version=asset.version))
    assert stale.status_code == 409, stale.content
    assert Asset.objects.get(pk=asset.pk).location == "Roof"


@pytest.mark.django_db
def test_a_stale_full_row_save_is_refused_instead_of_undoing_a_change(asset):
    stale = Asset.objects.get(pk=asset.pk)
    change_asset_status(author=None, asset=asset.pk, status="SCRAPPED")
    stale.assetname = "Renamed on an old copy"
    with pytest.raises(StaleVersionError), transaction.atomic():
        stale.save()
    stored = Asset.objects.get(pk=asset.pk)
    assert (stored.status, stored.assetname) == ("SCRAPPED", "Pump 1")


@needs_postgres_and_redis
@pytest.mark.django_db
def test_the_asset_status_change_locks_the_asset_row_in_the_database(author, asset, settings):
    settings.DISTRIBUTED_LOCK_BACKEND = "redis"
    with CaptureQueriesContext(connection) as queries:
        change_asset_status(author=author, asset=asset.pk, status="STANDBY")
    locking = [query["sql"] for query in queries if 'FROM "activity_asset"' in query["sql"]]
    assert any(sql.rstrip().endswith('FOR NO KEY UPDATE OF "activity_asset"') for sql in locking), locking
