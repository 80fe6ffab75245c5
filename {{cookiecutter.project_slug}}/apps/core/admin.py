"""Admin helpers: records saved in the admin are stamped like any other write.

The monitoring records are registered read-only: they describe what happened and nobody edits
history. The one exception is a failure's resolution (flag and note). They are read and written
through the monitoring connection, like everywhere else.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.core.models import SagaExecutionLog, TransactionFailureLog, TransactionHealthCheck, TransactionMetrics
from apps.core.services.userinfo import save_userinfo

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


class UserInfoAdmin(admin.ModelAdmin):
    """Stamp created-by/modified-by on save; the admin already wraps the save in a transaction."""

    userinfo_readonly_fields = ["uuid", "cuser", "muser", "cdtz", "mdtz"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.userinfo_readonly_fields]

    def save_model(self, request, obj, form, change):
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
