"""Top-level URLs: home, the apps' form views, the REST API, the admin{% if cookiecutter.use_prometheus == "y" %} and Prometheus metrics{% endif %}."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

from apps.core.views.home import HomeView
{%- if cookiecutter.use_prometheus == "y" %}
from apps.core.views.metrics import metrics_view
{%- endif %}

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("config.api_router")),
    path("api/v1/auth/token/", obtain_auth_token, name="api-token"),
    path("peoples/", include("apps.peoples.urls")),
    path("onboarding/", include("apps.onboarding.urls")),
    path("activity/", include("apps.activity.urls")),
    path("attendance/", include("apps.attendance.urls")),
    path("work-orders/", include("apps.work_order_management.urls")),
{%- if cookiecutter.use_prometheus == "y" %}
    path("metrics", metrics_view, name="metrics"),
{%- endif %}
]
