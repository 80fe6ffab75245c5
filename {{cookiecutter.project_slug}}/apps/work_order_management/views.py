from django.http import JsonResponse

from apps.core.views.forms import AtomicFormView

from .forms import VendorForm, WorkOrderForm, WorkPermitForm
from .models import Vendor, WorkOrder, WorkPermit
from .services import create_vendor, create_work_order, create_work_permit, update_vendor


class VendorFormView(AtomicFormView):
    model = Vendor
    form_class = VendorForm
    title = "New vendor"

    def handle_valid_form(self, form, request, create):
        if create:
            vendor = create_vendor(author=request.user, **form.cleaned_data)
            return JsonResponse({"pk": vendor.pk, "uuid": str(vendor.uuid), "code": vendor.code}, status=201)
        # The vendor is re-read under its row lock; the form's copy only names it.
        vendor = update_vendor(
            author=request.user, vendor=form.instance.pk, expected_version=form.expected_version, **form.cleaned_data
        )
        return JsonResponse({"pk": vendor.pk, "uuid": str(vendor.uuid), "version": vendor.version}, status=200)


class WorkOrderFormView(AtomicFormView):
    model = WorkOrder
    form_class = WorkOrderForm
    title = "New work order"
    # create_work_order numbers the order under its client's lock, then opens the transaction.
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        workorder = create_work_order(author=request.user, **form.cleaned_data)
        return JsonResponse({"pk": workorder.pk, "uuid": str(workorder.uuid), "number": workorder.number}, status=201)


class WorkPermitFormView(AtomicFormView):
    model = WorkPermit
    form_class = WorkPermitForm
    title = "New work permit"

    def handle_valid_form(self, form, request, create):
        permit = create_work_permit(author=request.user, **form.cleaned_data)
        return JsonResponse({"pk": permit.pk, "uuid": str(permit.uuid), "permit_name": permit.permit_name}, status=201)
