"""Top-level URLs: home, the apps' form views, the REST API, the admin, transaction monitoring, health
checks{% if cookiecutter.use_prometheus == "y" %} and Prometheus metrics{% endif %}.

The transaction health dashboard lives under the admin's prefix and must come before the admin's
own URLs, which would otherwise answer its path with a 404.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token

from apps.core.api.monitoring import TransactionFailureAPIView, TransactionHealthAPIView
from apps.core.views import errors
from apps.core.views.dashboard import dashboard_view, failure_detail_view
from apps.core.views.health import live_view, ready_view
from apps.core.views.home import HomeView
{%- if cookiecutter.use_prometheus == "y" %}
from apps.core.views.metrics import metrics_view
{%- endif %}
from apps.core.views.transaction_monitoring_dashboard import (
    TransactionFailureDetailView,
    TransactionHealthAPI,
    TransactionHealthDashboard,
)

# Under /api/ Django's own error answers are JSON too (an id of the wrong shape is a 404 there).
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path(f"{settings.ADMIN_URL}transaction-health/", dashboard_view, name="transaction-health-dashboard"),
    path(
        f"{settings.ADMIN_URL}transaction-health/failure/<int:pk>/",
        failure_detail_view,
        name="transaction-failure-page",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/transaction-health/", TransactionHealthAPIView.as_view(), name="transaction-health-api"),
    path("api/transaction-failure/<int:pk>/", TransactionFailureAPIView.as_view(), name="transaction-failure-api"),
    # The same pages under the names the platform's report reverses (the routes above answer first).
    path(
        f"{settings.ADMIN_URL}transaction-health/",
        TransactionHealthDashboard.as_view(),
        name="transaction_health_dashboard",
    ),
    path("api/transaction-health/", TransactionHealthAPI.as_view(), name="transaction_health_api"),
    path(
        "api/transaction-failure/<int:id>/", TransactionFailureDetailView.as_view(), name="transaction_failure_detail"
    ),
    re_path(r"^health/live/?$", live_view, name="health-live"),
    re_path(r"^health/ready/?$", ready_view, name="health-ready"),
    path("api/v1/", include("config.api_router")),
    path("api/v1/auth/token/", obtain_auth_token, name="api-token"),
    # The OpenAPI schema, and Swagger UI reading it (its script a file of its own: no inline script).
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="core/api_docs.html")),
        name="api-docs",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("peoples/", include("apps.peoples.urls")),
    path("onboarding/", include("apps.onboarding.urls")),
    path("activity/", include("apps.activity.urls")),
    path("attendance/", include("apps.attendance.urls")),
    path("work-orders/", include("apps.work_order_management.urls")),
{%- if cookiecutter.use_prometheus == "y" %}
    path("metrics", metrics_view, name="metrics"),
{%- endif %}
]
