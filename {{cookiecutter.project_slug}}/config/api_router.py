"""The REST API under /api/v1/: every app lists its viewsets in ``ROUTES`` in its ``api`` module."""

from rest_framework.routers import DefaultRouter

from apps.activity.api import ROUTES as ACTIVITY_ROUTES
from apps.attendance.api import ROUTES as ATTENDANCE_ROUTES
from apps.onboarding.api import ROUTES as ONBOARDING_ROUTES
from apps.peoples.api import ROUTES as PEOPLES_ROUTES
from apps.work_order_management.api import ROUTES as WORK_ORDER_ROUTES

router = DefaultRouter()
for prefix, viewset, basename in [
    *PEOPLES_ROUTES,
    *ONBOARDING_ROUTES,
    *ACTIVITY_ROUTES,
    *ATTENDANCE_ROUTES,
    *WORK_ORDER_ROUTES,
]:
    router.register(prefix, viewset, basename=basename)

app_name = "api"
urlpatterns = router.urls
