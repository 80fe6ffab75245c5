from django.urls import path

from . import views

app_name = "activity"

urlpatterns = [
    path("assets/", views.AssetListView.as_view(), name="asset-list"),
    path("assets/new/", views.AssetFormView.as_view(), name="asset-create"),
    path("assets/<int:pk>/", views.AssetDetailView.as_view(), name="asset-detail"),
    path("assets/<int:pk>/edit/", views.AssetFormView.as_view(), name="asset-update"),
    path("assets/<int:pk>/status/", views.AssetStatusFormView.as_view(), name="asset-status"),
    path("jobs/", views.JobListView.as_view(), name="job-list"),
    path("jobs/new/", views.JobFormView.as_view(), name="job-create"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/edit/", views.JobEditView.as_view(), name="job-update"),
    path("jobneeds/", views.JobneedListView.as_view(), name="jobneed-list"),
    path("jobneeds/<int:pk>/", views.JobneedDetailView.as_view(), name="jobneed-detail"),
    path("jobneeds/<int:pk>/transition/", views.JobneedTransitionView.as_view(), name="jobneed-transition"),
]
