"""URLs of the load test's server: the project's own, plus the bare endpoints it compares them with.

Only ``config.settings.loadtest`` uses this module (``ROOT_URLCONF``); the project's URLs never
include the bare endpoints.
"""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

from .bare_api import BareWorkOrderView, BareWorkPermitView

urlpatterns = [
    path("bench/bare/work-orders/", BareWorkOrderView.as_view(), name="bare-work-orders"),
    path("bench/bare/work-permits/", BareWorkPermitView.as_view(), name="bare-work-permits"),
    *project_urlpatterns,
]
