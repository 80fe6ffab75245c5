"""The floors: the writes of the permit and work-order services, by hand with the bare ORM.

Each function here issues the same SQL statements, in the same order, as its service in
``apps.work_order_management.services`` (the tests check that the counts agree), with the same
validation of the checklist answers and the same notification scheduled on commit, but without
the project's machinery: no ``atomic_view_operation`` (so no monitoring), no distributed lock, no
``save_userinfo``, no step functions. The caller chooses the transaction: one plain
``transaction.atomic`` around the call, or none at all (``autocommit=True``: every statement
then commits on its own, and the rows that a transaction would lock are only read).
"""

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.models import OutboxMessage
from apps.core.outbox.sending import publish_if_next
from apps.core.services.transaction_manager import get_current_db_name
from apps.onboarding.models import Bt
from apps.work_order_management.models import (
    Approver,
    PermitApproval,
    WomDetails,
    WorkOrder,
    WorkOrderHistory,
    WorkOrderSequence,
    WorkPermit,
)
from apps.work_order_management.tasks import notify_verifiers

WORK_ORDER_FIELDS = ("description", "vendor", "asset", "priority", "workstatus", "plandatetime", "expirydatetime")


def _locked(queryset, autocommit):
    """The rows of ``queryset`` locked as the services lock them; only read in autocommit."""
    if autocommit:
        return queryset
    features = connections[queryset.db].features
    of = ("self",) if features.has_select_for_update_of else ()
    return queryset.select_for_update(no_key=features.has_select_for_no_key_update, of=of)


def _stamp(author, client_id, site_id):
    return {"cuser": author, "muser": author, "client_id": client_id, "site_id": site_id}


def create_work_permit(*, author, site, permit_type, details, remarks="", autocommit=False):
    """A permit with its approvals, name and checklist: the statements of the permit service."""
    stamp = _stamp(author, site.parent_id, site.pk)
    permit = WorkPermit.objects.create(permit_type=permit_type, remarks=remarks, **stamp)
    for role in (PermitApproval.Role.APPROVER, PermitApproval.Role.VERIFIER):
        people_ids = list(
            Approver.objects.filter(
                site_id=site.pk, approverfor=Approver.ApproverFor.WORK_PERMIT, identifier=role, people__is_active=True
            )
            .order_by("pk")
            .values_list("people_id", flat=True)
        )
        if not people_ids:
            raise ValidationError({"site": f"No {role.lower()} of work permits is configured for site {site.bucode}."})
        PermitApproval.objects.bulk_create(
            PermitApproval(permit=permit, people_id=people_id, role=role) for people_id in people_ids
        )
    locked_site = _locked(Bt.objects.filter(pk=site.pk), autocommit).get()
    last = WorkPermit.objects.filter(site_id=locked_site.pk).aggregate(last=Max("sequence"))["last"] or 0
    permit.sequence = last + 1
    permit.permit_name = f"PTW-{locked_site.bucode}-{permit.sequence:05d}"
    permit.save(update_fields=["sequence", "permit_name"])
    rows = []
    for index, data in enumerate(details):
        row = WomDetails(permit=permit, **stamp, **{**data, "seqno": data.get("seqno") or index + 1})
        row.full_clean(
            exclude=["permit", "client", "site", "cuser", "muser"], validate_unique=False, validate_constraints=False
        )
        rows.append(row)
    WomDetails.objects.bulk_create(rows)
    alias = get_current_db_name()
    message = OutboxMessage.objects.using(alias).create(task_name=notify_verifiers.name, args=[permit.pk])
    transaction.on_commit(lambda: publish_if_next(message.pk, alias), using=alias)
    return permit


def create_work_order(*, author, site, description, **fields):
    """A numbered work order with its first history entry: the statements of the work-order service.

    Call it inside a transaction: the client's numbering row is locked until it ends.
    """
    fields = {name: value for name, value in fields.items() if name in WORK_ORDER_FIELDS and name != "workstatus"}
    stamp = _stamp(author, site.parent_id, site.pk)
    workorder = WorkOrder.objects.create(description=description, **fields, **stamp)
    snapshot = {name: _json_value(getattr(workorder, name)) for name in WORK_ORDER_FIELDS}
    WorkOrderHistory.objects.create(
        workorder=workorder,
        action=WorkOrderHistory.Action.CREATED,
        workstatus=workorder.workstatus,
        changed_by=author,
        snapshot=snapshot,
        **stamp,
    )
    year = timezone.localdate().year
    WorkOrderSequence.objects.bulk_create(
        [WorkOrderSequence(client_id=workorder.client_id, year=year, last_number=0)], ignore_conflicts=True
    )
    counter = _locked(WorkOrderSequence.objects.filter(client_id=workorder.client_id), False).get()
    if counter.year != year:
        counter.year, counter.last_number = year, 0
    counter.last_number += 1
    counter.save(update_fields=["year", "last_number"])
    workorder.sequence = counter.last_number
    workorder.number = f"WO-{year}-{counter.last_number:06d}"
    workorder.save(update_fields=["number", "sequence"])
    return workorder


def _json_value(value):
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
