from django.urls import path

from . import views

app_name = "activity"

urlpatterns = [
    path("assets/new/", views.AssetFormView.as_view(), name="asset-create"),
    path("assets/<int:pk>/status/", views.AssetStatusFormView.as_view(), name="asset-status"),
    path("jobs/new/", views.JobFormView.as_view(), name="job-create"),
]
