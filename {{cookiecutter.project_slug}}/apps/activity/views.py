from apps.core.access.permissions import can
from apps.core.views.actions import RecordActionView
from apps.core.views.forms import AtomicFormView
from apps.core.views.pages import RecordDetailView, RecordListView

from .forms import AssetChangeForm, AssetForm, AssetStatusForm, JobChangeForm, JobForm
from .models import Asset, Job, Jobneed
from .services import change_asset_status, create_asset, create_job, transition_jobneed, update_asset, update_job


class AssetFormView(AtomicFormView):
    model = Asset
    form_class = AssetForm
    edit_form_class = AssetChangeForm

    def handle_valid_form(self, form, request, create):
        if create:
            asset = create_asset(author=request.user, **form.cleaned_data)
            return self.done(asset, data={"status": asset.status})
        # The asset is re-read under its row lock; the form's copy only names it.
        asset = update_asset(
            author=request.user, asset=form.instance.pk, expected_version=form.expected_version, **form.changes()
        )
        return self.done(asset, created=False, data={"status": asset.status, "version": asset.version})


class AssetStatusFormView(AtomicFormView):
    model = Asset
    form_class = AssetStatusForm
    submit_label = "Change status"
    # change_asset_status locks the asset, then opens the transaction itself.
    service_takes_locks = True

    def get_title(self, instance):
        return f"Change the status of {instance} (now {instance.get_status_display()})"

    def handle_valid_form(self, form, request, create):
        asset = change_asset_status(author=request.user, asset=form.instance, **form.cleaned_data)
        return self.done(
            asset, created=False, data={"status": asset.status}, message=f"{asset} is now {asset.get_status_display()}."
        )


class JobFormView(AtomicFormView):
    model = Job
    form_class = JobForm
    record_name = "PPM job"
    # create_job locks the asset's planning, then opens the transaction itself.
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        job = create_job(author=request.user, **form.cleaned_data)
        return self.done(job, data={"jobneed_count": job.jobneeds.count()})


class JobEditView(JobFormView):
    """Change a PPM job; its occurrences nobody has started are planned again.

    ``update_job`` locks the job's planning, then opens the transaction itself (a view of its own,
    so that each view's write is the one service call its transaction analysis sees).
    """

    form_class = JobChangeForm

    def handle_valid_form(self, form, request, create):
        # The job is re-read under its lock and row lock; the form's copy only names it.
        job = update_job(
            author=request.user, job=form.instance.pk, expected_version=form.expected_version, **form.changes()
        )
        return self.done(job, created=False, data={"jobneed_count": job.jobneeds.count(), "version": job.version})


# Pages
# ------------------------------------------------------------------------------


class AssetListView(RecordListView):
    model = Asset
    columns = ("assetcode", "assetname", "category", "status", "site", "location")
    filter_fields = ("status", "enable")
    search_fields = ("assetcode", "assetname", "location")
    list_select_related = ("category__tatype", "site")
    create_url_name = "activity:asset-create"


class AssetDetailView(RecordDetailView):
    model = Asset
    template_name = "activity/asset_detail.html"
    update_url_name = "activity:asset-update"
    fields = ("status", "assetname", "category", "site", "location", "enable")
    list_select_related = ("category__tatype", "site")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["logs"] = context["object"].logs.select_related("changed_by")
        context["can_change_status"] = can(self.request.user, "activity.change_asset")
        context["jobs"] = context["object"].jobs.all()
        return context


class JobListView(RecordListView):
    model = Job
    columns = ("jobname", "asset", "people", "frequency", "fromdate", "uptodate")
    filter_fields = ("frequency",)
    search_fields = ("jobname", "jobdesc")
    list_select_related = ("asset", "people")
    create_url_name = "activity:job-create"
    title = "PPM jobs"


class JobDetailView(RecordDetailView):
    model = Job
    template_name = "activity/job_detail.html"
    update_url_name = "activity:job-update"
    fields = ("asset", "people", "frequency", "fromdate", "uptodate", "planduration", "gracetime", "jobdesc")
    list_select_related = ("asset", "people")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["jobneeds"] = context["object"].jobneeds.select_related("performedby")
        return context


class JobneedListView(RecordListView):
    model = Jobneed
    columns = ("job", "plandatetime", "expirydatetime", "jobstatus", "performedby")
    filter_fields = ("jobstatus",)
    search_fields = ("job__jobname", "jobdesc")
    list_select_related = ("job", "performedby")
    title = "Job needs"


class JobneedDetailView(RecordDetailView):
    model = Jobneed
    template_name = "activity/jobneed_detail.html"
    fields = ("job", "jobstatus", "plandatetime", "expirydatetime", "performedby", "remarks")
    list_select_related = ("job", "performedby")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        jobneed = context["object"]
        if can(self.request.user, "activity.change_jobneed"):
            context["next_statuses"] = [
                (status, label)
                for status, label in Jobneed.Status.choices
                if jobneed.can_transition_to(status) and status != Jobneed.Status.AUTOCLOSED
            ]
        return context


class JobneedTransitionView(RecordActionView):
    """Start or complete an occurrence (its status lock and row lock are taken by the service)."""

    model = Jobneed

    def perform(self, jobneed, data):
        jobneed = transition_jobneed(
            author=self.request.user,
            jobneed=jobneed,
            to_status=data.get("to_status"),
            remarks=data.get("remarks", "")[:500],
        )
        return jobneed, f"{jobneed} is now {jobneed.get_jobstatus_display().lower()}."
