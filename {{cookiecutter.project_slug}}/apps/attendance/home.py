"""The attendance app's part of the home page: whether the person is checked in."""

from django.urls import reverse
from django.utils import timezone

from apps.core.views.home import HomeItem, HomeSection, home_section

from .models import PeopleEventlog


@home_section(order=10)
def attendance(request):
    open_event = PeopleEventlog.objects.filter(people=request.user, punchouttime__isnull=True).first()
    form = reverse("attendance:event-create")
    if open_event is None:
        return HomeSection("Attendance", [HomeItem("Check in", form, "you are not checked in")])
    since = timezone.localtime(open_event.punchintime).strftime("%Y-%m-%d %H:%M")
    return HomeSection("Attendance", [HomeItem("Check out", form, f"checked in since {since}")])
