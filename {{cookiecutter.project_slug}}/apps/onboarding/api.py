from rest_framework import serializers

from apps.core.access.permissions import STAFF_ONLY
from apps.core.access.scoping import is_platform_staff
from apps.core.api.viewsets import AtomicModelSerializer, AtomicModelViewSet

from .models import Bt, SuperTypeAssist, TypeAssist
from .services import create_client, create_site, create_super_type_assist, create_type_assist, update_business_unit

BT_FIELDS = ["id", "uuid", "bucode", "buname", "address", "enable", "version", "cdtz", "mdtz"]


class ClientSerializer(AtomicModelSerializer):
    class Meta:
        model = Bt
        fields = BT_FIELDS
        read_only_fields = ["id", "uuid", "version", "cdtz", "mdtz"]

    def create(self, validated_data):
        return create_client(author=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return update_business_unit(
            author=self.context["request"].user,
            bu=instance.pk,
            expected_version=self.expected_version,
            **validated_data,
        )


class SiteSerializer(ClientSerializer):
    client = serializers.PrimaryKeyRelatedField(
        source="parent", queryset=Bt.objects.filter(identifier=Bt.Identifier.CLIENT)
    )

    class Meta(ClientSerializer.Meta):
        fields = [*BT_FIELDS, "client"]

    def create(self, validated_data):
        client = validated_data.pop("parent")
        return create_site(author=self.context["request"].user, client=client, **validated_data)


class SuperTypeAssistSerializer(AtomicModelSerializer):
    class Meta:
        model = SuperTypeAssist
        fields = ["id", "uuid", "code", "name"]
        read_only_fields = ["id", "uuid"]

    def create(self, validated_data):
        return create_super_type_assist(author=self.context["request"].user, **validated_data)


class TypeAssistSerializer(AtomicModelSerializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Bt.objects.filter(identifier=Bt.Identifier.CLIENT), required=False, allow_null=True
    )

    class Meta:
        model = TypeAssist
        fields = ["id", "uuid", "tatype", "tacode", "taname", "client"]
        read_only_fields = ["id", "uuid"]
        validators = []  # the partial unique constraints are checked by the database: 409 on conflict

    def validate(self, attrs):
        user = self.context["request"].user
        if not is_platform_staff(user):
            attrs["client"] = user.client  # shared values are kept by platform staff
        return attrs

    def create(self, validated_data):
        return create_type_assist(author=self.context["request"].user, **validated_data)


class ClientViewSet(AtomicModelViewSet):
    """Clients: each person sees their own; only platform staff create and change them."""

    action_permissions = {"create": STAFF_ONLY, "update": STAFF_ONLY, "partial_update": STAFF_ONLY}
    queryset = Bt.objects.filter(identifier=Bt.Identifier.CLIENT).order_by("pk")
    serializer_class = ClientSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class SiteViewSet(AtomicModelViewSet):
    queryset = Bt.objects.filter(identifier=Bt.Identifier.SITE).select_related("parent").order_by("pk")
    serializer_class = SiteSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class SuperTypeAssistViewSet(AtomicModelViewSet):
    queryset = SuperTypeAssist.objects.order_by("pk")
    serializer_class = SuperTypeAssistSerializer
    http_method_names = ["get", "post", "head", "options"]


class TypeAssistViewSet(AtomicModelViewSet):
    queryset = TypeAssist.objects.select_related("tatype").order_by("pk")
    serializer_class = TypeAssistSerializer
    http_method_names = ["get", "post", "head", "options"]


ROUTES = [
    ("clients", ClientViewSet, "client"),
    ("sites", SiteViewSet, "site"),
    ("super-type-assists", SuperTypeAssistViewSet, "supertypeassist"),
    ("type-assists", TypeAssistViewSet, "typeassist"),
]
