"""The bare endpoints the load test compares the API with: the same writes, none of the machinery.

They validate and answer with the API's own serializers, so request and response are the same
as the real endpoints'; in between they write with ``apps.benchmarks.bare`` in one plain
``transaction.atomic``: no atomic view base, no ``atomic_view_operation`` (no monitoring), no
distributed lock. They are mounted only by ``config.settings.loadtest`` (``apps.benchmarks.urls``),
never by the project's own URLs.
"""

from django.db import transaction
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.services.transaction_manager import get_current_db_name
from apps.work_order_management.api import WorkOrderSerializer, WorkPermitSerializer

from . import bare


class BareWorkOrderView(APIView):
    http_method_names = ["post"]

    def post(self, request):
        serializer = WorkOrderSerializer(data=request.data, context={"request": request, "view": self})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("workstatus", None)
        site = fields.pop("site", None) or request.user.site
        with transaction.atomic(using=get_current_db_name()):
            workorder = bare.create_work_order(author=request.user, site=site, **fields)
        return Response(
            WorkOrderSerializer(workorder, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class BareWorkPermitView(APIView):
    http_method_names = ["post"]

    def post(self, request):
        serializer = WorkPermitSerializer(data=request.data, context={"request": request, "view": self})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        details = [dict(item) for item in fields.pop("details")]
        with transaction.atomic(using=get_current_db_name()):
            permit = bare.create_work_permit(author=request.user, details=details, **fields)
            data = WorkPermitSerializer(permit, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)
