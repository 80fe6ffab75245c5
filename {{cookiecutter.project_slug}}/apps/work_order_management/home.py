"""The work-order app's part of the home page: permits waiting for the person, open work orders."""

from django.urls import reverse
from django.utils import timezone

from apps.core.access.roles import Role, role_names
from apps.core.access.scoping import scope_queryset
from apps.core.views.home import HomeItem, HomeSection, home_section

from .models import PermitApproval, WorkOrder


@home_section(order=30)
def permits_waiting(request):
    """Permits on which it is the person's turn: verifiers first, approvers once verified."""
    turns = (
        PermitApproval.objects.turns()
        .filter(people=request.user)
        .select_related("permit")
        .order_by("permit__cdtz")[:10]
    )
    if not turns:
        return None
    return HomeSection(
        "Permits waiting for you",
        [
            HomeItem(str(turn.permit), turn.permit.get_absolute_url(), f"to {turn.get_role_display().lower()}")
            for turn in turns
        ],
    )


@home_section(order=50)
def open_work_orders(request):
    """For supervisors: work orders not finished yet, overdue ones first."""
    if not (request.user.is_staff or Role.SUPERVISOR in role_names(request.user)):
        return None
    finished = (WorkOrder.WorkStatus.COMPLETED, WorkOrder.WorkStatus.CLOSED, WorkOrder.WorkStatus.CANCELLED)
    orders = scope_queryset(WorkOrder.objects.exclude(workstatus__in=finished), request.user).order_by(
        "expirydatetime", "-cdtz"
    )[:10]
    now = timezone.now()

    def note(order):
        overdue = order.expirydatetime is not None and order.expirydatetime < now
        return order.get_workstatus_display() + (", overdue" if overdue else "")

    return HomeSection(
        "Open work orders",
        [HomeItem(str(order), order.get_absolute_url(), note(order)) for order in orders],
        empty="No open work order.",
        more=("All work orders", reverse("work_order_management:workorder-list")),
    )
