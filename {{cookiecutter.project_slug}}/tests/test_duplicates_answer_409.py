"""A duplicate is a 409 naming the field(s) of the unique constraint, through the API and the forms.

Whoever finds it (the database's constraint, a ModelForm's ``validate_unique``, one of DRF's unique
validators), the caller gets the same answer: 409 with ``{field: [message]}`` (the form views'
JSON: ``{"errors": {field: [message]}}``; a browser: the form again, the error by its field), and
nothing is written.
"""

import pytest
from django.urls import reverse

from apps.activity.models import Asset
from apps.activity.services import create_asset
from apps.core.testing import RowCounts
from apps.onboarding.models import Bt
from apps.peoples.models import People
from apps.work_order_management.models import Vendor
from apps.work_order_management.services import create_vendor

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_duplicate_vendor_code_over_the_api(api_client, author):
    create_vendor(author=author, code="FIXIT", name="Fix-It")
    counts = RowCounts(Vendor)
    response = api_client.post("/api/v1/vendors/", {"code": "FIXIT", "name": "Again"}, format="json")
    assert (response.status_code, response.json()) == (409, {"code": ["Vendor with this Code already exists."]})
    assert counts.changed() == {}


def test_a_duplicate_asset_code_over_the_api(api_client, author):
    create_asset(author=author, assetcode="P-1", assetname="Pump 1")
    counts = RowCounts(Asset)
    response = api_client.post("/api/v1/assets/", {"assetcode": "P-1", "assetname": "Again"}, format="json")
    assert (response.status_code, response.json()) == (409, {"assetcode": ["Asset with this Code already exists."]})
    assert counts.changed() == {}


def test_a_duplicate_client_code_over_the_api(api_client, client_bt):
    counts = RowCounts(Bt)
    response = api_client.post("/api/v1/clients/", {"bucode": client_bt.bucode, "buname": "Again"}, format="json")
    assert response.status_code == 409, response.json()
    assert list(response.json()) == ["bucode"]
    assert response.json()["bucode"][0].endswith("already exists.")
    assert counts.changed() == {}


def test_a_duplicate_person_code_and_username_over_the_api(api_client, author, client_bt):
    counts = RowCounts(People)
    body = {"username": "other", "peoplecode": author.peoplecode, "peoplename": "Twin", "client": client_bt.pk}
    response = api_client.post("/api/v1/people/", body, format="json")
    assert response.status_code == 409
    assert set(response.json()) == {"client", "peoplecode"}
    body = {"username": author.username, "peoplecode": "NEW1", "peoplename": "Twin", "client": client_bt.pk}
    response = api_client.post("/api/v1/people/", body, format="json")
    assert response.status_code == 409
    assert list(response.json()) == ["username"]
    assert counts.changed() == {}


def test_a_duplicate_among_other_mistakes_is_a_400_with_all_of_them(api_client, author, client_bt):
    body = {"username": author.username, "peoplecode": "", "peoplename": "", "client": client_bt.pk}
    response = api_client.post("/api/v1/people/", body, format="json")
    assert response.status_code == 400
    assert {"username", "peoplecode", "peoplename"} <= set(response.json())


def test_a_duplicate_vendor_in_the_form_view_as_json(web_client, author):
    create_vendor(author=author, code="FIXIT", name="Fix-It")
    counts = RowCounts(Vendor)
    response = web_client.post(reverse("work_order_management:vendor-create"), {"code": "FIXIT", "name": "Again"})
    assert response.status_code == 409
    assert response.json() == {"errors": {"code": ["Vendor with this Code already exists."]}}
    assert counts.changed() == {}


def test_a_duplicate_vendor_in_a_browser_is_the_form_again_with_the_error_by_the_code(web_client, author):
    create_vendor(author=author, code="FIXIT", name="Fix-It")
    response = web_client.post(
        reverse("work_order_management:vendor-create"), {"code": "FIXIT", "name": "Again"}, **BROWSER
    )
    assert response.status_code == 409
    form = response.context["form"]
    assert form.errors == {"code": ["Vendor with this Code already exists."]}
    assert 'value="Again"' in response.content.decode()


def test_a_duplicate_username_in_the_people_form_is_a_409_by_the_field(web_client, author, client_bt, site_bt):
    body = {"username": author.username, "peoplecode": "NEW1", "peoplename": "Twin", "client": client_bt.pk}
    response = web_client.post(reverse("peoples:people-create"), {**body, "site": site_bt.pk}, **BROWSER)
    assert response.status_code == 409
    assert list(response.context["form"].errors) == ["username"]


def test_a_duplicate_client_code_in_the_client_form(web_client, client_bt):
    counts = RowCounts(Bt)
    response = web_client.post("/onboarding/clients/new/", {"bucode": client_bt.bucode, "buname": "Again"})
    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["bucode"]
    assert counts.changed() == {}
