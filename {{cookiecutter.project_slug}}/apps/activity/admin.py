from django.contrib import admin
from django.contrib.admin.options import csrf_protect_m

from apps.core.admin import ReadOnlyAdminMixin, UserInfoAdmin
from apps.core.exceptions import LockAcquisitionError, StaleVersionError
from apps.core.views.responses import write_failure_response

from .models import Asset, AssetLog, Job, Jobneed
from .services import JOB_FIELDS, update_job


@admin.register(Asset)
class AssetAdmin(UserInfoAdmin):
    """Assets are described here; their status changes through the status form or API only.

    A status change takes the asset's ASSET_STATUS_UPDATE lock before its transaction, which the
    admin's own transaction would not allow, so the status of an existing asset is read-only here.
    """

    list_display = ["assetcode", "assetname", "status", "client", "site", "enable"]
    list_select_related = ("client", "site")
    list_filter = ["status", "enable"]
    search_fields = ["assetcode", "assetname"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "status"] if obj is not None else fields


@admin.register(AssetLog)
class AssetLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["asset", "oldstatus", "newstatus", "changed_by", "cdtz"]
    list_select_related = ("asset", "changed_by")
    list_filter = ["newstatus"]


@admin.register(Job)
class JobAdmin(UserInfoAdmin):
    """Jobs are created through the form or the API, which generate their occurrences with them."""

    list_display = ["jobname", "asset", "people", "frequency", "fromdate", "uptodate"]
    list_select_related = ("asset", "people")
    list_filter = ["frequency"]
    search_fields = ["jobname"]

    def has_add_permission(self, request):
        return False

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Without the admin's own transaction: ``update_job`` locks the job and then opens the
        transaction itself, which it refuses to do inside an open one (it would outlive the lock).
        A job has no inlines or many-to-many fields whose save would need to join it. A job
        being re-planned by someone else is answered 409 with Retry-After, as everywhere else.
        """
        try:
            return self._changeform_view(request, object_id, form_url, extra_context)
        except (LockAcquisitionError, StaleVersionError) as exc:
            return write_failure_response(exc, self.model._meta.verbose_name)

    def save_model(self, request, obj, form, change):
        """Through ``update_job``: the job is re-read under its locks and only the changed fields are written."""
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in JOB_FIELDS}
        job = update_job(author=request.user, job=obj.pk, expected_version=form.cleaned_data.get("version"), **changes)
        for field in self.model._meta.concrete_fields:
            setattr(obj, field.attname, getattr(job, field.attname))


@admin.register(Jobneed)
class JobneedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["job", "plandatetime", "expirydatetime", "jobstatus", "performedby"]
    list_select_related = ("job", "performedby")
    list_filter = ["jobstatus"]
