"""The permit workflow: verifiers confirm the checklist first, then the approvers decide.

Everyone a permit names can act on it, in that order; each hears of it only when it is their turn.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from apps.work_order_management.models import PermitApproval, WorkPermit
from apps.work_order_management.services import decide_permit
from apps.work_order_management.tasks import notify_approvers

API = "/api/v1/work-permits"
VERIFIER = PermitApproval.Role.VERIFIER


def _as(person):
    client = APIClient()
    client.force_authenticate(person)
    return client


def _parts(permit):
    return dict(PermitApproval.objects.filter(permit=permit).values_list("role", "decision"))


def test_an_approver_waits_for_the_verifiers(permit, approver_person, wom_rows):
    rows = wom_rows()
    with pytest.raises(ValidationError) as refused:
        decide_permit(author=approver_person, permit=permit, decision="APPROVED")
    assert "verifiers" in refused.value.message_dict["permit"][0]
    assert rows.changed() == {}
    assert _parts(permit) == {"APPROVER": "PENDING", "VERIFIER": "PENDING"}


def test_the_last_verification_tells_the_approvers_and_lets_them_decide(
    permit, verifier_person, approver_person, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        verified = decide_permit(author=verifier_person, permit=permit, decision="APPROVED", role=VERIFIER)
    assert verified.status == WorkPermit.Status.PENDING
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([approver_person.email], f"Work permit {permit} needs your approval")
    ]
    decided = decide_permit(author=approver_person, permit=permit, decision="APPROVED")
    assert decided.status == WorkPermit.Status.APPROVED
    assert _parts(permit) == {"APPROVER": "APPROVED", "VERIFIER": "APPROVED"}


def test_a_verifier_who_rejects_the_checklist_rejects_the_permit(
    permit, verifier_person, approver_person, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decided = decide_permit(
            author=verifier_person, permit=permit, decision="REJECTED", remarks="gas test missing", role=VERIFIER
        )
    assert decided.status == WorkPermit.Status.REJECTED
    assert [m.subject for m in mailoutbox] == [f"Work permit {permit} was rejected"]
    with pytest.raises(ValidationError):
        decide_permit(author=approver_person, permit=permit, decision="APPROVED")


def test_an_approver_cannot_verify_and_a_verifier_cannot_approve(permit, verifier_person, approver_person):
    with pytest.raises(PermissionDenied):
        decide_permit(author=approver_person, permit=permit, decision="APPROVED", role=VERIFIER)
    with pytest.raises(PermissionDenied):
        decide_permit(author=verifier_person, permit=permit, decision="APPROVED")


@pytest.mark.django_db(transaction=True)
def test_verify_then_approve_over_the_api(permit, verifier_person, approver_person, mailoutbox):
    mailoutbox.clear()
    early = _as(approver_person).post(f"{API}/{permit.pk}/approve/", {"decision": "APPROVED"})
    assert early.status_code == 400 and "permit" in early.json()["errors"]
    verified = _as(verifier_person).post(f"{API}/{permit.pk}/verify/", {"decision": "APPROVED", "remarks": "seen"})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "PENDING"
    assert [m.subject for m in mailoutbox] == [f"Work permit {permit} needs your approval"]
    approved = _as(approver_person).post(f"{API}/{permit.pk}/approve/", {"decision": "APPROVED"})
    assert approved.status_code == 200
    assert approved.json()["status"] == "APPROVED"


def test_notify_approvers_tolerates_a_vanished_permit(db, mailoutbox):
    assert notify_approvers(987654) == []
    assert mailoutbox == []
