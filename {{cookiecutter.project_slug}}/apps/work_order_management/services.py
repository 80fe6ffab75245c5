"""Write paths of work orders and permits: each public function is one transaction (dispatch: a saga).

The steps of a multi-step write are small private functions, called in order by the public one,
so that the order is readable in one place and a test can make any single step fail and check
that nothing of the operation remains. Notifications are scheduled on the transaction's commit
(``send_task_on_commit``) and never sent for an operation that rolled back.

Locks, taken before the transaction and released after it (``with_lock_and_transaction``), keep
concurrent operations on one resource apart across processes: ``WORK_ORDER_NUMBERING`` per client
for a new work order, ``PERMIT_APPROVAL`` per permit for a decision. Those services open the
transaction themselves and so must be the outermost boundary of their operation: called inside
another transaction they refuse (``RuntimeError``), since the lock would end before the commit.

A lock is never the only guard. Row locks in the database protect the same rows when a lock is
lost (expiry, failover): the work-order number is taken from the client's ``WorkOrderSequence``
row locked ``FOR UPDATE``; a permit's name from the highest sequence at its site, read while the
site's ``Bt`` row is locked (permit creation has no lock type of its own: this row lock and the
unique (site, sequence) constraint are its guard); a permit decision locks the permit row.

Dispatching a work order to its vendor reaches outside the database, so it is a saga
(``TransactionManager``): reserve the order, tell the vendor, mark it dispatched, each step its
own transaction, the completed ones compensated in reverse when a later one fails.
"""

import functools
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.models import SagaExecutionLog
from apps.core.services.distributed_locks import with_lock_and_transaction
from apps.core.services.row_update import apply_changes, for_update, lock_row, save_changes
from apps.core.services.saga import TransactionManager, recover_saga, register_saga_recovery
from apps.core.services.transaction_manager import (
    atomic_view_operation,
    get_current_db_name,
    send_task_on_commit,
    use_database,
)
from apps.core.services.userinfo import save_userinfo
from apps.onboarding.models import Bt

from .models import (
    PERMIT_TYPE_GROUP,
    Approver,
    PermitApproval,
    Vendor,
    WomDetails,
    WorkOrder,
    WorkOrderHistory,
    WorkOrderSequence,
    WorkPermit,
)
from .tasks import notify_approvers, notify_permit_author, notify_vendor, notify_verifiers

VENDOR_FIELDS = ("code", "name", "email", "mobno", "address", "enable")
WORK_ORDER_FIELDS = ("description", "vendor", "asset", "priority", "workstatus", "plandatetime", "expirydatetime")
DETAIL_FIELDS = ("seqno", "question", "answertype", "answer", "ismandatory")


# Shared helpers
# ------------------------------------------------------------------------------


def _site_of(author, site):
    """The site a record goes to: the one given, else the author's; it must be a site of the author's client."""
    site = site or getattr(author, "site", None)
    if site is None:
        raise ValidationError({"site": "Choose a site: you have no site of your own."})
    if site.identifier != Bt.Identifier.SITE:
        raise ValidationError({"site": f"{site} is a client, not a site."})
    author_client = getattr(author, "client_id", None)
    if author_client is not None and site.parent_id != author_client:
        raise ValidationError({"site": f"{site} is not a site of your client."})
    return site


def _same_client(record, client_id, field):
    if record is not None and record.client_id != client_id:
        raise ValidationError({field: f"{record} belongs to another client."})


def _json_value(value):
    """A value as it is stored in a history snapshot (JSON)."""
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# Vendors and approvers
# ------------------------------------------------------------------------------


@atomic_view_operation()
def create_vendor(*, author, code, name, site=None, **fields):
    """Create a vendor of the author's client; a duplicate code is refused by the database (409)."""
    site = _site_of(author, site)
    vendor = Vendor(code=code, name=name, **{k: v for k, v in fields.items() if k in VENDOR_FIELDS})
    return save_userinfo(vendor, author, client=site.parent_id, site=site)


@atomic_view_operation()
def update_vendor(*, author, vendor, expected_version=None, **changes):
    """Change a vendor: re-read under its row lock, only the fields sent written.

    ``vendor`` is the vendor or its pk; ``expected_version``, when given, refuses the edit if the
    vendor changed since the caller read it.
    """
    current = lock_row(Vendor.objects, vendor, expected_version=expected_version)
    return save_changes(current, author, apply_changes(current, changes, VENDOR_FIELDS))


@atomic_view_operation()
def create_approver(*, author, people, identifier, approverfor=Approver.ApproverFor.WORK_PERMIT, site=None):
    """Make ``people`` an approver or verifier of ``approverfor`` at a site of the same client.

    Nobody appoints themselves, and a person is approver or verifier at a site, not both.
    """
    site = _site_of(author, site)
    if author is not None and author.pk == people.pk:
        raise PermissionDenied("Nobody appoints themselves; ask another admin of your client.")
    if people.client_id is not None and people.client_id != site.parent_id:
        raise ValidationError({"people": f"{people} works for another client."})
    held = Approver.objects.filter(people=people, approverfor=approverfor, site=site).first()
    if held is not None:
        raise ValidationError({"people": f"{people} is already {held.get_identifier_display().lower()} at {site}."})
    approver = Approver(people=people, identifier=identifier, approverfor=approverfor)
    return save_userinfo(approver, author, client=site.parent_id, site=site)


# Work orders
# ------------------------------------------------------------------------------


def _new_work_order(*, author, site, fields):
    site = _site_of(author, site)
    workorder = WorkOrder(client_id=site.parent_id, site=site, **fields)
    _check_work_order(workorder)
    return workorder


def _check_work_order(workorder):
    _same_client(workorder.vendor, workorder.client_id, "vendor")
    _same_client(workorder.asset, workorder.client_id, "asset")
    if workorder.vendor is not None and not workorder.vendor.enable:
        raise ValidationError({"vendor": f"{workorder.vendor} is disabled."})
    plan, expiry = workorder.plandatetime, workorder.expirydatetime
    if plan is not None and expiry is not None and expiry < plan:
        raise ValidationError({"expirydatetime": "A work order cannot expire before it is planned."})


def _record_history(workorder, author, action, snapshot):
    return save_userinfo(
        WorkOrderHistory(
            workorder=workorder,
            action=action,
            workstatus=workorder.workstatus,
            changed_by=author if getattr(author, "is_authenticated", False) else None,
            snapshot=snapshot,
        ),
        author,
        client=workorder.client_id,
        site=workorder.site_id,
    )


def _allocate_number(workorder):
    """Give the order the next number of its client: ``WO-<year>-<6 digits>``, restarting each year.

    The counter row is created with an insert that ignores a conflict, so two transactions that
    both create their client's first order cannot fail on each other (on PostgreSQL a failed
    insert would abort the whole transaction); the second waits for the first, then reads the
    row it made. The row is then locked until this transaction ends, which hands out each
    number once; a rollback returns the number with the counter's update.
    """
    year = timezone.localdate().year
    WorkOrderSequence.objects.bulk_create(
        [WorkOrderSequence(client_id=workorder.client_id, year=year, last_number=0)], ignore_conflicts=True
    )
    counter = for_update(WorkOrderSequence.objects.filter(client_id=workorder.client_id)).get()
    if counter.year != year:
        counter.year, counter.last_number = year, 0
    counter.last_number += 1
    counter.save(update_fields=["year", "last_number"])
    workorder.sequence = counter.last_number
    workorder.number = f"WO-{year}-{counter.last_number:06d}"
    workorder.save(update_fields=["number", "sequence"])
    return workorder.number


def _notify_vendor_after_commit(workorder, event):
    if workorder.vendor_id is not None:
        send_task_on_commit(notify_vendor, workorder.pk, event, about=workorder)


def create_work_order(*, author, description, site=None, **fields):
    """Create a numbered work order with its first history entry; its vendor hears after commit.

    The order's client, whose numbering is locked, follows from the site (given or the author's);
    it is resolved here, before the lock and the transaction are taken.
    """
    site = _site_of(author, site)
    return _create_numbered_work_order(
        author=author, client_id=site.parent_id, site=site, description=description, **fields
    )


@with_lock_and_transaction("WORK_ORDER_NUMBERING", resource_id_param="client_id")
def _create_numbered_work_order(*, author, client_id, site, description, **fields):
    """The write of ``create_work_order``, under its client's numbering lock and in one durable transaction."""
    fields = {name: value for name, value in fields.items() if name in WORK_ORDER_FIELDS and name != "workstatus"}
    workorder = _new_work_order(author=author, site=site, fields={"description": description, **fields})
    save_userinfo(workorder, author, client=workorder.client_id, site=workorder.site_id)
    snapshot = {name: _json_value(getattr(workorder, name)) for name in WORK_ORDER_FIELDS}
    _record_history(workorder, author, WorkOrderHistory.Action.CREATED, snapshot)
    _allocate_number(workorder)
    _notify_vendor_after_commit(workorder, WorkOrderHistory.Action.CREATED)
    return workorder


def _lock_work_order(workorder, expected_version=None):
    """Re-read the order (an instance or a pk) under a row lock: concurrent changes apply one after the other."""
    return lock_row(WorkOrder.objects.select_related("vendor", "asset"), workorder, expected_version=expected_version)


def _apply_changes(workorder, changes):
    """Set the changed fields; return ``{field: [old, new]}`` for those whose value differs."""
    status = changes.get("workstatus")
    if status is not None and status != workorder.workstatus and workorder.dispatch_reference is not None:
        raise ValidationError({"workstatus": f"{workorder} is being dispatched to its vendor; try again shortly."})
    if status is not None and not workorder.can_move_to(status):
        raise ValidationError({"workstatus": f"A work order cannot go from {workorder.workstatus} to {status}."})
    changed = {}
    for name in WORK_ORDER_FIELDS:
        if name not in changes:
            continue
        old, new = getattr(workorder, name), changes[name]
        if old != new:
            changed[name] = [_json_value(old), _json_value(new)]
            setattr(workorder, name, new)
    _check_work_order(workorder)
    return changed


@atomic_view_operation()
def update_work_order(*, author, workorder, expected_version=None, **changes):
    """Change a work order and record what changed; its vendor hears of a status change after commit.

    ``workorder`` is the order or its pk: the row is re-read under its row lock and only the
    changed fields are written. ``expected_version``, when given, refuses the edit if the order
    changed since the caller read it.
    """
    workorder = _lock_work_order(workorder, expected_version)
    changed = _apply_changes(workorder, changes)
    save_changes(workorder, author, list(changed))
    status_changed = "workstatus" in changed
    action = WorkOrderHistory.Action.STATUS_CHANGED if status_changed else WorkOrderHistory.Action.UPDATED
    _record_history(workorder, author, action, changed)
    if status_changed:
        _notify_vendor_after_commit(workorder, action)
    return workorder


# Dispatch to the vendor: a saga
# ------------------------------------------------------------------------------

DISPATCH_SAGA = "dispatch_work_order"


def _check_dispatchable(workorder):
    if workorder.vendor is None:
        raise ValidationError({"vendor": "Choose a vendor before dispatching the work order."})
    if workorder.workstatus != WorkOrder.WorkStatus.ASSIGNED:
        raise ValidationError(
            {"workstatus": f"Only an assigned work order can be dispatched, not {workorder.workstatus}."}
        )
    if workorder.dispatch_reference is not None:
        raise ValidationError({"workorder": f"{workorder} is already being dispatched to its vendor."})


def _reserve_for_dispatch(context):
    """Step ``reserve``: claim the order for this dispatch, with a history entry.

    The claim is bookkeeping, not a change by the author: it is written with ``update()`` so that
    releasing it leaves the row exactly as it was, modification stamp included.
    """
    workorder = _lock_work_order(context["workorder"])
    _check_dispatchable(workorder)
    WorkOrder.objects.filter(pk=workorder.pk).update(dispatch_reference=context["reference"])
    workorder.dispatch_reference = context["reference"]
    entry = _record_history(
        workorder, context["author"], WorkOrderHistory.Action.DISPATCH_RESERVED, {"dispatch": str(context["reference"])}
    )
    context.update(workorder=workorder, reservation_entry=entry.pk)


def _release_reservation(context):
    """Compensation of ``reserve``: drop the claim and its history entry, as if it had never been made."""
    WorkOrder.objects.filter(pk=context["workorder"].pk, dispatch_reference=context["reference"]).update(
        dispatch_reference=None
    )
    WorkOrderHistory.objects.filter(pk=context["reservation_entry"]).delete()
    context["workorder"].dispatch_reference = None


def _notify_vendor_of_dispatch(context):
    """Step ``notify_vendor``: hand the order to the vendor through the notification task.

    The task is sent as this step's transaction commits (the reservation before it has already
    committed), and, unlike ``send_task_on_commit``, a refusal is not swallowed: a broker (or, run
    eagerly, a mail server) that refuses the message fails the step, and the saga then releases
    the reservation.
    """
    send = functools.partial(notify_vendor.delay, context["workorder"].pk, WorkOrderHistory.Action.DISPATCHED)
    transaction.on_commit(send, using=get_current_db_name())


def _retract_vendor_notification(context):
    """Compensation of ``notify_vendor``: record the cancellation and tell the vendor after it commits."""
    workorder = _lock_work_order(context["workorder"])
    _record_history(
        workorder,
        context["author"],
        WorkOrderHistory.Action.DISPATCH_CANCELLED,
        {"dispatch": str(context["reference"])},
    )
    send_task_on_commit(notify_vendor, workorder.pk, WorkOrderHistory.Action.DISPATCH_CANCELLED, about=workorder)


def _mark_dispatched(context):
    """Step ``mark_dispatched``: the order is DISPATCHED and the claim is done, with a history entry."""
    workorder = _lock_work_order(context["workorder"])
    if workorder.dispatch_reference != context["reference"]:
        raise ValidationError({"workorder": f"The dispatch of {workorder} lost its reservation."})
    old = workorder.workstatus
    workorder.workstatus = WorkOrder.WorkStatus.DISPATCHED
    workorder.dispatch_reference = None
    save_changes(workorder, context["author"], ["workstatus", "dispatch_reference"])
    _record_history(
        workorder, context["author"], WorkOrderHistory.Action.DISPATCHED, {"workstatus": [old, workorder.workstatus]}
    )
    context["workorder"] = workorder


def _refuse_an_outer_transaction():
    """A saga's steps must each commit: refuse (``RuntimeError``) to run inside another transaction.

    Inside one, the vendor would hear of a dispatch that the outer rollback could still erase.
    """
    with atomic_view_operation(durable=True):
        pass


def dispatch_work_order_to_vendor(*, author, workorder):
    """Hand an assigned order to its vendor: reserve it, notify the vendor, mark it DISPATCHED.

    The vendor is reached outside the database, so this is a saga: each step commits on its own,
    and when one fails the completed ones are compensated in reverse (the reservation released,
    the vendor told of the cancellation), the order ends as it was, and ``SagaError`` is raised
    with the run's ``SagaExecutionLog``. An order that cannot be dispatched at all is refused
    before anything starts (``ValidationError``).
    """
    _refuse_an_outer_transaction()
    workorder = WorkOrder.objects.select_related("vendor").get(pk=workorder.pk)
    _check_dispatchable(workorder)
    reference = uuid.uuid4()
    saga = TransactionManager(DISPATCH_SAGA, correlation_id=str(reference))
    saga.add_step("reserve", _reserve_for_dispatch, _release_reservation)
    saga.add_step("notify_vendor", _notify_vendor_of_dispatch, _retract_vendor_notification)
    saga.add_step("mark_dispatched", _mark_dispatched)
    context = saga.execute({"author": author, "workorder": workorder, "reference": reference})
    return context["workorder"]


def _recover_dispatch(log):
    """Undo what an interrupted dispatch left, from the database alone (see ``register_saga_recovery``).

    While the order still holds the run's reservation, ``mark_dispatched`` never committed: the
    vendor is told of the cancellation if it may have heard of the dispatch, and the reservation
    is released. An order that no longer holds it was released or dispatched already: nothing to
    undo, so running this twice is harmless.
    """
    reference = uuid.UUID(log.correlation_id)
    with use_database(log.database_alias or get_current_db_name()), atomic_view_operation(name=DISPATCH_SAGA):
        workorder = for_update(WorkOrder.objects.filter(dispatch_reference=reference)).first()
        if workorder is None:
            return []
        entry = WorkOrderHistory.objects.filter(
            workorder=workorder, action=WorkOrderHistory.Action.DISPATCH_RESERVED, snapshot__dispatch=str(reference)
        ).first()
        context = {
            "author": None,
            "workorder": workorder,
            "reference": reference,
            "reservation_entry": entry and entry.pk,
        }
        compensated = []
        if "notify_vendor" in log.steps_completed:
            _retract_vendor_notification(context)
            compensated.append("notify_vendor")
        _release_reservation(context)
        compensated.append("reserve")
        return compensated


register_saga_recovery(DISPATCH_SAGA, _recover_dispatch)


def release_stuck_dispatch(*, author, workorder):
    """Release, at once, an order whose dispatch was interrupted (staff only): it can then be dispatched or changed.

    The run's log is compensated as the recovery task would have done after its timeout; an
    order whose reservation has no running log (the log could not be written) is released too.
    """
    if not getattr(author, "is_staff", False):
        raise PermissionDenied("Only staff can release a dispatch.")
    current = WorkOrder.objects.get(pk=getattr(workorder, "pk", workorder))
    if current.dispatch_reference is None:
        raise ValidationError({"workorder": f"{current} is not being dispatched."})
    log = (
        SagaExecutionLog.objects.using(settings.MONITORING_DB_ALIAS)
        .filter(name=DISPATCH_SAGA, correlation_id=str(current.dispatch_reference))
        .first()
    )
    if log is not None and log.status == SagaExecutionLog.Status.RUNNING:
        recover_saga(log)
    else:
        orphan = SagaExecutionLog(
            name=DISPATCH_SAGA, correlation_id=str(current.dispatch_reference), steps_completed=["reserve"]
        )
        _recover_dispatch(orphan)
    return WorkOrder.objects.get(pk=current.pk)


# Work permits
# ------------------------------------------------------------------------------


def _new_permit(*, author, site, permit_type, remarks):
    site = _site_of(author, site)
    if permit_type.tatype.code != PERMIT_TYPE_GROUP:
        raise ValidationError({"permit_type": f"{permit_type} is not a permit type."})
    if permit_type.client_id is not None and permit_type.client_id != site.parent_id:
        raise ValidationError({"permit_type": f"{permit_type} belongs to another client."})
    return WorkPermit(client_id=site.parent_id, site=site, permit_type=permit_type, remarks=remarks)


def _assign(permit, role):
    """Appoint the site's roster for ``role``, the permit's author excepted: nobody signs off their own permit."""
    people_ids = list(
        Approver.objects.filter(
            site_id=permit.site_id,
            approverfor=Approver.ApproverFor.WORK_PERMIT,
            identifier=role,
            people__is_active=True,
        )
        .exclude(people_id=permit.cuser_id)
        .order_by("pk")
        .values_list("people_id", flat=True)
    )
    if not people_ids:
        raise ValidationError(
            {"site": f"No {role.lower()} of work permits is configured for site {permit.site.bucode}."}
        )
    return PermitApproval.objects.bulk_create(
        PermitApproval(permit=permit, people_id=people_id, role=role) for people_id in people_ids
    )


def _assign_approvers(permit):
    return _assign(permit, PermitApproval.Role.APPROVER)


def _assign_verifiers(permit):
    return _assign(permit, PermitApproval.Role.VERIFIER)


def _name_permit(permit):
    """Name the permit ``PTW-<site code>-<next sequence of the site>``.

    The site's row is locked first, so two permits of one site cannot read the same highest
    sequence; the unique (site, sequence) constraint backs this up.
    """
    site = for_update(Bt.objects.filter(pk=permit.site_id)).get()
    last = WorkPermit.objects.filter(site_id=site.pk).aggregate(last=Max("sequence"))["last"] or 0
    permit.sequence = last + 1
    permit.permit_name = f"PTW-{site.bucode}-{permit.sequence:05d}"
    permit.save(update_fields=["sequence", "permit_name"])
    return permit.permit_name


def _add_details(permit, details, author):
    """Validate every checklist answer, then insert them all in one statement.

    All invalid answers are reported at once, keyed ``details[<index>].<field>``.
    """
    rows, errors, seen = [], {}, set()
    for index, data in enumerate(details):
        unknown = set(data) - set(DETAIL_FIELDS)
        if unknown:
            errors[f"details[{index}]"] = [f"Unknown fields: {', '.join(sorted(unknown))}."]
            continue
        row = WomDetails(permit=permit, **{**data, "seqno": data.get("seqno") or index + 1})
        save_userinfo(row, author, client=permit.client_id, site=permit.site_id, save=False)
        try:
            row.full_clean(exclude=["permit", "client", "site", "cuser", "muser"], validate_unique=False,
                           validate_constraints=False)  # fmt: skip
        except ValidationError as exc:  # collected, and raised below for all details at once
            errors.update({f"details[{index}].{field}": messages for field, messages in exc.message_dict.items()})
        if row.seqno in seen:
            errors.setdefault(f"details[{index}].seqno", []).append(f"Position {row.seqno} is used twice.")
        seen.add(row.seqno)
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    return WomDetails.objects.bulk_create(rows)


def _notify_verifiers_after_commit(permit):
    send_task_on_commit(notify_verifiers, permit.pk)


@atomic_view_operation()
def create_work_permit(*, author, site, permit_type, details, remarks=""):
    """Raise a permit with its approvers, verifiers, name and checklist; verifiers hear after commit.

    A site without an approver or a verifier of work permits cannot have permits (400).
    """
    permit = _new_permit(author=author, site=site, permit_type=permit_type, remarks=remarks)
    save_userinfo(permit, author, client=permit.client_id, site=permit.site_id)
    _assign_approvers(permit)
    _assign_verifiers(permit)
    _name_permit(permit)
    _add_details(permit, details, author)
    _notify_verifiers_after_commit(permit)
    return permit


def _lock_permit(permit):
    """Re-read the permit under a row lock: concurrent decisions on it run one after the other."""
    permit = for_update(WorkPermit.objects.filter(pk=permit.pk)).get()
    if permit.status != WorkPermit.Status.PENDING:
        raise ValidationError({"permit": f"{permit} was already {permit.get_status_display().lower()}."})
    return permit


def _pending_part_of(permit, author, role):
    """``author``'s own undecided part in ``permit`` as ``role``; nobody acts for someone else (403)."""
    part = PermitApproval.objects.filter(permit=permit, people_id=getattr(author, "pk", None), role=role).first()
    if part is None:
        raise PermissionDenied(f"{author} is not a {role.lower()} of {permit}.")
    if part.decision != PermitApproval.Decision.PENDING:
        raise ValidationError({"people": f"{author} already decided on {permit}."})
    return part


def _awaiting_verification(permit):
    return permit.approvals.verification_pending().exists()


def _record_decision(approval, decision, remarks):
    approval.decision = decision
    approval.remarks = remarks
    approval.decided_at = timezone.now()
    approval.save(update_fields=["decision", "remarks", "decided_at"])
    return approval


def _settle_permit(permit, author):
    """Rejected as soon as anyone rejected; approved once every verifier and approver approved."""
    decisions = set(permit.approvals.values_list("decision", flat=True))
    if PermitApproval.Decision.REJECTED in decisions:
        permit.status = WorkPermit.Status.REJECTED
    elif decisions == {PermitApproval.Decision.APPROVED}:
        permit.status = WorkPermit.Status.APPROVED
    else:
        return False
    save_userinfo(permit, author)
    return True


def _notify_author_after_commit(permit):
    send_task_on_commit(notify_permit_author, permit.pk)


def _notify_approvers_after_commit(permit):
    send_task_on_commit(notify_approvers, permit.pk)


@with_lock_and_transaction("PERMIT_APPROVAL", resource_id_param="permit")
def decide_permit(*, author, permit, decision, remarks="", role=PermitApproval.Role.APPROVER):
    """Record ``author``'s decision on ``permit`` as one of its verifiers or approvers.

    The order is fixed: every verifier first confirms the checklist (``role=VERIFIER``), then the
    approvers decide; an approver is refused while a verification is pending. One rejection, by
    either, rejects the permit. The approvers hear when the last verifier has confirmed, the
    permit's author when it is settled, both after commit.

    Decisions on one permit run one at a time: under the permit's ``PERMIT_APPROVAL`` lock, and
    within it on the permit row locked in the database.
    """
    if decision not in (PermitApproval.Decision.APPROVED, PermitApproval.Decision.REJECTED):
        raise ValidationError({"decision": "Decide APPROVED or REJECTED."})
    permit = _lock_permit(permit)
    if author is not None and permit.cuser_id == author.pk:
        raise PermissionDenied("The author of a permit does not decide it.")
    part = _pending_part_of(permit, author, role)
    if role == PermitApproval.Role.APPROVER and _awaiting_verification(permit):
        raise ValidationError({"permit": f"{permit} waits for its verifiers; approvers decide after them."})
    _record_decision(part, decision, remarks)
    if _settle_permit(permit, author):
        _notify_author_after_commit(permit)
    elif role == PermitApproval.Role.VERIFIER and not _awaiting_verification(permit):
        _notify_approvers_after_commit(permit)
    return permit
