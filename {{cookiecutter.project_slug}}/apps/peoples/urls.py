from django.urls import path

from .views import PeopleFormView

app_name = "peoples"

urlpatterns = [
    path("people/new/", PeopleFormView.as_view(), name="people-create"),
    path("people/<int:pk>/edit/", PeopleFormView.as_view(), name="people-update"),
]
