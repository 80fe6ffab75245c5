"""DRF bases whose writes are atomic without the subclass thinking about it.

``AtomicModelViewSet`` runs create, update, partial update and destroy in one transaction on the
current alias, the outermost boundary of the request. ``AtomicModelSerializer.save`` opens the
same boundary (joined when the viewset already did), so a serializer saved from anywhere else,
a task or a command, is atomic too. Serializers delegate their ``create``/``update`` to the app's
service functions, where the order of the steps lives.

Every viewset built on these bases is scoped (``apps.core.access``): its queryset holds only the
user's client's rows (another client's object is a 404), its actions need the role's model
permission (``RolePermission``; map custom actions in ``action_permissions``), and the writable
related fields of its serializers offer only the user's client's rows (another client's key is a
400 "does not exist").
"""

from contextlib import nullcontext

from django.db import models
from rest_framework import mixins, serializers, viewsets

from apps.core.access.fields import scope_serializer_fields
from apps.core.access.permissions import RolePermission
from apps.core.access.scoping import scope_queryset
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.unique_conflicts import unique_message

from .conditional import ConditionalWriteMixin
from .model_fields import StorableJSONField


class ScopedFieldsMixin:
    """Serializer mixin: writable related fields offer only the requesting user's client's rows.

    Without a request in the context (a task, a command: the system) the fields are not scoped.
    """

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            scope_serializer_fields(fields, request.user)
        return fields


class ScopedSerializer(ScopedFieldsMixin, serializers.Serializer):
    """A plain serializer (an action's input) whose related fields are scoped to the user's client."""


class UniqueTogetherByField:
    """DRF's ``UniqueTogetherValidator``, reporting a duplicate by the fields of the constraint.

    DRF reports it as a non-field error ("The fields client, code must make a unique set."); the
    project answers every duplicate alike: ``{field: ["Vendor with this Code already exists."]}``
    (and 409, see ``apps.core.api.exceptions``), as when the database refuses it.
    """

    requires_context = True

    def __init__(self, validator):
        self.validator = validator

    def __call__(self, attrs, serializer):
        try:
            self.validator(attrs, serializer)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, list):  # "This field is required." by field: as it is
                raise
            model = serializer.Meta.model
            sources = [serializer.fields[name].source for name in self.validator.fields]
            message = unique_message(model, sources)
            raise serializers.ValidationError(
                {name: [message] for name in self.validator.fields}, code="unique"
            ) from error

    def __repr__(self):
        return f"UniqueTogetherByField({self.validator!r})"


class AtomicModelSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    #: A model's JSON fields refuse text the database cannot store, as its text fields do.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.JSONField: StorableJSONField,
    }

    #: As on the views: True when ``create``/``update`` call a service that takes a lock and so
    #: must open the transaction itself. The view's setting counts too.
    service_takes_locks = False

    def get_unique_together_validators(self):
        return [UniqueTogetherByField(validator) for validator in super().get_unique_together_validators()]

    def transaction_boundary(self):
        view = self.context.get("view")
        if self.service_takes_locks or getattr(view, "service_takes_locks", False):
            return nullcontext()
        return atomic_view_operation()

    def save(self, **kwargs):
        with self.transaction_boundary():
            return super().save(**kwargs)

    @property
    def expected_version(self):
        """The version the client's ``If-Match`` asks the update to apply to (None: the current one)."""
        return self.context.get("expected_version")


class AtomicWriteMixin:
    """Wrap the write actions of a DRF view in ``transaction_boundary()``."""

    #: True when the service this view calls takes a distributed lock: the service then opens
    #: the transaction itself, after the lock (``with_lock_and_transaction``), and the view must
    #: not open one around it.
    service_takes_locks = False

    def transaction_boundary(self):
        """The transaction the write runs in: the outermost one of the operation."""
        if self.service_takes_locks:
            return nullcontext()
        return atomic_view_operation(durable=True)

    def create(self, request, *args, **kwargs):
        with self.transaction_boundary():
            return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        with self.transaction_boundary():
            return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with self.transaction_boundary():
            return super().destroy(request, *args, **kwargs)


class ScopedViewSetMixin:
    """The queryset limited to the user's client; actions allowed by the user's role.

    ``action_permissions`` maps a custom action to the permission verb it needs (``"change"``),
    a full permission name, or ``STAFF_ONLY``; an action left out is for platform staff only.
    """

    permission_classes = [RolePermission]
    action_permissions = {}

    def initial(self, request, *args, **kwargs):
        """Parse the body once the caller is known to be allowed, before any transaction opens.

        A body that cannot be parsed (malformed, nested too deep, of an unsupported type) is then
        refused before anything began, not from inside the write's transaction.
        """
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH"):
            request.data  # noqa: B018

    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.request.user)


class AtomicModelViewSet(ScopedViewSetMixin, ConditionalWriteMixin, AtomicWriteMixin, viewsets.ModelViewSet):
    """A scoped ModelViewSet whose create/update/destroy are each one transaction; versioned records get
    an ETag and honour If-Match (``conditional``)."""


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """A scoped read-only viewset, for records written only through its actions' services."""


class AtomicCreateReadViewSet(
    ScopedViewSetMixin,
    AtomicWriteMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Records that are written once and then only read (events, logs)."""
