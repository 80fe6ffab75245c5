"""Admin helpers: records saved in the admin are stamped like any other write, and an edit writes
only what the change form changed, to the row re-read under its row lock, checked against the
version the form was opened with (``EditedRowAdminMixin``).

The monitoring records are registered read-only: they describe what happened and nobody edits
history. The one exception is a failure's resolution (flag and note). So are the task outbox and
its delivery receipts, which live on the operation's own alias. They are read and written
through the monitoring connection, like everywhere else.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import flatten_fieldsets
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.core.exceptions import StaleVersionError
from apps.core.models import (
    AfterCommitIncident,
    DeliveryReceipt,
    OutboxMessage,
    SagaExecutionLog,
    TransactionFailureLog,
    TransactionHealthCheck,
    TransactionMetrics,
    VersionedModel,
)
from apps.core.services.row_update import lock_row, save_changes
from apps.core.services.userinfo import save_userinfo
from apps.core.views.responses import write_failure_response

admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = "Platform administration"


class ReadOnlyAdminMixin:
    """Records written only by the services (history, counters, decisions): looked at, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EditedRowAdminMixin:
    """The admin's change form writes what it changed, never the whole row it loaded.

    The object the admin loaded and filled from the form was read before its transaction began:
    saving it whole would write back every other field as it was then (a status changed since,
    read-only in the form, included). So a change re-reads the row under its row lock, copies
    over only the fields the form changed, and saves those. A versioned record's change form
    carries the version it was opened with (a hidden field); if the row has moved on since, the
    save is refused with 409 and nothing is written.
    """

    def get_form(self, request, obj=None, change=False, **kwargs):
        versioned = isinstance(obj, VersionedModel)
        if versioned:
            # The hidden field is the form's own, not the model's (whose version is not editable).
            fields = kwargs["fields"] if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
            if fields is not None:
                kwargs["fields"] = [name for name in fields if name != "version"]
        form = super().get_form(request, obj, change=change, **kwargs)
        if not versioned:
            return form
        version = forms.IntegerField(widget=forms.HiddenInput, initial=obj.version, required=False, min_value=1)
        return type(form.__name__, (form,), {"version": version})

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not isinstance(obj, VersionedModel):
            return fieldsets
        if any("version" in options.get("fields", ()) for _, options in fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options.get("fields", ()), "version"]}), *rest]

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleVersionError as exc:
            return write_failure_response(exc, self.model._meta.verbose_name)

    def changed_columns(self, form):
        """The editable columns the form changed (many-to-many ones are saved by the form; the version is not data)."""
        concrete = {field.name for field in self.model._meta.concrete_fields if field.editable}
        return [name for name in form.changed_data if name in concrete]

    def save_changed_fields(self, request, obj, form):
        """Write the form's changes onto the row re-read under its row lock; return that row."""
        current = lock_row(self.model._default_manager, obj, expected_version=form.cleaned_data.get("version"))
        changed = self.changed_columns(form)
        for name in changed:
            setattr(current, name, getattr(obj, name))
        save_changes(current, request.user, changed)
        for field in self.model._meta.concrete_fields:  # the page after the save shows the stored row
            setattr(obj, field.attname, getattr(current, field.attname))
        return current

    def save_model(self, request, obj, form, change):
        if change:
            self.save_changed_fields(request, obj, form)
        else:
            super().save_model(request, obj, form, change)


class UserInfoAdmin(EditedRowAdminMixin, admin.ModelAdmin):
    """Stamp created-by/modified-by on save; the admin already wraps the save in a transaction."""

    userinfo_readonly_fields = ["uuid", "cuser", "muser", "cdtz", "mdtz"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.userinfo_readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            self.save_changed_fields(request, obj, form)
        else:
            save_userinfo(obj, request.user)


class MonitoringRecordAdmin(admin.ModelAdmin):
    """A record of the monitoring connection: viewable by staff, never added, changed or deleted."""

    editable_fields = ()

    def get_queryset(self, request):
        return super().get_queryset(request).using(settings.MONITORING_DB_ALIAS)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in self.editable_fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return bool(self.editable_fields) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.save(using=settings.MONITORING_DB_ALIAS, update_fields=[*self.editable_fields, *self.derived_fields])

    derived_fields = ()


@admin.register(TransactionFailureLog)
class TransactionFailureLogAdmin(MonitoringRecordAdmin):
    editable_fields = ("is_resolved", "resolution_note")
    derived_fields = ("resolved_at",)
    list_display = ["occurred_at", "operation", "error_class", "category", "correlation_id", "is_resolved", "detail"]
    list_filter = ["is_resolved", "category", "occurred_at"]
    search_fields = ["operation", "error_class", "correlation_id", "error_message", "username"]
    date_hierarchy = "occurred_at"

    @admin.display(description="detail")
    def detail(self, obj):
        return format_html('<a href="{}">open</a>', reverse("transaction-failure-page", args=[obj.pk]))

    def save_model(self, request, obj, form, change):
        if "is_resolved" in form.changed_data:
            obj.resolved_at = timezone.now() if obj.is_resolved else None
        super().save_model(request, obj, form, change)


@admin.register(AfterCommitIncident)
class AfterCommitIncidentAdmin(MonitoringRecordAdmin):
    list_display = ["occurred_at", "kind", "action", "operation", "error_class", "correlation_id"]
    list_filter = ["kind", "occurred_at"]
    search_fields = ["operation", "action", "error_class", "correlation_id"]
    date_hierarchy = "occurred_at"


@admin.register(TransactionMetrics)
class TransactionMetricsAdmin(MonitoringRecordAdmin):
    list_display = ["hour", "kind", "operation", "commits", "rollbacks", "rejections", "average", "slow_count"]
    list_filter = ["kind", "hour"]
    search_fields = ["operation"]

    @admin.display(description="average ms")
    def average(self, obj):
        return f"{obj.average_ms:.1f}" if obj.average_ms is not None else "–"


@admin.register(TransactionHealthCheck)
class TransactionHealthCheckAdmin(MonitoringRecordAdmin):
    list_display = ["checked_at", "status", "window_hours", "total_transactions", "failure_rate", "deadlock_count"]
    list_filter = ["status"]


@admin.register(SagaExecutionLog)
class SagaExecutionLogAdmin(MonitoringRecordAdmin):
    list_display = ["started_at", "name", "status", "failed_step", "correlation_id", "duration_ms"]
    list_filter = ["status"]
    search_fields = ["name", "correlation_id", "saga_id"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The task outbox of the alias the admin works on: what was published, what still waits and why."""

    list_display = ["created_at", "task_name", "ordering_key", "published_at", "attempts", "last_error"]
    list_filter = [("published_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["=id", "task_name", "ordering_key"]
    date_hierarchy = "created_at"


@admin.register(DeliveryReceipt)
class DeliveryReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which outbox messages a task has done (a redelivery of one of these does nothing)."""

    list_display = ["delivered_at", "task_name", "message_id"]
    list_filter = ["task_name"]
    search_fields = ["=message_id", "task_name"]
    date_hierarchy = "delivered_at"
