"""Every write path of work orders and permits is all or nothing: each write, failed in turn, leaves nothing.

Numbering counters, history rows, approvals and checklist answers, and the notifications sent after
commit are covered without being named here.
"""

import pytest
from django.urls import reverse

from apps.peoples.models import People
from apps.work_order_management.models import (
    Approver,
    PermitApproval,
    Vendor,
    WorkOrder,
    WorkOrderHistory,
    WorkOrderSequence,
    WorkPermit,
)
from apps.work_order_management.services import (
    create_approver,
    create_vendor,
    create_work_order,
    create_work_permit,
    decide_permit,
    update_vendor,
    update_work_order,
)

pytestmark = pytest.mark.usefixtures("each_transaction_mode")


def test_create_vendor(assert_all_or_nothing, author):
    assert_all_or_nothing(lambda: create_vendor(author=author, code="SPARK", name="Spark Ltd", email="a@spark.example"))


def test_update_vendor(assert_all_or_nothing, author, vendor):
    assert_all_or_nothing(
        lambda: update_vendor(author=author, vendor=Vendor.objects.get(pk=vendor.pk), name="Fix-It Group")
    )


def test_create_approver(assert_all_or_nothing, author, site_bt, approver_person):
    assert_all_or_nothing(
        lambda: create_approver(
            author=author, people=approver_person, identifier=Approver.Identifier.APPROVER, site=site_bt
        )
    )


def test_create_work_order(assert_all_or_nothing, author, vendor, asset, mailoutbox):
    record = assert_all_or_nothing(
        lambda: create_work_order(author=author, description="Fix the door", vendor=vendor, asset=asset)
    )
    numbered = {model._meta.db_table for model in (WorkOrder, WorkOrderHistory, WorkOrderSequence)}
    assert numbered <= set(record.tables)


def test_update_work_order(assert_all_or_nothing, author, workorder):
    assert_all_or_nothing(
        lambda: update_work_order(
            author=author, workorder=WorkOrder.objects.get(pk=workorder.pk), workstatus=WorkOrder.WorkStatus.INPROGRESS
        )
    )


def test_create_work_permit(assert_all_or_nothing, author, site_bt, permit_type, approvers, details):
    assert_all_or_nothing(
        lambda: create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    )


def test_verify_permit(assert_all_or_nothing, permit, verifier_person):
    record = assert_all_or_nothing(
        lambda: decide_permit(
            author=People.objects.get(pk=verifier_person.pk),
            permit=WorkPermit.objects.get(pk=permit.pk),
            decision=PermitApproval.Decision.APPROVED,
            role=PermitApproval.Role.VERIFIER,
        )
    )
    assert record.tasks, "the approvers are told once the last verifier confirmed"


@pytest.fixture
def verified_permit(permit, verifier_person):
    """A permit its verifier confirmed: its approver's decision settles it and tells its author."""
    return decide_permit(
        author=verifier_person,
        permit=permit,
        decision=PermitApproval.Decision.APPROVED,
        role=PermitApproval.Role.VERIFIER,
    )


def test_decide_permit(assert_all_or_nothing, approver_person, verified_permit):
    record = assert_all_or_nothing(
        lambda: decide_permit(
            author=People.objects.get(pk=approver_person.pk),
            permit=WorkPermit.objects.get(pk=verified_permit.pk),
            decision=PermitApproval.Decision.APPROVED,
        )
    )
    assert WorkPermit._meta.db_table in record.tables  # settled: approved


def test_work_order_created_over_the_api(assert_all_or_nothing, api_client, vendor, asset):
    """A request is an operation too: each failed write must end in an error answer, with nothing left."""
    body = {"description": "Fix the chiller", "vendor": vendor.pk, "asset": asset.pk, "priority": "HIGH"}
    assert_all_or_nothing(lambda: api_client.post("/api/v1/work-orders/", body, format="json"))


def test_work_order_created_from_the_form(assert_all_or_nothing, web_client, vendor):
    body = {"description": "Fix the lift", "vendor": vendor.pk, "priority": "LOW"}
    assert_all_or_nothing(lambda: web_client.post(reverse("work_order_management:workorder-create"), body))
