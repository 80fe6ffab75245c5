"""Every form of the project, as a browser and as a script sees it.

An empty submission writes nothing: a browser gets the form again (400, HTML) with an error next
to each required field; a JSON caller gets 400 with the same fields. A GET shows the form.
"""

import pytest
from django.urls import reverse

from apps.activity.models import Asset

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
FORMS = [
    ("onboarding:client-create", {"bucode", "buname"}),
    ("onboarding:site-create", {"client", "bucode", "buname"}),
    ("onboarding:supertypeassist-create", {"code", "name"}),
    ("onboarding:typeassist-create", {"tatype", "tacode", "taname"}),
    ("peoples:people-create", {"username", "peoplecode", "peoplename"}),
    ("activity:asset-create", {"assetcode", "assetname"}),
    ("activity:job-create", {"jobname", "asset", "fromdate", "uptodate"}),
    ("attendance:event-create", {"event_type", "people"}),
    ("work_order_management:vendor-create", {"code", "name"}),
    ("work_order_management:workorder-create", {"description"}),
    ("work_order_management:workpermit-create", {"site", "permit_type"}),
]


@pytest.fixture
def all_rows(db):
    from django.apps import apps

    def counts():
        return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.app_label in (
            "onboarding", "peoples", "activity", "attendance", "work_order_management"
        )}  # fmt: skip

    return counts


@pytest.mark.parametrize(("name", "required"), FORMS, ids=[name for name, _ in FORMS])
def test_an_empty_form_is_shown_again_with_its_errors_and_writes_nothing(name, required, web_client, all_rows):
    url = reverse(name)
    assert web_client.get(url).status_code == 200
    before = all_rows()
    page = web_client.post(url, {}, **BROWSER)
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    form = page.context["form"]
    assert required <= set(form.errors), form.errors
    assert "This field is required." in page.content.decode()
    script = web_client.post(url, {}, HTTP_ACCEPT="application/json")
    assert script.status_code == 400
    assert required <= set(script.json()["errors"])
    assert all_rows() == before


def test_the_asset_status_form_keeps_its_input_on_a_bad_status(web_client, author):
    from apps.activity.services import create_asset

    asset = create_asset(author=author, assetcode="P-9", assetname="Pump 9")
    url = reverse("activity:asset-status", args=[asset.pk])
    page = web_client.post(url, {"status": "BROKEN", "remarks": "kept remark"}, **BROWSER)
    assert page.status_code == 400
    assert "kept remark" in page.content.decode()
    assert Asset.objects.get(pk=asset.pk).status == Asset.Status.WORKING
