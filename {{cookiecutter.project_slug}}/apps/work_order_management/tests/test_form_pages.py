"""The form views in a browser: post/redirect/get on success, the form again with its errors otherwise.

A browser names ``text/html`` in ``Accept``; these tests send what Chromium sends. The JSON
answers for API-style callers are covered in ``test_form_views.py``.
"""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.onboarding.services import get_or_create_type_assist
from apps.work_order_management.models import Vendor, WorkPermit
from apps.work_order_management.services import create_work_permit

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_valid_vendor_form_redirects_with_a_message(web_client, client_bt):
    response = web_client.post(
        reverse("work_order_management:vendor-create"), {"code": "V9", "name": "Nine"}, follow=True, **BROWSER
    )
    assert response.redirect_chain and response.redirect_chain[0][1] == 303
    assert Vendor.objects.filter(code="V9", client=client_bt).exists()
    assert "Vendor “" in response.content.decode() and "created" in response.content.decode()
    assert b'"pk"' not in response.content


def test_invalid_vendor_form_shows_the_form_again_with_the_input_and_the_error(web_client, wom_rows):
    rows = wom_rows()
    response = web_client.post(
        reverse("work_order_management:vendor-create"), {"code": "", "name": "Kept name"}, **BROWSER
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'value="Kept name"' in page
    assert 'aria-invalid="true"' in page and "This field is required." in page
    assert rows.changed() == {}


@pytest.mark.django_db(transaction=True)
def test_duplicate_vendor_in_a_browser_is_a_409_page_with_the_form(web_client, vendor, wom_rows):
    rows = wom_rows()
    response = web_client.post(
        reverse("work_order_management:vendor-create"), {"code": vendor.code, "name": "Dup"}, **BROWSER
    )
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    assert 'value="Dup"' in response.content.decode()
    assert rows.changed() == {}


def test_json_callers_keep_the_json_answer(web_client):
    response = web_client.post(
        reverse("work_order_management:vendor-create"), {"code": "V8", "name": "Eight"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201
    assert set(response.json()) == {"pk", "uuid", "code"}


def test_fetch_requests_get_json(web_client):
    url = reverse("work_order_management:vendor-create")
    response = web_client.post(url, {"code": "", "name": "x"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 400
    assert "code" in response.json()["errors"]


def test_permit_type_choices_are_permit_types_only(web_client, author, permit_type):
    category = get_or_create_type_assist(
        author=author, group_code="ASSETCATEGORY", group_name="Asset category", tacode="PUMP", taname="Pump"
    )
    form = web_client.get(reverse("work_order_management:workpermit-create")).context["form"]
    choices = [value for value, _label in form.fields["permit_type"].choices if value]
    assert choices == [permit_type.pk]
    assert category.pk not in choices


def test_an_asset_category_is_refused_as_a_permit_type(api_client, author, site_bt, approvers, details, wom_rows):
    category = get_or_create_type_assist(
        author=author, group_code="ASSETCATEGORY", group_name="Asset category", tacode="PUMP", taname="Pump"
    )
    rows = wom_rows()
    response = api_client.post(
        "/api/v1/work-permits/",
        {"site": site_bt.pk, "permit_type": category.pk, "details": details},
        format="json",
    )
    assert response.status_code == 400
    assert "permit_type" in response.json()
    with pytest.raises(ValidationError) as refused:
        create_work_permit(author=author, site=site_bt, permit_type=category, details=details)
    assert "permit_type" in refused.value.message_dict
    assert rows.changed() == {}
    assert not WorkPermit.objects.exists()


def test_date_fields_use_the_browsers_pickers(web_client):
    page = web_client.get(reverse("work_order_management:workorder-create")).content.decode()
    assert 'type="datetime-local" name="plandatetime"' in page


def test_browser_permit_form_with_a_bad_checklist_keeps_the_input(web_client, site_bt, permit_type, wom_rows):
    rows = wom_rows()
    details = json.dumps([{"question": "", "answertype": "NOPE"}])
    response = web_client.post(
        reverse("work_order_management:workpermit-create"),
        {"site": site_bt.pk, "permit_type": permit_type.pk, "remarks": "kept remark", "details": details},
        **BROWSER,
    )
    assert response.status_code == 400
    assert "kept remark" in response.content.decode()
    assert rows.changed() == {}


def _checklist(rows, total=None):
    """The checklist formset's fields for ``rows`` of (question, answertype, answer, mandatory)."""
    data = {"checklist-TOTAL_FORMS": str(total or len(rows)), "checklist-INITIAL_FORMS": "0"}
    for index, (question, answertype, answer, mandatory) in enumerate(rows):
        data.update(
            {
                f"checklist-{index}-question": question,
                f"checklist-{index}-answertype": answertype,
                f"checklist-{index}-answer": answer,
            }
        )
        if mandatory:
            data[f"checklist-{index}-ismandatory"] = "on"
    return data


def test_a_permit_is_raised_with_checklist_rows_not_json(web_client, site_bt, permit_type, approvers):
    page = web_client.get(reverse("work_order_management:workpermit-create")).content.decode()
    assert 'name="checklist-0-question"' in page and 'type="hidden" name="details"' in page
    rows = [("Area isolated?", "CHECKBOX", "true", True), ("Gas (ppm)", "NUMERIC", "3", True), ("", "TEXT", "", False)]
    data = {"site": site_bt.pk, "permit_type": permit_type.pk, "remarks": "", **_checklist(rows)}
    response = web_client.post(reverse("work_order_management:workpermit-create"), data, **BROWSER)
    assert response.status_code == 303, response.content.decode()[:3000]
    permit = WorkPermit.objects.get()
    assert list(permit.details.values_list("seqno", "question")) == [(1, "Area isolated?"), (2, "Gas (ppm)")]
    assert response["Location"] == permit.get_absolute_url()


def test_a_bad_checklist_row_is_shown_on_its_row_and_nothing_is_written(
    web_client, site_bt, permit_type, approvers, wom_rows
):
    rows_before = wom_rows()
    rows = [("Gas (ppm)", "NUMERIC", "low", True)]
    data = {"site": site_bt.pk, "permit_type": permit_type.pk, "remarks": "kept", **_checklist(rows)}
    response = web_client.post(reverse("work_order_management:workpermit-create"), data, **BROWSER)
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a number" in page and 'value="low"' in page and "kept" in page
    assert rows_before.changed() == {}


def test_add_a_question_shows_one_more_row_and_writes_nothing(web_client, site_bt, permit_type, wom_rows):
    rows_before = wom_rows()
    data = {"site": site_bt.pk, "permit_type": permit_type.pk, **_checklist([("Q1", "TEXT", "a", False)], total=3)}
    response = web_client.post(reverse("work_order_management:workpermit-create"), {**data, "add_row": "1"}, **BROWSER)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="checklist-3-question"' in page and 'value="Q1"' in page
    assert "This field is required" not in page
    assert rows_before.changed() == {}
