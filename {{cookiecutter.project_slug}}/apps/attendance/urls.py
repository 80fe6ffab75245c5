from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("events/new/", views.EventFormView.as_view(), name="event-create"),
]
