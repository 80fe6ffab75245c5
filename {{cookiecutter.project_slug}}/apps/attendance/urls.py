from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("events/", views.EventListView.as_view(), name="event-list"),
    path("events/new/", views.EventFormView.as_view(), name="event-create"),
    path("events/<int:pk>/", views.EventDetailView.as_view(), name="event-detail"),
]
