"""Assets and their status history."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from apps.activity.models import Asset, AssetLog, Jobneed
from apps.activity.services import change_asset_status, create_asset, update_asset
from apps.onboarding.models import Bt

pytestmark = pytest.mark.django_db


def test_new_asset_belongs_to_authors_site_and_records_its_first_status(author, asset, client_bt, site_bt):
    assert (asset.client, asset.site, asset.cuser, asset.status) == (client_bt, site_bt, author, "WORKING")
    log = AssetLog.objects.get(asset=asset)
    assert (log.oldstatus, log.newstatus, log.changed_by, log.client, log.site) == (
        "",
        "WORKING",
        author,
        client_bt,
        site_bt,
    )


def test_asset_created_at_a_site_belongs_to_that_sites_client(author, client_bt):
    other_client = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    other_site = Bt.objects.create(
        bucode="OTHER-1", buname="Other 1", identifier=Bt.Identifier.SITE, parent=other_client
    )
    asset = create_asset(author=author, assetcode="X-1", assetname="X", site=other_site)
    assert (asset.client, asset.site) == (other_client, other_site)


def test_asset_refuses_a_site_of_another_client(author, client_bt):
    other_client = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    other_site = Bt.objects.create(
        bucode="OTHER-1", buname="Other 1", identifier=Bt.Identifier.SITE, parent=other_client
    )
    with pytest.raises(ValidationError) as caught:
        create_asset(author=author, assetcode="X-1", assetname="X", client=client_bt, site=other_site)
    assert "site" in caught.value.error_dict
    assert not Asset.objects.exists()


def test_asset_code_is_unique_within_a_client(author, asset):
    with pytest.raises(IntegrityError):
        create_asset(author=author, assetcode=asset.assetcode, assetname="Another pump")


def test_asset_refuses_another_clients_category(author):
    from apps.onboarding.models import SuperTypeAssist, TypeAssist

    other_client = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    group = SuperTypeAssist.objects.create(code="ASSETCATEGORY", name="Asset category")
    private = TypeAssist.objects.create(tatype=group, tacode="SECRET", taname="Secret", client=other_client)
    with pytest.raises(ValidationError) as caught:
        create_asset(author=author, assetcode="X-1", assetname="X", category=private)
    assert "category" in caught.value.error_dict


def test_updating_descriptive_fields_writes_no_history(author, asset):
    update_asset(author=author, asset=asset, assetname="Main pump", location="Roof")
    asset.refresh_from_db()
    assert (asset.assetname, asset.location) == ("Main pump", "Roof")
    assert AssetLog.objects.filter(asset=asset).count() == 1


def test_descriptive_update_from_a_stale_copy_keeps_the_status_and_its_history(author, asset, technician):
    stale = Asset.objects.get(pk=asset.pk)
    change_asset_status(author=author, asset=asset, status=Asset.Status.STANDBY)
    update_asset(author=technician, asset=stale, location="Roof")
    stored = Asset.objects.get(pk=asset.pk)
    assert (stored.status, stored.location) == ("STANDBY", "Roof")
    assert (stored.cuser_id, stored.muser_id) == (author.pk, technician.pk)
    assert list(AssetLog.objects.filter(asset=asset).order_by("pk").values_list("newstatus", flat=True)) == [
        "WORKING",
        "STANDBY",
    ]


def test_update_asset_refuses_a_status_change(author, asset):
    with pytest.raises(ValidationError) as caught:
        update_asset(author=author, asset=asset, status=Asset.Status.STANDBY)
    assert "status" in caught.value.error_dict


def test_status_change_is_recorded_with_who_and_why(author, asset):
    changed = change_asset_status(author=author, asset=asset, status="MAINTENANCE", remarks="Bearing noise")
    assert changed.status == "MAINTENANCE"
    assert Asset.objects.get(pk=asset.pk).status == "MAINTENANCE"
    log = AssetLog.objects.filter(asset=asset).first()
    assert (log.oldstatus, log.newstatus, log.remarks, log.changed_by) == (
        "WORKING",
        "MAINTENANCE",
        "Bearing noise",
        author,
    )


def test_status_change_logs_the_stored_status_even_from_a_stale_instance(author, asset):
    stale = Asset.objects.get(pk=asset.pk)
    change_asset_status(author=author, asset=asset, status="STANDBY")
    change_asset_status(author=author, asset=stale, status="MAINTENANCE")
    assert list(AssetLog.objects.filter(asset=asset).values_list("oldstatus", "newstatus"))[:2] == [
        ("STANDBY", "MAINTENANCE"),
        ("WORKING", "STANDBY"),
    ]


def test_each_status_change_is_recorded_once(author, asset):
    change_asset_status(author=author, asset=asset, status="STANDBY")
    change_asset_status(author=author, asset=asset, status="WORKING")
    assert AssetLog.objects.filter(asset=asset).count() == 3


@pytest.mark.parametrize("status", ["WORKING", "BROKEN"])
def test_status_change_refuses_the_same_or_an_unknown_status(author, asset, status):
    with pytest.raises(ValidationError) as caught:
        change_asset_status(author=author, asset=asset, status=status)
    assert "status" in caught.value.error_dict
    assert AssetLog.objects.filter(asset=asset).count() == 1


def test_scrapped_asset_cannot_change_status(author, asset):
    change_asset_status(author=author, asset=asset, status="SCRAPPED")
    with pytest.raises(ValidationError):
        change_asset_status(author=author, asset=asset, status="WORKING")
    assert Asset.objects.get(pk=asset.pk).status == "SCRAPPED"


def test_scrapping_an_asset_closes_its_open_jobneeds(author, asset, job):
    first = job.jobneeds.first()
    first.jobstatus = Jobneed.Status.COMPLETED
    first.save()
    change_asset_status(author=author, asset=asset, status="SCRAPPED", remarks="Burnt out")
    statuses = list(job.jobneeds.values_list("jobstatus", flat=True))
    assert statuses == ["COMPLETED", "AUTOCLOSED", "AUTOCLOSED", "AUTOCLOSED"]
    assert set(job.jobneeds.exclude(jobstatus="COMPLETED").values_list("remarks", flat=True)) == {"Burnt out"}


def test_receiver_ignores_saves_that_do_not_write_the_status(author, asset):
    asset.status = "STANDBY"
    asset.save(update_fields=["location"])
    assert AssetLog.objects.filter(asset=asset).count() == 1
    loaded = Asset.objects.get(pk=asset.pk)
    loaded.location = "Roof"
    loaded.save()
    assert AssetLog.objects.filter(asset=asset).count() == 1


def test_receiver_records_a_status_saved_directly(author, asset):
    loaded = Asset.objects.get(pk=asset.pk)
    loaded.status = "STANDBY"
    loaded.save()
    log = AssetLog.objects.filter(asset=asset).first()
    assert (log.oldstatus, log.newstatus) == ("WORKING", "STANDBY")


def test_receiver_skips_rows_loaded_without_their_status(asset):
    partial = Asset.objects.only("pk", "location").get(pk=asset.pk)
    partial.location = "Roof"
    partial.save(update_fields=["location"])
    assert AssetLog.objects.filter(asset=asset).count() == 1
