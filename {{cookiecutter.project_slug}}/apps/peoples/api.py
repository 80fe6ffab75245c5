from rest_framework import serializers

from apps.core.api.viewsets import AtomicModelSerializer, AtomicModelViewSet

from .models import People, PeopleOrganizational, PeopleProfile
from .services import create_person, update_person


class PeopleSerializer(AtomicModelSerializer):
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    gender = serializers.ChoiceField(
        choices=PeopleProfile.Gender.choices, source="profile.gender", required=False, allow_blank=True
    )
    dateofjoin = serializers.DateField(source="profile.dateofjoin", required=False, allow_null=True)
    location = serializers.CharField(source="organizational.location", required=False, allow_blank=True)
    department = serializers.PrimaryKeyRelatedField(
        source="organizational.department",
        queryset=PeopleOrganizational._meta.get_field("department").related_model.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = People
        fields = [
            "id", "uuid", "username", "password", "peoplecode", "peoplename", "email", "mobno",
            "client", "site", "is_active", "gender", "dateofjoin", "department", "location", "version",
        ]  # fmt: skip
        read_only_fields = ["id", "uuid", "version"]

    def validate(self, attrs):
        site, client = attrs.get("site"), attrs.get("client")
        if site is not None and (client is None or site.parent_id != client.pk):
            raise serializers.ValidationError({"site": "The site must belong to the person's client."})
        return attrs

    @staticmethod
    def _flatten(validated_data):
        data = dict(validated_data)
        data.update(data.pop("profile", {}))
        data.update(data.pop("organizational", {}))
        return data

    def create(self, validated_data):
        return create_person(author=self.context["request"].user, **self._flatten(validated_data))

    def update(self, instance, validated_data):
        return update_person(
            author=self.context["request"].user,
            person=instance.pk,
            expected_version=self.expected_version,
            **self._flatten(validated_data),
        )


class PeopleViewSet(AtomicModelViewSet):
    queryset = People.objects.select_related("profile", "organizational").order_by("pk")
    serializer_class = PeopleSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


ROUTES = [("people", PeopleViewSet, "people")]
