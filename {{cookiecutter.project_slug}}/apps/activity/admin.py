from django.contrib import admin

from apps.core.admin import UserInfoAdmin

from .models import Asset, AssetLog, Job, Jobneed
from .services import JOB_FIELDS, update_job


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and generated records: shown, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Asset)
class AssetAdmin(UserInfoAdmin):
    """Saving a new status here is recorded in the asset's history like any other change."""

    list_display = ["assetcode", "assetname", "status", "client", "site", "enable"]
    list_filter = ["status", "enable"]
    search_fields = ["assetcode", "assetname"]


@admin.register(AssetLog)
class AssetLogAdmin(ReadOnlyAdmin):
    list_display = ["asset", "oldstatus", "newstatus", "changed_by", "cdtz"]
    list_filter = ["newstatus"]


@admin.register(Job)
class JobAdmin(UserInfoAdmin):
    """Jobs are created through the form or the API, which generate their occurrences with them."""

    list_display = ["jobname", "asset", "people", "frequency", "fromdate", "uptodate"]
    list_filter = ["frequency"]
    search_fields = ["jobname"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in JOB_FIELDS}
        update_job(author=request.user, job=obj, **changes)


@admin.register(Jobneed)
class JobneedAdmin(ReadOnlyAdmin):
    list_display = ["job", "plandatetime", "expirydatetime", "jobstatus", "performedby"]
    list_filter = ["jobstatus"]
