"""The activity REST API: assets, jobs and job occurrences."""

import pytest
from rest_framework.test import APIClient

from apps.activity.models import Asset, AssetLog, Job, Jobneed
from apps.core.testing import RowCounts

pytestmark = pytest.mark.django_db


def test_asset_api_creates_lists_retrieves_and_updates(api_client, category, site_bt):
    response = api_client.post(
        "/api/v1/assets/",
        {"assetcode": "GEN-1", "assetname": "Generator", "category": category.pk, "status": "STANDBY"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["site"], body["client"]) == ("STANDBY", site_bt.pk, site_bt.parent_id)
    assert AssetLog.objects.get(asset_id=body["id"]).newstatus == "STANDBY"

    assert api_client.get("/api/v1/assets/").json()["count"] == 1
    assert api_client.get(f"/api/v1/assets/{body['id']}/").json()["assetcode"] == "GEN-1"

    response = api_client.patch(f"/api/v1/assets/{body['id']}/", {"location": "Roof"}, format="json")
    assert response.status_code == 200
    assert Asset.objects.get(pk=body["id"]).location == "Roof"


def test_asset_api_answers_400_for_bad_input_and_writes_nothing(api_client):
    counts = RowCounts(Asset, AssetLog)
    response = api_client.post("/api/v1/assets/", {"assetname": "", "status": "BROKEN"}, format="json")
    assert response.status_code == 400
    assert {"assetcode", "assetname", "status"} <= set(response.json())
    assert counts.changed() == {}


def test_asset_api_answers_409_for_a_duplicate_code(api_client, asset):
    counts = RowCounts(Asset, AssetLog)
    response = api_client.post("/api/v1/assets/", {"assetcode": "P-1", "assetname": "Again"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"assetcode": ["Asset with this Code already exists."]}
    assert counts.changed() == {}


def test_asset_api_refuses_a_status_change_by_update(api_client, asset):
    response = api_client.patch(f"/api/v1/assets/{asset.pk}/", {"status": "STANDBY"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    assert Asset.objects.get(pk=asset.pk).status == "WORKING"


def test_asset_status_action_changes_status_and_history(api_client, asset, author):
    response = api_client.post(
        f"/api/v1/assets/{asset.pk}/status/", {"status": "MAINTENANCE", "remarks": "Leak"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "MAINTENANCE"
    history = api_client.get(f"/api/v1/assets/{asset.pk}/history/").json()
    assert [(h["oldstatus"], h["newstatus"], h["remarks"]) for h in history] == [
        ("WORKING", "MAINTENANCE", "Leak"),
        ("", "WORKING", ""),
    ]
    assert history[0]["changed_by"] == author.pk


@pytest.mark.parametrize(("payload", "field"), [({}, "status"), ({"status": "BROKEN"}, "status")])
def test_asset_status_action_answers_400_for_bad_input(api_client, asset, payload, field):
    counts = RowCounts(Asset, AssetLog)
    response = api_client.post(f"/api/v1/assets/{asset.pk}/status/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert counts.changed() == {}


def test_asset_status_action_answers_400_when_the_rule_refuses(api_client, asset):
    response = api_client.post(f"/api/v1/assets/{asset.pk}/status/", {"status": "WORKING"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["errors"]
    assert AssetLog.objects.filter(asset=asset).count() == 1


def test_job_api_creates_the_job_with_its_jobneeds(api_client, asset, technician, window):
    response = api_client.post(
        "/api/v1/jobs/",
        {
            "jobname": "Inspect",
            "asset": asset.pk,
            "people": technician.pk,
            "frequency": "DAILY",
            "fromdate": window[0].isoformat(),
            "uptodate": window[1].isoformat(),
            "planduration": 20,
        },  # fmt: skip
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["jobneed_count"] == 28
    assert (body["client"], body["site"]) == (asset.client_id, asset.site_id)
    assert Jobneed.objects.filter(job_id=body["id"]).count() == 28
    assert api_client.get(f"/api/v1/jobs/{body['id']}/").json()["jobneed_count"] == 28
    assert api_client.get("/api/v1/jobs/").json()["results"][0]["jobneed_count"] == 28


def test_job_api_update_replans_the_schedule(api_client, job):
    response = api_client.patch(f"/api/v1/jobs/{job.pk}/", {"frequency": "DAILY"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["jobneed_count"] == 28


def test_job_api_refuses_moving_a_job_to_another_asset(api_client, author, job):
    from apps.activity.services import create_asset

    other = create_asset(author=author, assetcode="P-2", assetname="Pump 2")
    response = api_client.patch(f"/api/v1/jobs/{job.pk}/", {"asset": other.pk}, format="json")
    assert response.status_code == 400
    assert Job.objects.get(pk=job.pk).asset_id == job.asset_id


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"fromdate": "2030-02-01T00:00:00Z", "uptodate": "2030-01-01T00:00:00Z"}, "uptodate"),
        ({"frequency": "HOURLY"}, "frequency"),
        ({"asset": 99999}, "asset"),
        ({"fromdate": "not a date"}, "fromdate"),
    ],
)
def test_job_api_answers_400_for_bad_input_and_writes_nothing(api_client, asset, payload, field):
    data = {
        "jobname": "Inspect", "asset": asset.pk, "frequency": "WEEKLY",
        "fromdate": "2030-01-01T00:00:00Z", "uptodate": "2030-02-01T00:00:00Z", **payload,
    }  # fmt: skip
    counts = RowCounts(Job, Jobneed)
    response = api_client.post("/api/v1/jobs/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert counts.changed() == {}


def test_jobneed_api_lists_filters_and_retrieves(api_client, job, author, asset, window):
    from apps.activity.services import create_job

    create_job(author=author, jobname="Other", asset=asset, fromdate=window[0], uptodate=window[1])
    assert api_client.get("/api/v1/jobneeds/").json()["count"] == 8
    listed = api_client.get(f"/api/v1/jobneeds/?job={job.pk}").json()
    assert listed["count"] == 4
    first = listed["results"][0]
    assert api_client.get(f"/api/v1/jobneeds/{first['id']}/").json()["jobstatus"] == "ASSIGNED"
    assert api_client.get("/api/v1/jobneeds/?job=abc").status_code == 400


def test_jobneed_api_transition_moves_along_the_workflow(api_client, job, author):
    jobneed = job.jobneeds.first()
    url = f"/api/v1/jobneeds/{jobneed.pk}/transition/"
    response = api_client.post(url, {"to_status": "INPROGRESS"}, format="json")
    assert response.status_code == 200
    assert (response.json()["jobstatus"], response.json()["performedby"]) == ("INPROGRESS", author.pk)
    response = api_client.post(url, {"to_status": "COMPLETED", "remarks": "All good"}, format="json")
    assert response.json()["jobstatus"] == "COMPLETED"
    assert Jobneed.objects.get(pk=jobneed.pk).remarks == "All good"


@pytest.mark.parametrize(("payload", "where"), [({"to_status": "COMPLETED"}, "errors"), ({"to_status": "X"}, None)])
def test_jobneed_api_transition_answers_400_and_keeps_the_status(api_client, job, payload, where):
    jobneed = job.jobneeds.first()
    response = api_client.post(f"/api/v1/jobneeds/{jobneed.pk}/transition/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "to_status" in (body[where] if where else body)
    assert Jobneed.objects.get(pk=jobneed.pk).jobstatus == "ASSIGNED"


def test_jobneeds_cannot_be_created_or_deleted_through_the_api(api_client, job):
    jobneed = job.jobneeds.first()
    assert api_client.post("/api/v1/jobneeds/", {}, format="json").status_code == 405
    assert api_client.delete(f"/api/v1/jobneeds/{jobneed.pk}/").status_code == 405
    assert api_client.delete(f"/api/v1/assets/{job.asset_id}/").status_code == 405


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/assets/"),
        ("post", "/api/v1/assets/"),
        ("post", "/api/v1/assets/{asset}/status/"),
        ("get", "/api/v1/jobs/"),
        ("post", "/api/v1/jobs/"),
        ("get", "/api/v1/jobneeds/"),
        ("post", "/api/v1/jobneeds/{jobneed}/transition/"),
    ],
)
def test_anonymous_api_calls_are_refused_and_write_nothing(job, method, url):
    counts = RowCounts(Asset, AssetLog, Job, Jobneed)
    url = url.format(asset=job.asset_id, jobneed=job.jobneeds.first().pk)
    response = getattr(APIClient(), method)(url, {"status": "STANDBY", "to_status": "INPROGRESS"}, format="json")
    assert response.status_code in (401, 403)
    assert counts.changed() == {}
