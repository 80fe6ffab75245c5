from django.urls import path

from . import views

app_name = "work_order_management"

urlpatterns = [
    path("new/", views.WorkOrderFormView.as_view(), name="workorder-create"),
    path("vendors/new/", views.VendorFormView.as_view(), name="vendor-create"),
    path("vendors/<int:pk>/edit/", views.VendorFormView.as_view(), name="vendor-update"),
    path("permits/new/", views.WorkPermitFormView.as_view(), name="workpermit-create"),
]
