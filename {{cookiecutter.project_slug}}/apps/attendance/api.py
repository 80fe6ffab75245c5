from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.api.model_fields import field_from_model
from apps.core.api.viewsets import ScopedReadOnlyViewSet, ScopedSerializer

from .models import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, PeopleEventlog
from .services import check_in, check_out


class PeopleEventlogSerializer(serializers.ModelSerializer):
    class Meta:
        model = PeopleEventlog
        fields = [
            "id", "uuid", "people", "datefor", "punchintime", "punchouttime", "startlat", "startlng", "endlat",
            "endlng", "remarks", "client", "site", "cdtz", "mdtz",
        ]  # fmt: skip
        read_only_fields = fields


class PunchSerializer(ScopedSerializer):
    people = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    lat = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None, validators=LATITUDE_VALIDATORS
    )
    lng = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None, validators=LONGITUDE_VALIDATORS
    )
    remarks = field_from_model(PeopleEventlog, "remarks", default="")

    def validate(self, attrs):
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError({"lat": "Give both coordinates or neither."})
        return attrs


class AttendanceViewSet(ScopedReadOnlyViewSet):
    """Attendance events are written only by checking in and out."""

    queryset = PeopleEventlog.objects.order_by("-punchintime", "-pk")
    serializer_class = PeopleEventlogSerializer
    http_method_names = ["get", "post", "head", "options"]
    #: Checking oneself in; checking in someone else needs ``change`` too (see the services).
    action_permissions = {"check_in": "add", "check_out": "add"}

    #: check_in/check_out take the person's ATTENDANCE_UPDATE lock and then open the transaction
    #: themselves, as the outermost boundary of the request: the actions must not open one.
    service_takes_locks = True

    def _punch(self, request, service, status_code):
        data = PunchSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        event = service(author=request.user, **data.validated_data)
        return Response(PeopleEventlogSerializer(event).data, status=status_code)

    @extend_schema(request=PunchSerializer, responses={201: PeopleEventlogSerializer})
    @action(detail=False, methods=["post"], url_path="check-in", url_name="check-in")
    def check_in(self, request):
        return self._punch(request, check_in, status.HTTP_201_CREATED)

    @extend_schema(request=PunchSerializer, responses={200: PeopleEventlogSerializer})
    @action(detail=False, methods=["post"], url_path="check-out", url_name="check-out")
    def check_out(self, request):
        return self._punch(request, check_out, status.HTTP_200_OK)


ROUTES = [("attendance", AttendanceViewSet, "attendance")]
