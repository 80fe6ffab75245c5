from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin, UserInfoAdmin

from .models import (
    Approver,
    PermitApproval,
    Vendor,
    WomDetails,
    WorkOrder,
    WorkOrderHistory,
    WorkOrderSequence,
    WorkPermit,
)
from .services import WORK_ORDER_FIELDS, update_work_order


@admin.register(Vendor)
class VendorAdmin(UserInfoAdmin):
    list_display = ["code", "name", "email", "client", "enable"]
    list_select_related = ("client",)
    list_filter = ["enable", "client"]
    search_fields = ["code", "name", "email"]


@admin.register(Approver)
class ApproverAdmin(UserInfoAdmin):
    list_display = ["people", "identifier", "approverfor", "site"]
    list_select_related = ("people", "site")
    list_filter = ["identifier", "approverfor", "site"]
    search_fields = ["people__peoplename", "people__peoplecode"]


class WorkOrderHistoryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WorkOrderHistory
    fields = ["at", "action", "workstatus", "changed_by", "snapshot"]
    readonly_fields = fields
    extra = 0


@admin.register(WorkOrder)
class WorkOrderAdmin(UserInfoAdmin):
    """Work orders are raised through the service, which numbers them; here they can be edited."""

    list_display = ["number", "description", "vendor", "priority", "workstatus", "site", "plandatetime"]
    list_select_related = ("vendor", "site")
    list_filter = ["workstatus", "priority", "site"]
    search_fields = ["number", "description"]
    readonly_fields = ["number", "sequence"]
    inlines = [WorkOrderHistoryInline]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        """Through ``update_work_order``: re-read under its row lock, status moves checked, changes in its history."""
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in WORK_ORDER_FIELDS}
        workorder = update_work_order(
            author=request.user, workorder=obj.pk, expected_version=form.cleaned_data.get("version"), **changes
        )
        for field in self.model._meta.concrete_fields:
            setattr(obj, field.attname, getattr(workorder, field.attname))


@admin.register(WorkOrderHistory)
class WorkOrderHistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["workorder", "action", "workstatus", "changed_by", "at"]
    list_select_related = ("workorder", "changed_by")
    list_filter = ["action", "workstatus"]


@admin.register(WorkOrderSequence)
class WorkOrderSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["client", "year", "last_number"]
    list_select_related = ("client",)


class PermitApprovalInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PermitApproval
    fields = ["people", "role", "decision", "decided_at", "remarks"]
    readonly_fields = fields
    extra = 0


class WomDetailsInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WomDetails
    fields = ["seqno", "question", "answertype", "answer", "ismandatory"]
    readonly_fields = fields
    extra = 0


@admin.register(WorkPermit)
class WorkPermitAdmin(UserInfoAdmin):
    """Permits are raised and decided through the services, which assign and record the approvers."""

    list_display = ["permit_name", "permit_type", "status", "site", "cdtz"]
    list_select_related = ("permit_type__tatype", "site")
    list_filter = ["status", "site"]
    search_fields = ["permit_name"]
    readonly_fields = ["permit_name", "sequence", "status"]
    inlines = [PermitApprovalInline, WomDetailsInline]

    def has_add_permission(self, request):
        return False
