from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.access.roles import Role
from apps.core.api.model_fields import field_from_model
from apps.core.api.viewsets import AtomicModelSerializer, AtomicModelViewSet, ScopedSerializer

from .models import People, PeopleOrganizational, PeopleProfile
from .services import change_password, create_person, update_person

BUSINESS_UNITS = People._meta.get_field("client").related_model.objects


class PeopleSerializer(AtomicModelSerializer):
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    old_password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    client = serializers.PrimaryKeyRelatedField(
        queryset=BUSINESS_UNITS.filter(identifier="CLIENT"), required=False, allow_null=True
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=BUSINESS_UNITS.filter(identifier="SITE"), required=False, allow_null=True
    )
    roles = serializers.MultipleChoiceField(choices=Role.choices, required=False)
    gender = field_from_model(PeopleProfile, "gender", source="profile.gender", required=False)
    dateofjoin = field_from_model(PeopleProfile, "dateofjoin", source="profile.dateofjoin", required=False)
    location = field_from_model(PeopleOrganizational, "location", source="organizational.location", required=False)
    department = serializers.PrimaryKeyRelatedField(
        source="organizational.department",
        queryset=PeopleOrganizational._meta.get_field("department").related_model.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = People
        fields = [
            "id", "uuid", "username", "password", "old_password", "peoplecode", "peoplename", "email", "mobno",
            "client", "site", "roles", "is_active", "gender", "dateofjoin", "department", "location", "version",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "version"]
        validators = []  # codes are unique per client in the database: 409 on conflict

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # From the prefetched groups: no query per person.
        data["roles"] = sorted(group.name for group in instance.groups.all() if group.name in Role.values)
        return data

    @staticmethod
    def _flatten(validated_data):
        data = dict(validated_data)
        data.update(data.pop("profile", {}))
        data.update(data.pop("organizational", {}))
        if "roles" in data:
            data["roles"] = sorted(data["roles"])
        return data

    def create(self, validated_data):
        validated_data.pop("old_password", None)
        return create_person(author=self.context["request"].user, **self._flatten(validated_data))

    def update(self, instance, validated_data):
        return update_person(
            author=self.context["request"].user,
            person=instance.pk,
            expected_version=self.expected_version,
            **self._flatten(validated_data),
        )


class PasswordSerializer(ScopedSerializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    old_password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})


class PeopleViewSet(AtomicModelViewSet):
    queryset = People.objects.select_related("profile", "organizational").prefetch_related("groups").order_by("pk")
    serializer_class = PeopleSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    #: Anyone who sees a person may try; ``change_password`` decides (owner, client admin, staff).
    action_permissions = {"password": "view"}

    @extend_schema(request=PasswordSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def password(self, request, pk=None):
        """Change your own password (``old_password`` required) or reset another's (client admin, staff)."""
        person = self.get_object()
        data = PasswordSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        with self.transaction_boundary():
            change_password(author=request.user, person=person, **data.validated_data)
        return Response(status=204)


ROUTES = [("people", PeopleViewSet, "people")]
