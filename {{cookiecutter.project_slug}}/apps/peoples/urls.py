from django.urls import path

from . import views

app_name = "peoples"

urlpatterns = [
    path("people/", views.PeopleListView.as_view(), name="people-list"),
    path("people/new/", views.PeopleFormView.as_view(), name="people-create"),
    path("people/<int:pk>/", views.PeopleDetailView.as_view(), name="people-detail"),
    path("people/<int:pk>/edit/", views.PeopleFormView.as_view(), name="people-update"),
]
