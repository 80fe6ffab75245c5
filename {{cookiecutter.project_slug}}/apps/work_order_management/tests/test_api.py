"""The REST API: writes go through the services; bad input is 400, conflicts 409, never a 500.

Requests whose service fails inside the transaction run with ``transaction=True``: the viewset's
boundary is then the real outermost transaction, as in production.
"""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.core.services.distributed_locks import LockRegistry
from apps.core.testing import fault_at
from apps.work_order_management.models import PermitApproval, Vendor, WomDetails, WorkOrder, WorkPermit
from apps.work_order_management.services import decide_permit

API = "/api/v1"
SERVICES = "apps.work_order_management.services"


def _as(person):
    client = APIClient()
    client.force_authenticate(person)
    return client


# Vendors and approvers
# ------------------------------------------------------------------------------


def test_vendor_create_list_retrieve_update(api_client, client_bt):
    created = api_client.post(f"{API}/vendors/", {"code": "V1", "name": "Vendor One", "email": "v1@example.com"})
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["client"] == client_bt.pk
    assert [v["code"] for v in api_client.get(f"{API}/vendors/").json()["results"]] == ["V1"]
    assert api_client.get(f"{API}/vendors/{pk}/").json()["name"] == "Vendor One"
    updated = api_client.patch(f"{API}/vendors/{pk}/", {"name": "Vendor Uno"})
    assert updated.status_code == 200
    assert Vendor.objects.get(pk=pk).name == "Vendor Uno"


@pytest.mark.django_db(transaction=True)
def test_duplicate_vendor_code_is_a_409_naming_the_field(api_client, wom_rows):
    assert api_client.post(f"{API}/vendors/", {"code": "V1", "name": "Vendor One"}).status_code == 201
    rows = wom_rows()
    response = api_client.post(f"{API}/vendors/", {"code": "V1", "name": "Vendor Again"})
    assert response.status_code == 409
    assert response.json() == {"code": ["Vendor with this Code already exists."]}
    assert rows.changed() == {}


def test_invalid_vendor_is_a_400_with_field_errors(api_client, wom_rows):
    rows = wom_rows()
    response = api_client.post(f"{API}/vendors/", {"code": "", "name": "No code", "email": "not-an-address"})
    assert response.status_code == 400
    assert set(response.json()) == {"code", "email"}
    assert rows.changed() == {}


def test_approver_create_and_list(api_client, approver_person, site_bt):
    response = api_client.post(
        f"{API}/approvers/", {"people": approver_person.pk, "identifier": "APPROVER", "approverfor": "WORK_PERMIT"}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["site"] == site_bt.pk
    assert len(api_client.get(f"{API}/approvers/").json()["results"]) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("identifier", ["APPROVER", "VERIFIER"])
def test_a_second_role_of_one_person_at_one_site_is_a_400(api_client, approvers, approver_person, wom_rows, identifier):
    rows = wom_rows()
    response = api_client.post(
        f"{API}/approvers/", {"people": approver_person.pk, "identifier": identifier, "approverfor": "WORK_PERMIT"}
    )
    assert response.status_code == 400
    assert "people" in response.json()["errors"]
    assert rows.changed() == {}


# Work orders
# ------------------------------------------------------------------------------


def test_work_order_create_list_retrieve_update(api_client, vendor, asset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = api_client.post(
            f"{API}/work-orders/",
            {"description": "Fix the chiller", "vendor": vendor.pk, "asset": asset.pk, "priority": "HIGH"},
        )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["number"].startswith("WO-") and body["workstatus"] == "ASSIGNED"
    assert [w["id"] for w in api_client.get(f"{API}/work-orders/").json()["results"]] == [body["id"]]
    assert api_client.get(f"{API}/work-orders/{body['id']}/").json()["number"] == body["number"]
    updated = api_client.patch(f"{API}/work-orders/{body['id']}/", {"workstatus": "INPROGRESS"})
    assert updated.status_code == 200, updated.json()
    assert updated.json()["workstatus"] == "INPROGRESS"
    assert WorkOrder.objects.get(pk=body["id"]).history.count() == 2


def test_work_order_cannot_be_created_in_another_status(api_client, wom_rows):
    rows = wom_rows()
    response = api_client.post(f"{API}/work-orders/", {"description": "x", "workstatus": "CLOSED"})
    assert response.status_code == 400
    assert "workstatus" in response.json()
    assert rows.changed() == {}


@pytest.mark.django_db(transaction=True)
def test_impossible_status_change_is_a_400_and_changes_nothing(api_client, workorder, wom_rows, mailoutbox):
    workorder.workstatus = "CLOSED"
    workorder.save(update_fields=["workstatus"])
    mailoutbox.clear()  # the order's creation committed and told its vendor
    rows = wom_rows()
    response = api_client.patch(f"{API}/work-orders/{workorder.pk}/", {"workstatus": "INPROGRESS"})
    assert response.status_code == 400
    assert "workstatus" in response.json()["errors"]
    assert rows.changed() == {}
    assert WorkOrder.objects.get(pk=workorder.pk).workstatus == "CLOSED"
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", ["save_userinfo", "_record_history", "_allocate_number"])
def test_failed_work_order_creation_over_the_api_leaves_nothing(step, api_client, vendor, wom_rows, mailoutbox):
    rows = wom_rows()
    client = api_client
    client.raise_request_exception = False
    with fault_at(SERVICES, step):
        response = client.post(f"{API}/work-orders/", {"description": "x", "vendor": vendor.pk})
    assert response.status_code == 500
    assert rows.changed() == {}
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
@override_settings(DISTRIBUTED_LOCK_TYPES={"WORK_ORDER_NUMBERING": (5.0, 0.3)})
def test_work_order_creation_while_the_numbering_is_locked_is_a_409_with_retry_after(
    api_client, client_bt, wom_rows, mailoutbox
):
    rows = wom_rows()
    with LockRegistry.get_lock("WORK_ORDER_NUMBERING", client_bt.pk):
        response = api_client.post(f"{API}/work-orders/", {"description": "x"})
    assert response.status_code == 409
    assert response.json()["error"] == "locked"
    assert int(response["Retry-After"]) >= 1
    assert rows.changed() == {}
    assert api_client.post(f"{API}/work-orders/", {"description": "x"}).status_code == 201


# Work permits
# ------------------------------------------------------------------------------


def _permit_body(site_bt, permit_type, details):
    return {"site": site_bt.pk, "permit_type": permit_type.pk, "remarks": "Welding on roof", "details": details}


@pytest.mark.django_db(transaction=True)
def test_committed_permit_over_the_api_notifies_the_verifiers_once(
    api_client, site_bt, permit_type, approvers, details, mailoutbox
):
    response = api_client.post(f"{API}/work-permits/", _permit_body(site_bt, permit_type, details), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["permit_name"] == "PTW-ACME-HQ-00001"
    assert len(body["details"]) == 3 and len(body["approvals"]) == 2
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["victor@example.com"]


def test_permit_whose_third_detail_is_invalid_is_a_400_naming_it(
    api_client, site_bt, permit_type, approvers, details, wom_rows, mailoutbox
):
    details[2] = {"question": "Gas reading", "answertype": "NUMERIC", "answer": "low"}
    rows = wom_rows()
    response = api_client.post(f"{API}/work-permits/", _permit_body(site_bt, permit_type, details), format="json")
    assert response.status_code == 400
    errors = response.json()["details"]
    assert list(errors) == ["2"]
    assert list(errors["2"]) == ["answer"]
    assert rows.changed() == {}
    assert not WorkPermit.objects.exists()
    assert mailoutbox == []


def test_permit_with_an_unanswered_mandatory_question_is_a_400(api_client, site_bt, permit_type, approvers, details):
    details[0]["answer"] = ""
    response = api_client.post(f"{API}/work-permits/", _permit_body(site_bt, permit_type, details), format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]["0"]) == ["answer"]


def test_permit_with_a_repeated_position_is_a_400(api_client, site_bt, permit_type, approvers, details):
    details[0]["seqno"], details[1]["seqno"] = 5, 5
    response = api_client.post(f"{API}/work-permits/", _permit_body(site_bt, permit_type, details), format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"1": {"seqno": ["Position 5 is used twice."]}}


@pytest.mark.django_db(transaction=True)
def test_permit_at_a_site_without_approvers_is_a_400_and_writes_nothing(
    api_client, site_bt, permit_type, details, wom_rows, mailoutbox
):
    rows = wom_rows()
    response = api_client.post(f"{API}/work-permits/", _permit_body(site_bt, permit_type, details), format="json")
    assert response.status_code == 400
    assert "site" in response.json()["errors"]
    assert rows.changed() == {}
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_permit_details_failing_in_the_database_leave_no_permit(
    api_client, site_bt, permit_type, approvers, details, wom_rows, mailoutbox
):
    rows = wom_rows()
    with fault_at(WomDetails.objects, "bulk_create"):
        api_client.raise_request_exception = False
        response = api_client.post(f"{API}/work-permits/", _permit_body(site_bt, permit_type, details), format="json")
    assert response.status_code == 500
    assert rows.changed() == {}
    assert mailoutbox == []


def test_permit_list_and_retrieve(api_client, permit):
    listed = api_client.get(f"{API}/work-permits/").json()["results"]
    assert [p["permit_name"] for p in listed] == [permit.permit_name]
    detail = api_client.get(f"{API}/work-permits/{permit.pk}/").json()
    assert [d["seqno"] for d in detail["details"]] == [1, 2, 3]


@pytest.fixture
def permit(permit, verifier_person):
    """The permit once its verifier confirmed the checklist: now it waits for its approver."""
    return decide_permit(author=verifier_person, permit=permit, decision="APPROVED", role="VERIFIER")


@pytest.mark.django_db(transaction=True)
def test_approve_action_decides_and_refuses_a_second_decision(permit, approver_person, mailoutbox):
    mailoutbox.clear()  # the permit's creation and verification told its verifier and its approver
    client = _as(approver_person)
    response = client.post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "APPROVED", "remarks": "fine"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "APPROVED"
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    again = client.post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "REJECTED"})
    assert again.status_code == 400
    assert "permit" in again.json()["errors"]
    assert WorkPermit.objects.get(pk=permit.pk).status == "APPROVED"
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_approve_action_by_someone_who_is_not_an_approver_is_a_403(permit, verifier_person, mailoutbox):
    mailoutbox.clear()
    response = _as(verifier_person).post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "APPROVED"})
    assert response.status_code == 403
    assert PermitApproval.objects.filter(permit=permit, role="APPROVER").exclude(decision="PENDING").count() == 0
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
@override_settings(DISTRIBUTED_LOCK_TYPES={"PERMIT_APPROVAL": (5.0, 0.3)})
def test_approve_action_while_the_permit_is_locked_is_a_409_with_retry_after(permit, approver_person, mailoutbox):
    mailoutbox.clear()
    client = _as(approver_person)
    with LockRegistry.get_lock("PERMIT_APPROVAL", permit.pk):
        response = client.post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "APPROVED"})
    assert response.status_code == 409
    assert "Retry-After" in response
    assert PermitApproval.objects.filter(permit=permit, role="APPROVER").exclude(decision="PENDING").count() == 0
    assert mailoutbox == []
    assert client.post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "APPROVED"}).status_code == 200


def test_approve_action_validates_its_input(permit, approver_person):
    response = _as(approver_person).post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "MAYBE"})
    assert response.status_code == 400
    assert "decision" in response.json()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", ["_lock_permit", "_record_decision", "_settle_permit"])
def test_failed_decision_over_the_api_leaves_the_permit_pending(step, permit, approver_person, mailoutbox):
    mailoutbox.clear()
    client = _as(approver_person)
    client.raise_request_exception = False
    with fault_at(SERVICES, step):
        response = client.post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "APPROVED"})
    assert response.status_code == 500
    assert WorkPermit.objects.get(pk=permit.pk).status == "PENDING"
    assert PermitApproval.objects.filter(permit=permit, role="APPROVER").exclude(decision="PENDING").count() == 0
    assert mailoutbox == []


# Access
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["vendors", "approvers", "work-orders", "work-permits"])
def test_anonymous_callers_are_refused(prefix, db):
    client = APIClient()
    assert client.get(f"{API}/{prefix}/").status_code in (401, 403)
    assert client.post(f"{API}/{prefix}/", {}).status_code in (401, 403)


def test_records_of_another_client_are_invisible(member, db):
    from apps.onboarding.models import Bt

    other = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    other_site = Bt.objects.create(bucode="OTHER-1", buname="Other 1", identifier=Bt.Identifier.SITE, parent=other)
    foreign = Vendor.objects.create(client=other, site=other_site, code="FOREIGN", name="Foreign")
    api_client = _as(member("client_admin"))
    assert api_client.get(f"{API}/vendors/").json()["results"] == []
    assert api_client.get(f"{API}/vendors/{foreign.pk}/").status_code == 404
