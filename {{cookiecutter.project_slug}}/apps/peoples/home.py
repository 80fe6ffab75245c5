"""The people app's part of the home page: for client admins, their people and sites."""

from django.urls import reverse

from apps.core.access.roles import Role, role_names
from apps.core.views.home import HomeItem, HomeSection, home_section


@home_section(order=60)
def administration(request):
    if not (request.user.is_staff or Role.CLIENT_ADMIN in role_names(request.user)):
        return None
    return HomeSection(
        "Your organisation",
        [
            HomeItem("People", reverse("peoples:people-list")),
            HomeItem("Sites", reverse("onboarding:site-list")),
            HomeItem("Vendors", reverse("work_order_management:vendor-list")),
        ],
    )
