from apps.core.views.forms import AtomicFormView

from .forms import VendorForm, WorkOrderForm, WorkPermitForm
from .models import Vendor, WorkOrder, WorkPermit
from .services import create_vendor, create_work_order, create_work_permit


class VendorFormView(AtomicFormView):
    model = Vendor
    form_class = VendorForm
    title = "New vendor"

    def handle_valid_form(self, form, request, create):
        vendor = create_vendor(author=request.user, **form.cleaned_data)
        return self.done(vendor, data={"code": vendor.code})


class WorkOrderFormView(AtomicFormView):
    model = WorkOrder
    form_class = WorkOrderForm
    title = "New work order"
    # create_work_order numbers the order under its client's lock, then opens the transaction.
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        workorder = create_work_order(author=request.user, **form.cleaned_data)
        return self.done(workorder, data={"number": workorder.number})


class WorkPermitFormView(AtomicFormView):
    model = WorkPermit
    form_class = WorkPermitForm
    title = "New work permit"

    def handle_valid_form(self, form, request, create):
        permit = create_work_permit(author=request.user, **form.cleaned_data)
        return self.done(permit, data={"permit_name": permit.permit_name})
