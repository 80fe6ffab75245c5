from django.http import JsonResponse

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
        return JsonResponse({"pk": asset.pk, "uuid": str(asset.uuid), "status": asset.status}, status=201)


class AssetStatusFormView(AtomicFormView):
    model = Asset
    form_class = AssetStatusForm
    title = "Change asset status"
    # change_asset_status locks the asset, then opens the transaction itself.
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        asset = change_asset_status(author=request.user, asset=form.instance, **form.cleaned_data)
        return JsonResponse({"pk": asset.pk, "uuid": str(asset.uuid), "status": asset.status}, status=200)


class JobFormView(AtomicFormView):
    model = Job
    form_class = JobForm
    title = "New PPM job"
    # create_job locks the asset's planning, then opens the transaction itself.
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        job = create_job(author=request.user, **form.cleaned_data)
        return JsonResponse({"pk": job.pk, "uuid": str(job.uuid), "jobneed_count": job.jobneeds.count()}, status=201)
