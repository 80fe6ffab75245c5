"""The monitoring views under the names and in the module the platform's report imports them from.

The report wires them as ``TransactionHealthDashboard``, ``TransactionHealthAPI`` and
``TransactionFailureDetailView`` (the last with the record's number as ``id``). They are the
project's own views (``dashboard.dashboard_view`` and the JSON API of ``apps.core.api.monitoring``),
so a URL configuration copied from the report serves the same pages.
"""

from django.views import View

from apps.core.api.monitoring import TransactionFailureAPIView, TransactionHealthAPIView

from .dashboard import dashboard_view

__all__ = ["TransactionFailureDetailView", "TransactionHealthAPI", "TransactionHealthDashboard"]


class TransactionHealthDashboard(View):
    """The staff dashboard (``dashboard_view``) as a class-based view."""

    http_method_names = ["get", "head", "options"]

    def get(self, request, *args, **kwargs):
        return dashboard_view(request)


TransactionHealthAPI = TransactionHealthAPIView


class TransactionFailureDetailView(TransactionFailureAPIView):
    """One failure record as JSON; the record's number comes as ``id`` (the report's URL) or ``pk``."""

    def get(self, request, pk=None, id=None):  # noqa: A002 - the report's URL names it "id"
        return super().get(request, pk=pk if pk is not None else id)
