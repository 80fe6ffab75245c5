"""Form views: valid POST is 201 JSON, invalid POST is 400 with field errors and writes nothing."""

import json

import pytest
from django.urls import reverse

from apps.work_order_management.models import Vendor, WorkOrder, WorkPermit


@pytest.mark.parametrize("name", ["vendor-create", "workorder-create", "workpermit-create"])
def test_form_pages_render_for_a_signed_in_person(name, web_client):
    assert web_client.get(reverse(f"work_order_management:{name}")).status_code == 200


@pytest.mark.parametrize("name", ["vendor-create", "workorder-create", "workpermit-create"])
def test_form_pages_send_anonymous_visitors_to_sign_in(name, client, db):
    response = client.post(reverse(f"work_order_management:{name}"), {})
    assert response.status_code == 302


def test_vendor_form_creates_a_vendor(web_client, client_bt):
    response = web_client.post(reverse("work_order_management:vendor-create"), {"code": "V9", "name": "Nine"})
    assert response.status_code == 201, response.json()
    assert Vendor.objects.get(pk=response.json()["pk"]).client_id == client_bt.pk


def test_invalid_vendor_form_is_a_400_and_writes_nothing(web_client, wom_rows):
    rows = wom_rows()
    response = web_client.post(reverse("work_order_management:vendor-create"), {"code": "", "name": "Nine"})
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert rows.changed() == {}


@pytest.mark.django_db(transaction=True)
def test_duplicate_vendor_form_is_a_409(web_client, vendor, wom_rows):
    rows = wom_rows()
    response = web_client.post(reverse("work_order_management:vendor-create"), {"code": vendor.code, "name": "Dup"})
    assert response.status_code == 409
    assert response.json()["errors"] == {"code": ["Vendor with this Code already exists."]}
    assert rows.changed() == {}


def test_work_order_form_creates_a_numbered_order(web_client, vendor):
    response = web_client.post(
        reverse("work_order_management:workorder-create"),
        {"description": "Fix the lift", "vendor": vendor.pk, "priority": "LOW"},
    )
    assert response.status_code == 201, response.json()
    assert WorkOrder.objects.get(pk=response.json()["pk"]).number == response.json()["number"]


def test_invalid_work_order_form_is_a_400_and_writes_nothing(web_client, wom_rows):
    rows = wom_rows()
    response = web_client.post(
        reverse("work_order_management:workorder-create"),
        {
            "description": "",
            "priority": "URGENT",
            "plandatetime": "2030-01-02 10:00",
            "expirydatetime": "2030-01-01 10:00",
        },
    )
    assert response.status_code == 400
    assert {"description", "priority", "expirydatetime"} <= set(response.json()["errors"])
    assert rows.changed() == {}


def _permit_post(site_bt, permit_type, details):
    return {"site": site_bt.pk, "permit_type": permit_type.pk, "remarks": "", "details": json.dumps(details)}


def test_work_permit_form_creates_a_permit_with_its_details(web_client, site_bt, permit_type, approvers, details):
    response = web_client.post(
        reverse("work_order_management:workpermit-create"), _permit_post(site_bt, permit_type, details)
    )
    assert response.status_code == 201, response.json()
    permit = WorkPermit.objects.get(pk=response.json()["pk"])
    assert permit.permit_name == response.json()["permit_name"]
    assert permit.details.count() == 3


@pytest.mark.parametrize(
    "details_text",
    [
        "not json",
        json.dumps({"question": "not a list"}),
        json.dumps([{"question": "ok", "answer": "x"}, {"question": "Gas", "answertype": "NUMERIC", "answer": "low"}]),
    ],
    ids=["not-json", "not-a-list", "bad-second-detail"],
)
def test_invalid_work_permit_form_is_a_400_and_writes_nothing(
    details_text, web_client, site_bt, permit_type, approvers, wom_rows
):
    rows = wom_rows()
    response = web_client.post(
        reverse("work_order_management:workpermit-create"),
        {"site": site_bt.pk, "permit_type": permit_type.pk, "details": details_text},
    )
    assert response.status_code == 400
    assert "details" in response.json()["errors"]
    assert rows.changed() == {}


def test_bad_detail_in_the_permit_form_names_its_index(web_client, site_bt, permit_type, approvers, details):
    details[2] = {"question": "Gas", "answertype": "NUMERIC", "answer": "low"}
    response = web_client.post(
        reverse("work_order_management:workpermit-create"), _permit_post(site_bt, permit_type, details)
    )
    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["errors"]["details"]]
    assert any(m.startswith("details[2].answer") for m in messages)
