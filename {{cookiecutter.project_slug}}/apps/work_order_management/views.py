from django.core.exceptions import ValidationError
from django.shortcuts import render

from apps.core.access.permissions import can
from apps.core.views.actions import RecordActionView
from apps.core.views.forms import AtomicFormView
from apps.core.views.pages import RecordDetailView, RecordListView

from .forms import CHECKLIST_PREFIX, VendorForm, WorkOrderChangeForm, WorkOrderForm, WorkPermitForm
from .models import PermitApproval, Vendor, WorkOrder, WorkPermit
from .services import (
    create_vendor,
    create_work_order,
    create_work_permit,
    decide_permit,
    dispatch_work_order_to_vendor,
    update_vendor,
    update_work_order,
)


class VendorFormView(AtomicFormView):
    model = Vendor
    form_class = VendorForm

    def handle_valid_form(self, form, request, create):
        if create:
            vendor = create_vendor(author=request.user, **form.cleaned_data)
            return self.done(vendor, data={"code": vendor.code})
        # The vendor is re-read under its row lock; the form's copy only names it.
        vendor = update_vendor(
            author=request.user, vendor=form.instance.pk, expected_version=form.expected_version, **form.changes()
        )
        return self.done(vendor, created=False, data={"version": vendor.version})


class WorkOrderFormView(AtomicFormView):
    model = WorkOrder
    form_class = WorkOrderForm
    # create_work_order numbers the order under its client's lock, then opens the transaction.
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        workorder = create_work_order(author=request.user, **form.cleaned_data)
        return self.done(workorder, data={"number": workorder.number})


class WorkOrderEditView(WorkOrderFormView):
    """Change a work order's description, vendor, asset, priority or dates; its status moves with buttons.

    ``update_work_order`` takes no lock, only the order's row lock: it runs in the view's transaction.
    """

    form_class = WorkOrderChangeForm
    service_takes_locks = False

    def handle_valid_form(self, form, request, create):
        # The order is re-read under its row lock; the form's copy only names it.
        workorder = update_work_order(
            author=request.user, workorder=form.instance.pk, expected_version=form.expected_version, **form.changes()
        )
        return self.done(workorder, created=False, data={"number": workorder.number, "version": workorder.version})


class WorkPermitFormView(AtomicFormView):
    model = WorkPermit
    form_class = WorkPermitForm
    title = "New work permit"
    template_name = "work_order_management/workpermit_form.html"
    submit_label = "Raise the permit"

    def post(self, request, *args, **kwargs):
        """The "Add a question" button: the form again with one more blank row; nothing is validated or saved."""
        if "add_row" not in request.POST:
            return super().post(request, *args, **kwargs)
        self.check_role(None)
        data = request.POST.copy()
        total = f"{CHECKLIST_PREFIX}-TOTAL_FORMS"
        if data.get(total, "").isdigit():
            data[total] = str(min(int(data[total]) + 1, 100))
        form = self.get_form(data=data, instance=None)
        context = {**self.get_context_data(form, None), "refreshing": True}
        return render(request, self.template_name, context)

    def handle_valid_form(self, form, request, create):
        permit = create_work_permit(author=request.user, **form.cleaned_data)
        return self.done(permit, data={"permit_name": permit.permit_name})


# Pages
# ------------------------------------------------------------------------------


class VendorListView(RecordListView):
    model = Vendor
    columns = ("code", "name", "email", "mobno", "enable")
    filter_fields = ("enable",)
    search_fields = ("code", "name", "email")
    create_url_name = "work_order_management:vendor-create"


class VendorDetailView(RecordDetailView):
    model = Vendor
    update_url_name = "work_order_management:vendor-update"
    fields = ("code", "name", "email", "mobno", "address", "enable", "site")
    list_select_related = ("site",)


class WorkOrderListView(RecordListView):
    model = WorkOrder
    columns = ("number", "description", "workstatus", "priority", "vendor", "site", "plandatetime")
    filter_fields = ("workstatus", "priority")
    search_fields = ("number", "description")
    list_select_related = ("vendor", "site")
    create_url_name = "work_order_management:workorder-create"


class WorkOrderDetailView(RecordDetailView):
    model = WorkOrder
    template_name = "work_order_management/workorder_detail.html"
    update_url_name = "work_order_management:workorder-update"
    fields = ("workstatus", "priority", "description", "vendor", "asset", "site", "plandatetime", "expirydatetime")
    list_select_related = ("vendor", "asset", "site")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        workorder = context["object"]
        context["history"] = workorder.history.select_related("changed_by")
        if can(self.request.user, "work_order_management.change_workorder"):
            context["next_statuses"] = [
                (status, label)
                for status, label in WorkOrder.WorkStatus.choices
                if status in WorkOrder.TRANSITIONS[workorder.workstatus] and status != WorkOrder.WorkStatus.DISPATCHED
            ]
            context["can_dispatch"] = workorder.vendor_id is not None and workorder.can_move_to(
                WorkOrder.WorkStatus.DISPATCHED
            )
        return context


class WorkOrderStatusView(RecordActionView):
    """Move a work order along its workflow (start, complete, close, cancel)."""

    model = WorkOrder

    def perform(self, workorder, data):
        workorder = update_work_order(author=self.request.user, workorder=workorder, workstatus=data.get("workstatus"))
        return workorder, f"Work order {workorder} is now {workorder.get_workstatus_display().lower()}."


class WorkOrderDispatchView(RecordActionView):
    """Hand the work order to its vendor (the dispatch saga)."""

    model = WorkOrder

    def perform(self, workorder, data):
        workorder = dispatch_work_order_to_vendor(author=self.request.user, workorder=workorder)
        return workorder, f"Work order {workorder} is dispatched to {workorder.vendor}."


class WorkPermitListView(RecordListView):
    model = WorkPermit
    columns = ("permit_name", "permit_type", "status", "site", "cuser", "cdtz")
    filter_fields = ("status",)
    search_fields = ("permit_name", "remarks")
    list_select_related = ("permit_type__tatype", "site", "cuser")
    create_url_name = "work_order_management:workpermit-create"


class WorkPermitDetailView(RecordDetailView):
    model = WorkPermit
    template_name = "work_order_management/workpermit_detail.html"
    fields = ("status", "permit_type", "site", "cuser", "cdtz", "remarks")
    list_select_related = ("permit_type__tatype", "site", "cuser")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        permit = context["object"]
        approvals = list(permit.approvals.select_related("people"))
        context["approvals"] = approvals
        context["details"] = permit.details.all()
        # The role in which the person may act on the permit now (verifiers first), or None.
        turn = permit.approvals.turns().filter(people_id=self.request.user.pk)
        context["my_turn"] = turn.values_list("role", flat=True).first()
        return context


class WorkPermitDecisionView(RecordActionView):
    """A verifier's or approver's decision on a permit (``role``, ``decision``, ``remarks``).

    Whoever sees the permit may try; ``decide_permit`` lets only the people appointed to it act.
    """

    model = WorkPermit
    permission_verb = "view"

    def perform(self, permit, data):
        role = data.get("role")
        if role not in PermitApproval.Role.values:
            raise ValidationError({"role": "Say whether you act as VERIFIER or APPROVER."})
        permit = decide_permit(
            author=self.request.user,
            permit=permit,
            decision=data.get("decision"),
            remarks=data.get("remarks", "")[:500],
            role=role,
        )
        return permit, f"Your decision on {permit} is recorded; it is {permit.get_status_display().lower()}."
