from django.urls import path

from . import views

app_name = "onboarding"

urlpatterns = [
    path("clients/", views.ClientListView.as_view(), name="client-list"),
    path("clients/new/", views.ClientFormView.as_view(), name="client-create"),
    path("clients/<int:pk>/edit/", views.ClientFormView.as_view(), name="client-update"),
    path("sites/", views.SiteListView.as_view(), name="site-list"),
    path("sites/new/", views.SiteFormView.as_view(), name="site-create"),
    path("sites/<int:pk>/edit/", views.SiteFormView.as_view(), name="site-update"),
    path("business-units/<int:pk>/", views.BusinessUnitDetailView.as_view(), name="businessunit-detail"),
    path("super-type-assists/new/", views.SuperTypeAssistFormView.as_view(), name="supertypeassist-create"),
    path("type-assists/new/", views.TypeAssistFormView.as_view(), name="typeassist-create"),
]
