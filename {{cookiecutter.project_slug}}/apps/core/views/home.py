from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

FORM_LINKS = [
    ("New client", "onboarding:client-create"),
    ("New site", "onboarding:site-create"),
    ("New type assist", "onboarding:typeassist-create"),
    ("New person", "peoples:people-create"),
    ("New asset", "activity:asset-create"),
    ("New PPM job", "activity:job-create"),
    ("Check in / out", "attendance:event-create"),
    ("New vendor", "work_order_management:vendor-create"),
    ("New work order", "work_order_management:workorder-create"),
    ("New work permit", "work_order_management:workpermit-create"),
]


class HomeView(TemplateView):
    """A start page that links to the form views that exist in this project."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        links = []
        for label, name in FORM_LINKS:
            try:
                links.append((label, reverse(name)))
            except NoReverseMatch:
                continue
        return {**super().get_context_data(**kwargs), "forms": links}
