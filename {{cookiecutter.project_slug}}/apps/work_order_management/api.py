"""REST API of vendors, approvers, work orders and work permits.

Every write goes through a service function inside the viewset's transaction; a permit is
created with its checklist answers in the same POST body, all validated before anything is
written (a bad answer: 400 naming its index and field).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.viewsets import AtomicCreateReadViewSet, AtomicModelSerializer, AtomicModelViewSet
from apps.onboarding.models import Bt

from .models import Approver, PermitApproval, Vendor, WomDetails, WorkOrder, WorkPermit
from .services import (
    create_approver,
    create_vendor,
    create_work_order,
    create_work_permit,
    decide_permit,
    dispatch_work_order_to_vendor,
    update_vendor,
    update_work_order,
)

SITES = Bt.objects.filter(identifier=Bt.Identifier.SITE)


def _author(serializer):
    return serializer.context["request"].user


class VendorSerializer(AtomicModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "uuid", "code", "name", "email", "mobno", "address", "enable", "client", "site", "cdtz", "mdtz"]
        read_only_fields = ["id", "uuid", "client", "site", "cdtz", "mdtz"]
        validators = []  # a duplicate code is refused by the database constraint: 409

    def create(self, validated_data):
        return create_vendor(author=_author(self), **validated_data)

    def update(self, instance, validated_data):
        return update_vendor(author=_author(self), vendor=instance, **validated_data)


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
            "plandatetime", "expirydatetime", "client", "site", "cdtz", "mdtz",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "number", "sequence", "client", "cdtz", "mdtz"]
        validators = []

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
        return update_work_order(author=_author(self), workorder=instance, **validated_data)


class WomDetailsSerializer(serializers.ModelSerializer):
    """One checklist answer of a permit; validated with the model's own rules."""

    seqno = serializers.IntegerField(min_value=1, required=False, allow_null=True)

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


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[PermitApproval.Decision.APPROVED, PermitApproval.Decision.REJECTED])
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ClientScopedMixin:
    """A signed-in person of a client sees only that client's records."""

    def get_queryset(self):
        queryset = super().get_queryset()
        client_id = getattr(self.request.user, "client_id", None)
        return queryset.filter(client_id=client_id) if client_id else queryset


class VendorViewSet(ClientScopedMixin, AtomicModelViewSet):
    queryset = Vendor.objects.order_by("pk")
    serializer_class = VendorSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class ApproverViewSet(ClientScopedMixin, AtomicCreateReadViewSet):
    queryset = Approver.objects.select_related("people").order_by("pk")
    serializer_class = ApproverSerializer
    http_method_names = ["get", "post", "head", "options"]


class WorkOrderViewSet(ClientScopedMixin, AtomicModelViewSet):
    queryset = WorkOrder.objects.order_by("pk")
    serializer_class = WorkOrderSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_to_vendor(self, request, pk=None):
        """Hand the work order to its vendor (DISPATCHED); the vendor is e-mailed after commit."""
        workorder = self.get_object()
        with self.transaction_boundary():
            workorder = dispatch_work_order_to_vendor(author=request.user, workorder=workorder)
        return Response(self.get_serializer(workorder).data)


class WorkPermitViewSet(ClientScopedMixin, AtomicCreateReadViewSet):
    queryset = WorkPermit.objects.prefetch_related("details", "approvals").order_by("pk")
    serializer_class = WorkPermitSerializer
    http_method_names = ["get", "post", "head", "options"]

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Record the signed-in approver's decision: ``{"decision": "APPROVED"|"REJECTED", "remarks": ""}``."""
        permit = self.get_object()
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        with self.transaction_boundary():
            permit = decide_permit(author=request.user, permit=permit, **decision.validated_data)
        return Response(self.get_serializer(permit).data)


ROUTES = [
    ("vendors", VendorViewSet, "vendor"),
    ("approvers", ApproverViewSet, "approver"),
    ("work-orders", WorkOrderViewSet, "workorder"),
    ("work-permits", WorkPermitViewSet, "workpermit"),
]
