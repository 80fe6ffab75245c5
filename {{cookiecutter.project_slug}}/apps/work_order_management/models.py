"""Vendors, work orders given to them, and work permits that approvers must sign off.

The invariants that must hold whatever code writes the rows live in the database: a vendor code
and a work-order number are unique within a client, a permit name is unique, a checklist has one
answer per position, a mandatory question is never left unanswered, and a decided approval
always carries the time it was decided.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date

from apps.core.models import VersionedModel
from apps.onboarding.models import Bt, TenantScopedModel, TypeAssist

#: The type-assist group whose values are permit types.
PERMIT_TYPE_GROUP = "PERMITTYPE"


def permit_types():
    """The lookup values a permit may be of: the PERMITTYPE group only (not asset categories)."""
    return TypeAssist.objects.filter(tatype__code=PERMIT_TYPE_GROUP)


class Vendor(VersionedModel, TenantScopedModel):
    """An outside company that carries out work orders for a client."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    mobno = models.CharField("mobile number", max_length=20, blank=True)
    address = models.CharField(max_length=250, blank=True)
    enable = models.BooleanField(default=True)

    class Meta:
        verbose_name = "vendor"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["client", "code"], name="vendor_unique_code_per_client"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def get_absolute_url(self):
        return reverse("work_order_management:vendor-detail", args=[self.pk])


class Approver(TenantScopedModel):
    """A person who approves or verifies one kind of record at one site: one of the two, never both.

    The roster is kept by the client's admins; nobody appoints themselves.
    """

    class Identifier(models.TextChoices):
        APPROVER = "APPROVER", "Approver"
        VERIFIER = "VERIFIER", "Verifier"

    class ApproverFor(models.TextChoices):
        WORK_PERMIT = "WORK_PERMIT", "Work permit"
        WORK_ORDER = "WORK_ORDER", "Work order"

    people = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approver_roles", verbose_name="person"
    )
    identifier = models.CharField("role", max_length=10, choices=Identifier.choices)
    approverfor = models.CharField("approves", max_length=20, choices=ApproverFor.choices)

    class Meta:
        verbose_name = "approver"
        ordering = ["site", "approverfor", "identifier", "people"]
        constraints = [
            models.UniqueConstraint(fields=["people", "approverfor", "site"], name="approver_one_role_per_site"),
            models.CheckConstraint(
                condition=Q(identifier__in=["APPROVER", "VERIFIER"]), name="approver_identifier_valid"
            ),
        ]

    def __str__(self):
        return f"{self.people} ({self.get_identifier_display()} of {self.get_approverfor_display()})"


class WorkOrder(VersionedModel, TenantScopedModel):
    """A piece of work given to a vendor, numbered per client (``WO-2026-000123``).

    The number is allocated from ``WorkOrderSequence`` in the creating transaction, so it is
    empty only while that transaction is still running.
    """

    class Priority(models.TextChoices):
        LOW = "LOW", "Low"
        MEDIUM = "MEDIUM", "Medium"
        HIGH = "HIGH", "High"

    class WorkStatus(models.TextChoices):
        ASSIGNED = "ASSIGNED", "Assigned"
        DISPATCHED = "DISPATCHED", "Dispatched to vendor"
        INPROGRESS = "INPROGRESS", "In progress"
        COMPLETED = "COMPLETED", "Completed"
        CLOSED = "CLOSED", "Closed"
        CANCELLED = "CANCELLED", "Cancelled"

    # Which status may follow which; CLOSED and CANCELLED are final.
    TRANSITIONS = {
        WorkStatus.ASSIGNED: {WorkStatus.DISPATCHED, WorkStatus.INPROGRESS, WorkStatus.CANCELLED},
        WorkStatus.DISPATCHED: {WorkStatus.INPROGRESS, WorkStatus.CANCELLED},
        WorkStatus.INPROGRESS: {WorkStatus.COMPLETED, WorkStatus.CANCELLED},
        WorkStatus.COMPLETED: {WorkStatus.CLOSED, WorkStatus.INPROGRESS},
        WorkStatus.CLOSED: set(),
        WorkStatus.CANCELLED: set(),
    }

    # NULL, not "", while the creating transaction has yet to number it: NULLs never collide in
    # the unique (client, number) constraint, two empty strings would.
    number = models.CharField(max_length=30, null=True, blank=True, editable=False)  # noqa: DJ001
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Set while a dispatch to the vendor is under way (the saga's reference): its steps commit one
    # by one, and in between this claim keeps a second dispatch or a status change out.
    dispatch_reference = models.UUIDField("dispatch under way", null=True, blank=True, editable=False)
    description = models.TextField()
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders")
    asset = models.ForeignKey(
        "activity.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    workstatus = models.CharField("status", max_length=12, choices=WorkStatus.choices, default=WorkStatus.ASSIGNED)
    plandatetime = models.DateTimeField("planned for", null=True, blank=True)
    expirydatetime = models.DateTimeField("expires at", null=True, blank=True)

    class Meta:
        verbose_name = "work order"
        ordering = ["-cdtz", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "number"], name="workorder_unique_number_per_client"),
            models.CheckConstraint(
                condition=Q(number__isnull=True, sequence__isnull=True)
                | Q(number__isnull=False, sequence__isnull=False),
                name="workorder_number_has_sequence",
            ),
            models.CheckConstraint(
                condition=Q(plandatetime__isnull=True)
                | Q(expirydatetime__isnull=True)
                | Q(expirydatetime__gte=F("plandatetime")),
                name="workorder_expiry_after_plan",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=["LOW", "MEDIUM", "HIGH"]), name="workorder_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    workstatus__in=["ASSIGNED", "DISPATCHED", "INPROGRESS", "COMPLETED", "CLOSED", "CANCELLED"]
                ),
                name="workorder_workstatus_valid",
            ),
        ]

    def __str__(self):
        return self.number or f"work order #{self.pk} (unnumbered)"

    def get_absolute_url(self):
        return reverse("work_order_management:workorder-detail", args=[self.pk])

    def can_move_to(self, status):
        return status == self.workstatus or status in self.TRANSITIONS[self.workstatus]


class WorkOrderSequence(models.Model):
    """The numbering counter of one client's work orders.

    Its row is locked (``select_for_update``) and incremented inside the transaction that
    creates a work order, so numbers are unique per client and committed orders have no gaps:
    a creation that rolls back rolls its increment back too.
    """

    client = models.OneToOneField(Bt, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "work order sequence"
        ordering = ["client"]

    def __str__(self):
        return f"{self.client}: {self.year}/{self.last_number}"


class WorkOrderHistory(TenantScopedModel):
    """One change of a work order: what was done, by whom, and the fields it changed."""

    class Action(models.TextChoices):
        CREATED = "CREATED", "Created"
        UPDATED = "UPDATED", "Updated"
        STATUS_CHANGED = "STATUS_CHANGED", "Status changed"
        DISPATCH_RESERVED = "DISPATCH_RESERVED", "Reserved for dispatch"
        DISPATCHED = "DISPATCHED", "Dispatched"
        DISPATCH_CANCELLED = "DISPATCH_CANCELLED", "Dispatch cancelled"

    workorder = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=20, choices=Action.choices)
    workstatus = models.CharField("status", max_length=12, choices=WorkOrder.WorkStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "work order history"
        verbose_name_plural = "work order history"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.workorder}: {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class WorkPermit(TenantScopedModel):
    """A permit to work at a site, with its checklist answers and the people who sign it off.

    It is named ``PTW-<site code>-<sequence>`` in the creating transaction.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        APPROVED = "APPROVED", "Approved"
        REJECTED = "REJECTED", "Rejected"

    # Unique within the client, as the site codes it is made of.
    # NULL, not "", until the creating transaction names it: NULLs never collide in the constraint.
    permit_name = models.CharField("name", max_length=60, null=True, blank=True, editable=False)  # noqa: DJ001
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    permit_type = models.ForeignKey(
        "onboarding.TypeAssist", on_delete=models.PROTECT, related_name="+", verbose_name="permit type"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    remarks = models.TextField(blank=True)

    class Meta:
        verbose_name = "work permit"
        ordering = ["-cdtz", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["site", "sequence"], name="workpermit_unique_sequence_per_site"),
            models.UniqueConstraint(fields=["client", "permit_name"], name="workpermit_unique_name_per_client"),
            models.CheckConstraint(
                condition=Q(permit_name__isnull=True, sequence__isnull=True)
                | Q(permit_name__isnull=False, sequence__isnull=False),
                name="workpermit_name_has_sequence",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "APPROVED", "REJECTED"]), name="workpermit_status_valid"
            ),
        ]

    def __str__(self):
        return self.permit_name or f"work permit #{self.pk} (unnamed)"

    def get_absolute_url(self):
        return reverse("work_order_management:workpermit-detail", args=[self.pk])


class PermitApprovalQuerySet(models.QuerySet):
    """The order in which a permit is signed off, in one place: every verifier confirms the checklist,
    then the approvers decide. The home page, the permit's page and ``decide_permit`` all ask here."""

    def verification_pending(self):
        """The verifiers' parts still undecided."""
        return self.filter(role=PermitApproval.Role.VERIFIER, decision=PermitApproval.Decision.PENDING)

    def turns(self):
        """The undecided parts whose turn it is: a pending permit's verifiers, its approvers once verified."""
        verifying = PermitApproval.objects.verification_pending().filter(permit=OuterRef("permit"))
        return (
            self.filter(decision=PermitApproval.Decision.PENDING, permit__status=WorkPermit.Status.PENDING)
            .annotate(verification_pending=Exists(verifying))
            .filter(Q(role=PermitApproval.Role.VERIFIER) | Q(verification_pending=False))
        )


class PermitApproval(models.Model):
    """One person's part in signing off a permit, and their decision once made.

    A person has one part in a permit: never both its verifier and its approver.
    """

    client_scope = "permit__client"

    class Role(models.TextChoices):
        APPROVER = "APPROVER", "Approver"
        VERIFIER = "VERIFIER", "Verifier"

    class Decision(models.TextChoices):
        PENDING = "PENDING", "Pending"
        APPROVED = "APPROVED", "Approved"
        REJECTED = "REJECTED", "Rejected"

    permit = models.ForeignKey(WorkPermit, on_delete=models.CASCADE, related_name="approvals")
    people = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="permit_approvals", verbose_name="person"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    remarks = models.CharField(max_length=500, blank=True)

    objects = PermitApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = "permit approval"
        ordering = ["permit", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["permit", "people"], name="permitapproval_one_role_per_person"),
            models.CheckConstraint(
                condition=Q(decision="PENDING", decided_at__isnull=True)
                | Q(decision__in=["APPROVED", "REJECTED"], decided_at__isnull=False),
                name="permitapproval_decided_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.permit}: {self.get_role_display()} {self.people} ({self.get_decision_display()})"


class WomDetails(TenantScopedModel):
    """One checklist question of a work permit and its answer."""

    class AnswerType(models.TextChoices):
        TEXT = "TEXT", "Text"
        MULTILINE = "MULTILINE", "Multi-line text"
        NUMERIC = "NUMERIC", "Number"
        CHECKBOX = "CHECKBOX", "Checkbox"
        DATE = "DATE", "Date"

    CHECKBOX_ANSWERS = ("true", "false")

    permit = models.ForeignKey(WorkPermit, on_delete=models.CASCADE, related_name="details")
    seqno = models.PositiveSmallIntegerField("position")
    question = models.CharField(max_length=500)
    answertype = models.CharField("answer type", max_length=10, choices=AnswerType.choices, default=AnswerType.TEXT)
    answer = models.TextField(blank=True)
    ismandatory = models.BooleanField("mandatory", default=False)

    class Meta:
        verbose_name = "work permit detail"
        ordering = ["permit", "seqno"]
        constraints = [
            models.UniqueConstraint(fields=["permit", "seqno"], name="womdetails_unique_seqno_per_permit"),
            models.CheckConstraint(condition=Q(seqno__gte=1), name="womdetails_seqno_positive"),
            models.CheckConstraint(
                condition=Q(ismandatory=False) | ~Q(answer=""), name="womdetails_mandatory_answered"
            ),
        ]

    def __str__(self):
        return f"{self.permit} #{self.seqno}: {self.question}"

    def clean(self):
        """The answer must be given when mandatory and must fit its answer type."""
        super().clean()
        answer = (self.answer or "").strip()
        if not answer:
            if self.ismandatory:
                raise ValidationError({"answer": "This question is mandatory: give an answer."})
            return
        if self.answertype == self.AnswerType.NUMERIC:
            try:
                Decimal(answer)
            except InvalidOperation:
                raise ValidationError({"answer": f"{answer!r} is not a number."}) from None
        elif self.answertype == self.AnswerType.CHECKBOX and answer.lower() not in self.CHECKBOX_ANSWERS:
            raise ValidationError({"answer": "A checkbox answer is 'true' or 'false'."})
        elif self.answertype == self.AnswerType.DATE and not _is_date(answer):
            raise ValidationError({"answer": f"{answer!r} is not a date (YYYY-MM-DD)."})


def _is_date(text):
    try:
        return parse_date(text) is not None
    except ValueError:  # well formed but impossible, such as 2026-02-30
        return False
