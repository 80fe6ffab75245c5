from apps.core.views.forms import AtomicFormView

from .forms import AssetForm, AssetStatusForm, JobForm
from .models import Asset, Job
from .services import change_asset_status, create_asset, create_job


class AssetFormView(AtomicFormView):
    model = Asset
    form_class = AssetForm
    title = "New asset"

    def handle_valid_form(self, form, request, create):
        asset = create_asset(author=request.user, **form.cleaned_data)
        return self.done(asset, data={"status": asset.status})


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
    title = "New PPM job"
    # create_job locks the asset's planning, then opens the transaction itself.
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        job = create_job(author=request.user, **form.cleaned_data)
        return self.done(job, data={"jobneed_count": job.jobneeds.count()})
