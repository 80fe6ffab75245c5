"""Every locking write path of activity, reached through the API, a form or the admin while
someone else holds its lock, answers 409 with Retry-After and writes nothing."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from apps.activity.models import Asset, AssetLog, Job, Jobneed
from apps.core.services.distributed_locks import LockRegistry
from apps.core.testing import RowCounts

pytestmark = pytest.mark.django_db

SHORT_WAITS = {name: (10, 0.2) for name in ("ASSET_STATUS_UPDATE", "JOB_WORKFLOW_UPDATE", "JOBNEED_STATUS_UPDATE")}


@pytest.fixture(
    params=[
        "inprocess",
        pytest.param("redis", marks=pytest.mark.skipif(not django_settings.REDIS_URL, reason="REDIS_URL is not set")),
    ]
)
def hold(request, settings):
    """``hold(lock_type, resource, kind=None)``: someone else holds that lock for the rest of the test.

    ``kind`` is the resource kind the service puts in the key (JOB_WORKFLOW_UPDATE: ``asset`` or ``job``).
    """
    settings.DISTRIBUTED_LOCK_BACKEND = request.param
    settings.DISTRIBUTED_LOCK_TYPES = SHORT_WAITS
    held = []

    def take(lock_type, resource, kind=None):
        resource_id = resource.pk if kind is None else f"{kind}:{resource.pk}"
        held.append(LockRegistry.get_lock(lock_type, resource_id).acquire())

    yield take
    for lock in held:
        assert lock.release() is True


def _assert_locked(response):
    assert response.status_code == 409, response.content
    assert response.json()["error"] == "locked"
    assert int(response["Retry-After"]) >= 1


def test_asset_status_api_while_the_asset_is_locked_answers_409_and_writes_nothing(api_client, asset, hold):
    hold("ASSET_STATUS_UPDATE", asset)
    counts = RowCounts(Asset, AssetLog)
    _assert_locked(api_client.post(f"/api/v1/assets/{asset.pk}/status/", {"status": "STANDBY"}, format="json"))
    assert counts.changed() == {}
    assert Asset.objects.get(pk=asset.pk).status == "WORKING"


def test_asset_status_form_while_the_asset_is_locked_answers_409_and_writes_nothing(web_client, asset, hold):
    hold("ASSET_STATUS_UPDATE", asset)
    counts = RowCounts(Asset, AssetLog)
    _assert_locked(web_client.post(reverse("activity:asset-status", kwargs={"pk": asset.pk}), {"status": "STANDBY"}))
    assert counts.changed() == {}


def test_jobneed_transition_while_it_is_locked_answers_409_and_keeps_the_status(api_client, job, hold):
    jobneed = job.jobneeds.first()
    hold("JOBNEED_STATUS_UPDATE", jobneed)
    response = api_client.post(f"/api/v1/jobneeds/{jobneed.pk}/transition/", {"to_status": "INPROGRESS"})
    _assert_locked(response)
    assert Jobneed.objects.get(pk=jobneed.pk).jobstatus == "ASSIGNED"


def test_job_creation_while_the_asset_is_being_planned_answers_409_and_writes_nothing(
    api_client, web_client, asset, window, hold
):
    hold("JOB_WORKFLOW_UPDATE", asset, kind="asset")
    counts = RowCounts(Job, Jobneed)
    payload = {
        "jobname": "Check",
        "asset": asset.pk,
        "frequency": "DAILY",
        "fromdate": window[0],
        "uptodate": window[1],
    }
    _assert_locked(api_client.post("/api/v1/jobs/", payload, format="json"))
    form = {**payload, "fromdate": "2030-01-07 09:00", "uptodate": "2030-01-14 09:00", "planduration": 30}
    _assert_locked(web_client.post(reverse("activity:job-create"), {**form, "gracetime": 0}))
    assert counts.changed() == {}


def test_job_update_while_the_job_is_being_replanned_answers_409_and_keeps_the_schedule(
    api_client, admin_client, job, hold
):
    hold("JOB_WORKFLOW_UPDATE", job, kind="job")
    before = list(job.jobneeds.values_list("pk", "plandatetime"))
    _assert_locked(api_client.patch(f"/api/v1/jobs/{job.pk}/", {"frequency": "DAILY"}, format="json"))
    data = {
        "jobname": job.jobname, "jobdesc": "", "asset": job.asset_id, "people": job.people_id, "frequency": "DAILY",
        "fromdate_0": job.fromdate.strftime("%Y-%m-%d"), "fromdate_1": job.fromdate.strftime("%H:%M:%S"),
        "uptodate_0": job.uptodate.strftime("%Y-%m-%d"), "uptodate_1": job.uptodate.strftime("%H:%M:%S"),
        "planduration": 30, "gracetime": 15, "client": job.client_id, "site": job.site_id,
    }  # fmt: skip
    _assert_locked(admin_client.post(f"/admin/activity/job/{job.pk}/change/", data))
    assert Job.objects.get(pk=job.pk).frequency == "WEEKLY"
    assert list(job.jobneeds.values_list("pk", "plandatetime")) == before


def test_a_lock_on_one_asset_does_not_block_another(api_client, author, asset, hold):
    from apps.activity.services import create_asset

    other = create_asset(author=author, assetcode="P-2", assetname="Pump 2")
    hold("ASSET_STATUS_UPDATE", asset)
    response = api_client.post(f"/api/v1/assets/{other.pk}/status/", {"status": "STANDBY"}, format="json")
    assert response.status_code == 200, response.content
