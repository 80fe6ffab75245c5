from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.model_fields import field_from_model
from apps.core.api.viewsets import AtomicModelSerializer, AtomicModelViewSet, ScopedReadOnlyViewSet, ScopedSerializer
from apps.onboarding.models import Bt

from .models import Asset, AssetLog, Job, Jobneed
from .services import (
    change_asset_status,
    create_asset,
    create_job,
    transition_jobneed,
    update_asset,
    update_job,
)


class AssetSerializer(AtomicModelSerializer):
    """An asset. ``status`` may be chosen at creation; afterwards it changes through the status action."""

    site = serializers.PrimaryKeyRelatedField(queryset=Bt.objects.filter(identifier=Bt.Identifier.SITE), required=False)

    class Meta:
        model = Asset
        fields = [
            "id", "uuid", "assetcode", "assetname", "category", "status", "location", "enable", "client", "site",
            "version", "cdtz", "mdtz",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "client", "version", "cdtz", "mdtz"]
        validators = []  # the code is unique per client in the database: 409 on conflict

    def create(self, validated_data):
        return create_asset(author=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        if validated_data.get("site", instance.site) != instance.site:
            raise serializers.ValidationError({"site": "An asset cannot move to another site."})
        if validated_data.get("status", instance.status) != instance.status:
            raise serializers.ValidationError({"status": "Change the status with POST .../status/."})
        if validated_data.get("assetcode", instance.assetcode) != instance.assetcode:
            raise serializers.ValidationError({"assetcode": "The code of an asset cannot change."})
        for name in ("site", "status", "assetcode"):
            validated_data.pop(name, None)
        return update_asset(
            author=self.context["request"].user,
            asset=instance.pk,
            expected_version=self.expected_version,
            **validated_data,
        )


class AssetStatusSerializer(ScopedSerializer):
    status = serializers.ChoiceField(choices=Asset.Status.choices)
    remarks = field_from_model(AssetLog, "remarks", default="")


class AssetLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssetLog
        fields = ["id", "oldstatus", "newstatus", "remarks", "changed_by", "cdtz"]


class AssetViewSet(AtomicModelViewSet):
    queryset = Asset.objects.select_related("category").order_by("pk")
    serializer_class = AssetSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    action_permissions = {"status": "change", "history": "view"}

    @extend_schema(request=AssetStatusSerializer, responses=AssetSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Change the asset's status; the change is recorded in its history in the same transaction.

        ``change_asset_status`` locks the asset and then opens the transaction itself, as the
        outermost boundary of the request, so this action opens none around it.
        """
        asset = self.get_object()
        data = AssetStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = change_asset_status(author=request.user, asset=asset, **data.validated_data)
        return Response(AssetSerializer(asset, context=self.get_serializer_context()).data)

    @extend_schema(responses=AssetLogSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The asset's status changes, newest first."""
        logs = self.get_object().logs.all()
        return Response(AssetLogSerializer(logs, many=True).data)


class JobSerializer(AtomicModelSerializer):
    # create_job/update_job take the JOB_WORKFLOW_UPDATE lock, then open the transaction themselves.
    service_takes_locks = True
    jobneed_count = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id", "uuid", "jobname", "jobdesc", "asset", "people", "frequency", "fromdate", "uptodate",
            "planduration", "gracetime", "client", "site", "jobneed_count", "version", "cdtz", "mdtz",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "client", "site", "jobneed_count", "version", "cdtz", "mdtz"]

    def get_jobneed_count(self, job) -> int:
        count = getattr(job, "jobneed_count", None)
        return count if count is not None else job.jobneeds.count()

    def validate(self, attrs):
        fromdate = attrs.get("fromdate", getattr(self.instance, "fromdate", None))
        uptodate = attrs.get("uptodate", getattr(self.instance, "uptodate", None))
        if fromdate and uptodate and uptodate <= fromdate:
            raise serializers.ValidationError({"uptodate": "The schedule must end after it starts."})
        return attrs

    def create(self, validated_data):
        return create_job(author=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        if validated_data.pop("asset", instance.asset) != instance.asset:
            raise serializers.ValidationError({"asset": "A job cannot move to another asset; create a new job."})
        # The job is re-read under its lock; the copy the view loaded only names it.
        return update_job(
            author=self.context["request"].user,
            job=instance.pk,
            expected_version=self.expected_version,
            **validated_data,
        )


class JobViewSet(AtomicModelViewSet):
    #: Creating and updating a job take its JOB_WORKFLOW_UPDATE lock in the service, which then
    #: opens the transaction itself: the viewset must not open one around it.
    service_takes_locks = True
    queryset = Job.objects.select_related("asset").annotate(jobneed_count=Count("jobneeds")).order_by("pk")
    serializer_class = JobSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class JobneedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Jobneed
        fields = [
            "id", "uuid", "job", "jobdesc", "plandatetime", "expirydatetime", "jobstatus", "performedby", "remarks",
            "client", "site", "cdtz", "mdtz",
        ]  # fmt: skip
        read_only_fields = fields


class JobneedTransitionSerializer(ScopedSerializer):
    to_status = serializers.ChoiceField(choices=Jobneed.Status.choices)
    remarks = field_from_model(Jobneed, "remarks", default="")


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("job", int, description="Only this job's occurrences.")])
)
class JobneedViewSet(ScopedReadOnlyViewSet):
    """Occurrences are made by their job; here they are read and moved along their workflow."""

    queryset = Jobneed.objects.order_by("plandatetime", "pk")
    serializer_class = JobneedSerializer
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"transition": "change"}

    #: transition_jobneed takes the jobneed's JOBNEED_STATUS_UPDATE lock and then opens the
    #: transaction itself, as the outermost boundary of the request: the action must not open one.
    service_takes_locks = True

    def get_queryset(self):
        queryset = super().get_queryset()
        job = self.request.query_params.get("job")
        if job:
            if not job.isdigit():
                raise serializers.ValidationError({"job": "Give the id of a job."})
            queryset = queryset.filter(job_id=job)
        return queryset

    @extend_schema(request=JobneedTransitionSerializer, responses=JobneedSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        jobneed = self.get_object()
        data = JobneedTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        jobneed = transition_jobneed(author=request.user, jobneed=jobneed, **data.validated_data)
        return Response(JobneedSerializer(jobneed).data, status=status.HTTP_200_OK)


ROUTES = [
    ("assets", AssetViewSet, "asset"),
    ("jobs", JobViewSet, "job"),
    ("jobneeds", JobneedViewSet, "jobneed"),
]
