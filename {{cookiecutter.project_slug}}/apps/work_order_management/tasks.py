"""Notifications about work orders and permits, sent by Celery after the write committed.

The services schedule these only once their transaction has committed, so the rows are there
when a worker runs. They only read: a row deleted in the meantime means there is nobody left
to tell, and the task ends quietly.

Tasks run as the system: they are not scoped to a client (``apps.core.access``); what they touch
was chosen by the committed write that scheduled them.
"""

import logging

from celery import shared_task
from django.core.mail import send_mail

from apps.core.outbox.consumer import IdempotentTask

from .models import PermitApproval, WorkOrder, WorkOrderHistory, WorkPermit

logger = logging.getLogger(__name__)


def _notify_role(permit_pk, role, subject, opening):
    """E-mail the people who hold ``role`` on a permit, in one message. Returns the recipients."""
    permit = WorkPermit.objects.select_related("site", "permit_type").filter(pk=permit_pk).first()
    if permit is None:
        logger.info("permit %s is gone; no %s to notify", permit_pk, role.lower())
        return []
    recipients = sorted(
        {email for email in permit.approvals.filter(role=role).values_list("people__email", flat=True) if email}
    )
    if recipients:
        answers = permit.details.count()
        send_mail(
            subject=subject.format(permit=permit),
            message=(
                f"Work permit {permit} ({permit.permit_type.taname}) at {permit.site.buname} {opening}."
                f"\n\nChecklist: {answers} answer{'' if answers == 1 else 's'}."
                f"\nRemarks: {permit.remarks or '-'}"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    return recipients


@shared_task(base=IdempotentTask)
def notify_verifiers(permit_pk):
    """Tell a new permit's verifiers that its checklist waits for their confirmation."""
    return _notify_role(
        permit_pk,
        PermitApproval.Role.VERIFIER,
        "Work permit {permit} needs your verification",
        "was raised and lists you as a verifier",
    )


@shared_task(base=IdempotentTask)
def notify_approvers(permit_pk):
    """Tell a permit's approvers, once every verifier confirmed it, that it waits for their decision."""
    return _notify_role(
        permit_pk,
        PermitApproval.Role.APPROVER,
        "Work permit {permit} needs your approval",
        "was verified and lists you as an approver",
    )


def _vendor_message(workorder, event):
    if event == WorkOrderHistory.Action.DISPATCHED:
        return f"Work order {workorder} at {workorder.site.buname} is dispatched to you."
    if event == WorkOrderHistory.Action.DISPATCH_CANCELLED:
        return f"The dispatch of work order {workorder} at {workorder.site.buname} is cancelled: do not start it."
    return f"Work order {workorder} at {workorder.site.buname} is now {workorder.get_workstatus_display()}."


@shared_task(base=IdempotentTask)
def notify_vendor(workorder_pk, event):
    """E-mail a work order's vendor that it was created, changed status, or was dispatched or cancelled."""
    workorder = WorkOrder.objects.select_related("vendor", "site").filter(pk=workorder_pk).first()
    if workorder is None or workorder.vendor is None or not workorder.vendor.email:
        return []
    send_mail(
        subject=f"Work order {workorder}: {event.lower().replace('_', ' ')}",
        message=f"{_vendor_message(workorder, event)}\n\n{workorder.description}",
        from_email=None,
        recipient_list=[workorder.vendor.email],
    )
    return [workorder.vendor.email]


@shared_task(base=IdempotentTask)
def notify_permit_author(permit_pk):
    """Tell whoever raised a permit that it was approved or rejected."""
    permit = WorkPermit.objects.select_related("cuser").filter(pk=permit_pk).first()
    if permit is None or permit.cuser is None or not permit.cuser.email:
        return []
    send_mail(
        subject=f"Work permit {permit} was {permit.get_status_display().lower()}",
        message=f"Your work permit {permit} was {permit.get_status_display().lower()}.",
        from_email=None,
        recipient_list=[permit.cuser.email],
    )
    return [permit.cuser.email]
