"""The activity form views: JSON answers, and invalid input writes nothing."""

import pytest
from django.urls import reverse

from apps.activity.models import Asset, AssetLog, Job, Jobneed
from apps.core.testing import RowCounts

pytestmark = pytest.mark.django_db

JOB_FORM = {
    "jobname": "Inspect",
    "frequency": "WEEKLY",
    "fromdate": "2030-01-07 09:00",
    "uptodate": "2030-02-04 09:00",
    "planduration": 30,
    "gracetime": 10,
}


@pytest.mark.parametrize("name", ["activity:asset-create", "activity:job-create"])
def test_forms_render_for_a_signed_in_user(web_client, name):
    response = web_client.get(reverse(name))
    assert response.status_code == 200
    assert b"<form" in response.content


def test_asset_form_creates_an_asset_with_its_first_log(web_client, category, site_bt):
    response = web_client.post(
        reverse("activity:asset-create"),
        {"assetcode": "AC-1", "assetname": "Air conditioner", "category": category.pk, "status": "WORKING"},
    )
    assert response.status_code == 201
    asset = Asset.objects.get(pk=response.json()["pk"])
    assert (asset.site, asset.enable) == (site_bt, False)  # an unchecked box is False, as in any HTML form
    assert AssetLog.objects.filter(asset=asset).count() == 1


def test_asset_form_answers_400_with_field_errors_and_writes_nothing(web_client):
    counts = RowCounts(Asset, AssetLog)
    response = web_client.post(reverse("activity:asset-create"), {"assetname": "", "status": "BROKEN"})
    assert response.status_code == 400
    assert {"assetcode", "assetname", "status"} <= set(response.json()["errors"])
    assert counts.changed() == {}


def test_asset_form_answers_409_for_a_duplicate_code(web_client, asset):
    counts = RowCounts(Asset, AssetLog)
    response = web_client.post(
        reverse("activity:asset-create"), {"assetcode": "P-1", "assetname": "Again", "status": "WORKING"}
    )
    assert response.status_code == 409
    assert response.json() == {"errors": {"assetcode": ["Asset with this Code already exists."]}}
    assert counts.changed() == {}


def test_asset_status_form_changes_status_and_records_it(web_client, asset):
    url = reverse("activity:asset-status", kwargs={"pk": asset.pk})
    assert web_client.get(url).status_code == 200
    response = web_client.post(url, {"status": "STANDBY", "remarks": "Seasonal"})
    assert response.status_code == 200
    assert response.json()["status"] == "STANDBY"
    assert AssetLog.objects.filter(asset=asset).first().remarks == "Seasonal"


@pytest.mark.parametrize(("payload", "field"), [({"status": "BROKEN"}, "status"), ({"status": "WORKING"}, "status")])
def test_asset_status_form_answers_400_and_writes_nothing(web_client, asset, payload, field):
    counts = RowCounts(Asset, AssetLog)
    response = web_client.post(reverse("activity:asset-status", kwargs={"pk": asset.pk}), payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert counts.changed() == {}
    assert Asset.objects.get(pk=asset.pk).status == "WORKING"


def test_asset_status_form_answers_404_for_an_unknown_asset(web_client):
    assert (
        web_client.post(reverse("activity:asset-status", kwargs={"pk": 999}), {"status": "STANDBY"}).status_code == 404
    )


def test_job_form_creates_a_job_with_its_jobneeds(web_client, asset, technician):
    response = web_client.post(reverse("activity:job-create"), {**JOB_FORM, "asset": asset.pk, "people": technician.pk})
    assert response.status_code == 201, response.content
    assert response.json()["jobneed_count"] == 4
    assert Jobneed.objects.filter(job_id=response.json()["pk"]).count() == 4


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"uptodate": "2029-12-01 09:00"}, "uptodate"),
        ({"frequency": "HOURLY"}, "frequency"),
        ({"asset": ""}, "asset"),
        ({"planduration": -5}, "planduration"),
    ],
)
def test_job_form_answers_400_with_field_errors_and_writes_nothing(web_client, asset, changes, field):
    counts = RowCounts(Job, Jobneed)
    response = web_client.post(reverse("activity:job-create"), {**JOB_FORM, "asset": asset.pk, **changes})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert counts.changed() == {}


def test_job_form_does_not_offer_another_clients_assets(client, author, member):
    from apps.activity.services import create_asset
    from apps.onboarding.models import Bt

    other_client = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    other_site = Bt.objects.create(
        bucode="OTHER-1", buname="Other 1", identifier=Bt.Identifier.SITE, parent=other_client
    )
    foreign = create_asset(author=author, assetcode="F-1", assetname="Foreign", site=other_site)
    client.force_login(member("supervisor"))
    response = client.post(reverse("activity:job-create"), {**JOB_FORM, "asset": foreign.pk})
    assert response.status_code == 400
    assert "asset" in response.json()["errors"]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("activity:asset-create", {}), ("activity:job-create", {}), ("activity:asset-status", {"pk": 1})],
)
def test_anonymous_form_posts_are_sent_to_login_and_write_nothing(client, asset, name, kwargs):
    counts = RowCounts(Asset, AssetLog, Job, Jobneed)
    response = client.post(reverse(name, kwargs=kwargs), {"assetcode": "Z", "assetname": "Z", "status": "STANDBY"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert counts.changed() == {}
