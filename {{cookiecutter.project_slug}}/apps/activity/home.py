"""The activity app's part of the home page: the person's job needs today, and overdue ones."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apps.core.access.roles import Role, role_names
from apps.core.access.scoping import scope_queryset
from apps.core.views.home import HomeItem, HomeSection, home_section

from .models import Jobneed


def _item(jobneed):
    when = timezone.localtime(jobneed.plandatetime).strftime("%H:%M")
    return HomeItem(str(jobneed.job), jobneed.get_absolute_url(), f"{when}, {jobneed.get_jobstatus_display()}")


@home_section(order=20)
def todays_jobneeds(request):
    """Open occurrences of the person's own jobs planned for today (or already due)."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    jobneeds = (
        Jobneed.objects.filter(
            job__people=request.user, jobstatus__in=Jobneed.OPEN_STATUSES, plandatetime__lt=start + timedelta(days=1)
        )
        .select_related("job")
        .order_by("plandatetime")[:10]
    )
    return HomeSection(
        "Your job needs today",
        [_item(jobneed) for jobneed in jobneeds],
        empty="No job need of yours is due today.",
        more=("All job needs", reverse("activity:jobneed-list")),
    )


@home_section(order=40)
def overdue_jobneeds(request):
    """For supervisors: occurrences past their expiry that nobody closed."""
    if not (request.user.is_staff or Role.SUPERVISOR in role_names(request.user)):
        return None
    overdue = scope_queryset(
        Jobneed.objects.filter(jobstatus__in=Jobneed.OPEN_STATUSES, expirydatetime__lt=timezone.now()), request.user
    )
    return HomeSection(
        "Overdue job needs",
        [_item(jobneed) for jobneed in overdue.select_related("job").order_by("expirydatetime")[:10]],
        empty="Nothing is overdue.",
        more=("All job needs", reverse("activity:jobneed-list") + "?jobstatus=ASSIGNED"),
    )
