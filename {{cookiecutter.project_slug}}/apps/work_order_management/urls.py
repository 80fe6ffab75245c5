from django.urls import path

from . import views

app_name = "work_order_management"

urlpatterns = [
    path("", views.WorkOrderListView.as_view(), name="workorder-list"),
    path("new/", views.WorkOrderFormView.as_view(), name="workorder-create"),
    path("<int:pk>/", views.WorkOrderDetailView.as_view(), name="workorder-detail"),
    path("<int:pk>/edit/", views.WorkOrderEditView.as_view(), name="workorder-update"),
    path("<int:pk>/status/", views.WorkOrderStatusView.as_view(), name="workorder-status"),
    path("<int:pk>/dispatch/", views.WorkOrderDispatchView.as_view(), name="workorder-dispatch"),
    path("vendors/", views.VendorListView.as_view(), name="vendor-list"),
    path("vendors/new/", views.VendorFormView.as_view(), name="vendor-create"),
    path("vendors/<int:pk>/", views.VendorDetailView.as_view(), name="vendor-detail"),
    path("vendors/<int:pk>/edit/", views.VendorFormView.as_view(), name="vendor-update"),
    path("permits/", views.WorkPermitListView.as_view(), name="workpermit-list"),
    path("permits/new/", views.WorkPermitFormView.as_view(), name="workpermit-create"),
    path("permits/<int:pk>/", views.WorkPermitDetailView.as_view(), name="workpermit-detail"),
    path("permits/<int:pk>/decide/", views.WorkPermitDecisionView.as_view(), name="workpermit-decide"),
]
