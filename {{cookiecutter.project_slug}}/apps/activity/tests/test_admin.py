"""The admin: history and generated occurrences are read-only; a job edited there is re-planned."""

import pytest

from apps.activity.models import AssetLog, Jobneed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["assetlog", "jobneed"])
def test_history_and_occurrences_cannot_be_added_in_the_admin(admin_client, job, model):
    assert admin_client.get(f"/admin/activity/{model}/").status_code == 200
    assert admin_client.get(f"/admin/activity/{model}/add/").status_code == 403


def test_status_cannot_be_changed_in_the_admin_around_the_lock(admin_client, asset):
    data = {
        "assetcode": asset.assetcode, "assetname": "Renamed", "status": "STANDBY", "location": "",
        "enable": "on", "client": asset.client_id, "site": asset.site_id,
    }  # fmt: skip
    response = admin_client.post(f"/admin/activity/asset/{asset.pk}/change/", data)
    assert response.status_code == 302, response.content
    asset.refresh_from_db()
    assert asset.assetname == "Renamed"
    assert asset.status == "WORKING"
    assert not AssetLog.objects.filter(asset=asset, newstatus="STANDBY").exists()


def test_job_edited_in_the_admin_is_replanned(admin_client, job):
    data = {
        "jobname": job.jobname, "jobdesc": "", "asset": job.asset_id, "people": job.people_id, "frequency": "DAILY",
        "fromdate_0": job.fromdate.strftime("%Y-%m-%d"), "fromdate_1": job.fromdate.strftime("%H:%M:%S"),
        "uptodate_0": job.uptodate.strftime("%Y-%m-%d"), "uptodate_1": job.uptodate.strftime("%H:%M:%S"),
        "planduration": 30, "gracetime": 15, "client": job.client_id, "site": job.site_id,
    }  # fmt: skip
    response = admin_client.post(f"/admin/activity/job/{job.pk}/change/", data)
    assert response.status_code == 302, response.content
    assert Jobneed.objects.filter(job=job).count() == 28
