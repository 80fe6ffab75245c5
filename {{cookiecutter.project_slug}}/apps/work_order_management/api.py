"""REST API of vendors, approvers, work orders and work permits.

Every write goes through a service function inside the viewset's transaction; a permit is
created with its checklist answers in the same POST body, all validated before anything is
written (a bad answer: 400 naming its index and field).

Where the service takes a distributed lock (a new work order, a permit decision) or is a saga
whose steps commit one by one (a dispatch), the view opens no transaction around it
(``service_takes_locks``): the service is the outermost boundary of the operation.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.model_fields import field_from_model
from apps.core.api.viewsets import AtomicCreateReadViewSet, AtomicModelSerializer, AtomicModelViewSet, ScopedSerializer
from apps.core.models import SagaExecutionLog
from apps.core.services.saga import SagaError
from apps.onboarding.models import Bt

from .models import Approver, PermitApproval, Vendor, WomDetails, WorkOrder, WorkPermit, permit_types
from .services import (
    create_approver,
    create_vendor,
    create_work_order,
    create_work_permit,
    decide_permit,
    dispatch_work_order_to_vendor,
    release_stuck_dispatch,
    update_vendor,
    update_work_order,
)

SITES = Bt.objects.filter(identifier=Bt.Identifier.SITE)


def _author(serializer):
    return serializer.context["request"].user


class VendorSerializer(AtomicModelSerializer):
    class Meta:
        model = Vendor
        fields = [
            "id", "uuid", "code", "name", "email", "mobno", "address", "enable", "client", "site", "version", "cdtz",
            "mdtz",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "client", "site", "version", "cdtz", "mdtz"]
        validators = []  # a duplicate code is refused by the database constraint: 409

    def create(self, validated_data):
        return create_vendor(author=_author(self), **validated_data)

    def update(self, instance, validated_data):
        return update_vendor(
            author=_author(self), vendor=instance.pk, expected_version=self.expected_version, **validated_data
        )


class ApproverSerializer(AtomicModelSerializer):
    site = serializers.PrimaryKeyRelatedField(queryset=SITES, required=False)

    class Meta:
        model = Approver
        fields = ["id", "uuid", "people", "identifier", "approverfor", "client", "site", "cdtz"]
        read_only_fields = ["id", "uuid", "client", "cdtz"]
        validators = []  # the unique role per site is checked by the database: 409

    def create(self, validated_data):
        return create_approver(author=_author(self), **validated_data)


class WorkOrderSerializer(AtomicModelSerializer):
    site = serializers.PrimaryKeyRelatedField(queryset=SITES, required=False)

    class Meta:
        model = WorkOrder
        fields = [
            "id", "uuid", "number", "sequence", "description", "vendor", "asset", "priority", "workstatus",
            "plandatetime", "expirydatetime", "client", "site", "version", "cdtz", "mdtz",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "number", "sequence", "client", "version", "cdtz", "mdtz"]
        validators = []

    @property
    def service_takes_locks(self):
        """A new order is numbered under its client's lock, taken by ``create_work_order`` itself."""
        return self.instance is None

    def validate_site(self, site):
        if self.instance is not None and site != self.instance.site:
            raise serializers.ValidationError("A work order stays at the site it was raised for.")
        return site

    def validate_workstatus(self, status):
        if self.instance is None and status != WorkOrder.WorkStatus.ASSIGNED:
            raise serializers.ValidationError("A new work order starts ASSIGNED; change its status afterwards.")
        return status

    def validate(self, attrs):
        plan = attrs.get("plandatetime", getattr(self.instance, "plandatetime", None))
        expiry = attrs.get("expirydatetime", getattr(self.instance, "expirydatetime", None))
        if plan and expiry and expiry < plan:
            raise serializers.ValidationError({"expirydatetime": "A work order cannot expire before it is planned."})
        return attrs

    def create(self, validated_data):
        validated_data.pop("workstatus", None)
        return create_work_order(author=_author(self), **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("site", None)
        return update_work_order(
            author=_author(self), workorder=instance.pk, expected_version=self.expected_version, **validated_data
        )


class WomDetailsSerializer(serializers.ModelSerializer):
    """One checklist answer of a permit; validated with the model's own rules."""

    seqno = field_from_model(WomDetails, "seqno", min_value=1, required=False, allow_null=True)

    class Meta:
        model = WomDetails
        fields = ["seqno", "question", "answertype", "answer", "ismandatory"]
        validators = []

    def validate(self, attrs):
        try:
            WomDetails(**attrs).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class PermitApprovalSerializer(serializers.ModelSerializer):
    class Meta:
        model = PermitApproval
        fields = ["id", "people", "role", "decision", "decided_at", "remarks"]
        read_only_fields = fields


class WorkPermitSerializer(AtomicModelSerializer):
    site = serializers.PrimaryKeyRelatedField(queryset=SITES)
    permit_type = serializers.PrimaryKeyRelatedField(queryset=permit_types())
    details = WomDetailsSerializer(many=True)
    approvals = PermitApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = WorkPermit
        fields = [
            "id", "uuid", "permit_name", "permit_type", "status", "remarks", "client", "site", "details",
            "approvals", "cdtz", "mdtz",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "permit_name", "status", "client", "cdtz", "mdtz"]

    def validate_details(self, details):
        """Positions must be unique within the permit (given, or the item's index + 1).

        Errors are keyed by the item's index, as DRF reports the items' own field errors.
        """
        errors, seen = {}, set()
        for index, item in enumerate(details):
            seqno = item.get("seqno") or index + 1
            if seqno in seen:
                errors[str(index)] = {"seqno": [f"Position {seqno} is used twice."]}
            seen.add(seqno)
        if errors:
            raise serializers.ValidationError(errors)
        return details

    def create(self, validated_data):
        details = [dict(item) for item in validated_data.pop("details")]
        return create_work_permit(author=_author(self), details=details, **validated_data)


class DecisionSerializer(ScopedSerializer):
    decision = serializers.ChoiceField(choices=[PermitApproval.Decision.APPROVED, PermitApproval.Decision.REJECTED])
    remarks = field_from_model(PermitApproval, "remarks", default="")


class VendorViewSet(AtomicModelViewSet):
    queryset = Vendor.objects.order_by("pk")
    serializer_class = VendorSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class ApproverViewSet(AtomicCreateReadViewSet):
    """The per-site roster of approvers and verifiers, kept by client admins (``add_approver``)."""

    queryset = Approver.objects.select_related("people").order_by("pk")
    serializer_class = ApproverSerializer
    http_method_names = ["get", "post", "head", "options"]


def _saga_failure(exc):
    """The response to a dispatch whose saga failed and was compensated.

    409 when the order changed under the saga (a rule or a constraint refused a step), 502 when
    the vendor could not be reached, else 500; the body names the saga run to look up.
    """
    log = exc.log
    cause = exc.__cause__
    if isinstance(cause, (DjangoValidationError, IntegrityError)):
        code = status.HTTP_409_CONFLICT
    elif log.failed_step == "notify_vendor":
        code = status.HTTP_502_BAD_GATEWAY
    else:
        code = status.HTTP_500_INTERNAL_SERVER_ERROR
    undone = log.status == SagaExecutionLog.Status.COMPENSATED
    body = {
        "error": "dispatch_failed",
        "detail": f"The dispatch failed at step {log.failed_step}; "
        + ("the work order is as it was." if undone else "undoing it failed too: check the saga log."),
        "saga_id": str(log.saga_id),
        "saga_status": log.status,
        "failed_step": log.failed_step,
        "steps_completed": log.steps_completed,
        "compensations_run": log.compensations_run,
    }
    if isinstance(cause, DjangoValidationError):
        body["errors"] = cause.message_dict if hasattr(cause, "error_dict") else {"__all__": cause.messages}
    return Response(body, status=code)


class WorkOrderViewSet(AtomicModelViewSet):
    queryset = WorkOrder.objects.order_by("pk")
    action_permissions = {"dispatch_to_vendor": "change"}
    serializer_class = WorkOrderSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @property
    def service_takes_locks(self):
        """Creation takes the client's numbering lock and dispatch is a saga: both open their own transactions."""
        return self.action in ("create", "dispatch_to_vendor", "release_dispatch")

    @extend_schema(
        request=None,
        responses={200: WorkOrderSerializer, 409: OpenApiTypes.OBJECT, 502: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_to_vendor(self, request, pk=None):
        """Hand the work order to its vendor (a saga: reserve, notify the vendor, mark DISPATCHED).

        A failed dispatch is undone and answered 409/502/500 with the saga's id.
        """
        workorder = self.get_object()
        try:
            workorder = dispatch_work_order_to_vendor(author=request.user, workorder=workorder)
        except SagaError as exc:
            return _saga_failure(exc)
        return Response(self.get_serializer(workorder).data)

    @extend_schema(request=None, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], url_path="release-dispatch")
    def release_dispatch(self, request, pk=None):
        """Staff: undo an interrupted dispatch now, so the order can be dispatched again or changed."""
        workorder = release_stuck_dispatch(author=request.user, workorder=self.get_object())
        return Response(self.get_serializer(workorder).data)


class WorkPermitViewSet(AtomicCreateReadViewSet):
    queryset = WorkPermit.objects.prefetch_related("details", "approvals").order_by("pk")
    #: Whoever sees the permit may try; ``decide_permit`` admits only a person appointed to it.
    action_permissions = {"approve": "view", "verify": "view"}
    serializer_class = WorkPermitSerializer
    http_method_names = ["get", "post", "head", "options"]

    @property
    def service_takes_locks(self):
        """A decision is taken under the permit's approval lock, which ``decide_permit`` takes itself."""
        return self.action in ("approve", "verify")

    def _decide(self, request, role):
        permit = self.get_object()
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        with self.transaction_boundary():
            permit = decide_permit(author=request.user, permit=permit, role=role, **decision.validated_data)
        return Response(self.get_serializer(permit).data)

    @extend_schema(request=DecisionSerializer, responses=WorkPermitSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """The signed-in verifier confirms (``APPROVED``) or rejects the checklist: ``{"decision", "remarks"}``."""
        return self._decide(request, PermitApproval.Role.VERIFIER)

    @extend_schema(request=DecisionSerializer, responses=WorkPermitSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The signed-in approver's decision, once every verifier confirmed: ``{"decision", "remarks"}``."""
        return self._decide(request, PermitApproval.Role.APPROVER)


ROUTES = [
    ("vendors", VendorViewSet, "vendor"),
    ("approvers", ApproverViewSet, "approver"),
    ("work-orders", WorkOrderViewSet, "workorder"),
    ("work-permits", WorkPermitViewSet, "workpermit"),
]
