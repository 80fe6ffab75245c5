"""A work permit is created whole, with approvers, name and checklist, or not at all.

The service is called as a view would call it: its own boundary is the outermost transaction of
the operation (the test case's transaction does not count), so these tests fail if the boundary
is removed.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.models import DeliveryReceipt, OutboxMessage
from apps.core.testing import InjectedFault, fault_at
from apps.work_order_management.models import PermitApproval, WomDetails, WorkPermit
from apps.work_order_management.services import create_work_permit
from apps.work_order_management.tasks import notify_verifiers

SERVICES = "apps.work_order_management.services"
PERMIT_STEPS = [
    "_new_permit",
    "save_userinfo",
    "_assign_approvers",
    "_assign_verifiers",
    "_name_permit",
    "_add_details",
    "_notify_verifiers_after_commit",
]


@pytest.mark.parametrize("step", PERMIT_STEPS)
def test_permit_creation_leaves_nothing_when_a_step_fails(
    step, author, site_bt, permit_type, approvers, details, wom_rows, mailoutbox, django_capture_on_commit_callbacks
):
    rows = wom_rows()
    with django_capture_on_commit_callbacks() as callbacks:
        with fault_at(SERVICES, step), pytest.raises(InjectedFault):
            create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    assert rows.changed() == {}
    assert callbacks == []
    assert mailoutbox == []


@pytest.mark.parametrize(
    "manager", [PermitApproval.objects, WomDetails.objects], ids=["approvals-insert", "details-insert"]
)
def test_permit_creation_leaves_nothing_when_an_insert_fails(
    manager, author, site_bt, permit_type, approvers, details, wom_rows, mailoutbox, django_capture_on_commit_callbacks
):
    rows = wom_rows()
    with django_capture_on_commit_callbacks() as callbacks:
        with fault_at(manager, "bulk_create"), pytest.raises(InjectedFault):
            create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    assert rows.changed() == {}
    assert callbacks == []
    assert mailoutbox == []


def test_permit_notification_is_dropped_when_the_caller_fails_after_it(
    author, site_bt, permit_type, approvers, details, wom_rows, mailoutbox, django_capture_on_commit_callbacks
):
    rows = wom_rows()
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(InjectedFault), transaction.atomic():
            create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
            raise InjectedFault("the caller fails after the permit was created")
    assert rows.changed() == {}
    assert callbacks == []
    assert mailoutbox == []


def test_permit_creation_writes_permit_approvals_name_and_details(
    author,
    site_bt,
    permit_type,
    approvers,
    approver_person,
    verifier_person,
    details,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details, remarks="x")
    permit.refresh_from_db()
    assert permit.permit_name == "PTW-ACME-HQ-00001"
    assert permit.status == WorkPermit.Status.PENDING
    assert (permit.client_id, permit.site_id, permit.cuser_id) == (site_bt.parent_id, site_bt.pk, author.pk)
    assert set(permit.approvals.values_list("people_id", "role", "decision")) == {
        (approver_person.pk, "APPROVER", "PENDING"),
        (verifier_person.pk, "VERIFIER", "PENDING"),
    }
    assert list(permit.details.values_list("seqno", "question")) == [
        (i + 1, d["question"]) for i, d in enumerate(details)
    ]
    assert len(callbacks) == 1


def test_permits_of_a_site_are_named_in_sequence(author, site_bt, permit_type, approvers, details):
    names = [
        create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details).permit_name
        for _ in range(3)
    ]
    assert names == ["PTW-ACME-HQ-00001", "PTW-ACME-HQ-00002", "PTW-ACME-HQ-00003"]


def test_committed_permit_notifies_the_verifiers_once(
    author, site_bt, permit_type, approvers, details, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["victor@example.com"]
    assert permit.permit_name in mailoutbox[0].subject


@pytest.mark.parametrize("role", ["APPROVER", "VERIFIER"])
def test_permit_needs_an_approver_and_a_verifier_at_the_site(
    role, author, site_bt, permit_type, approvers, details, wom_rows, mailoutbox, django_capture_on_commit_callbacks
):
    from apps.work_order_management.models import Approver

    Approver.objects.filter(identifier=role).delete()
    rows = wom_rows()
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(ValidationError) as excinfo:
            create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    assert "site" in excinfo.value.message_dict
    assert rows.changed() == {}
    assert callbacks == []
    assert mailoutbox == []


def test_permit_with_a_bad_detail_reports_its_index_and_writes_nothing(
    author, site_bt, permit_type, approvers, details, wom_rows
):
    details[2] = {"question": "Gas reading", "answertype": "NUMERIC", "answer": "low"}
    rows = wom_rows()
    with pytest.raises(ValidationError) as excinfo:
        create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    assert list(excinfo.value.message_dict) == ["details[2].answer"]
    assert rows.changed() == {}


def test_permit_at_a_site_of_another_client_is_refused(author, permit_type, approvers, details, wom_rows):
    from apps.onboarding.models import Bt

    other = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    other_site = Bt.objects.create(bucode="OTHER-1", buname="Other 1", identifier=Bt.Identifier.SITE, parent=other)
    rows = wom_rows()
    with pytest.raises(ValidationError) as excinfo:
        create_work_permit(author=author, site=other_site, permit_type=permit_type, details=details)
    assert "site" in excinfo.value.message_dict
    assert rows.changed() == {}


@pytest.mark.django_db(transaction=True)
def test_permit_inside_an_outer_transaction_that_rolls_back_leaves_nothing_and_sends_nothing(
    author, site_bt, permit_type, approvers, details, wom_rows, mailoutbox
):
    rows = wom_rows()
    with pytest.raises(InjectedFault), transaction.atomic():
        create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
        raise InjectedFault("the outer operation fails after the permit was created")
    assert rows.changed() == {}
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_committed_permit_sends_one_mail_that_finds_the_committed_rows(
    author, site_bt, permit_type, approvers, details, mailoutbox
):
    permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    [message] = OutboxMessage.objects.filter(task_name=notify_verifiers.name)
    assert message.args == [permit.pk]
    assert message.published_at is not None
    assert DeliveryReceipt.objects.filter(message_id=message.pk).exists()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["victor@example.com"]
    assert permit.permit_name in mailoutbox[0].subject


def test_notify_verifiers_tolerates_a_vanished_permit(db, mailoutbox):
    assert notify_verifiers(987654) == []
    assert mailoutbox == []
