"""A base for workflow buttons: a POST that runs one service call on one record.

The record is looked up among those the person may see (another client's record is a 404), then
the role's permission is checked (``permission_verb``, 403); the service holds the transaction
(and its lock) and its own rules. A browser is sent back to the record with a message
saying what happened; a JSON caller gets 200 with the record's keys, or the error with its status.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.views import View

from apps.core.access.permissions import permission_name, require
from apps.core.access.scoping import scope_queryset
from apps.core.input.text import validate_storable_fields
from apps.core.services.saga import SagaError

from .negotiation import wants_json
from .responses import WRITE_FAILURES, describe_write_failure


class RecordActionView(LoginRequiredMixin, View):
    """POST only. Subclasses set ``model`` and implement ``perform(record, data)``."""

    model = None
    http_method_names = ["post"]
    #: The model permission the action needs (a verb, a full permission name, or ``STAFF_ONLY``).
    permission_verb = "change"

    def get_record(self):
        records = scope_queryset(self.model._default_manager.all(), self.request.user)
        return get_object_or_404(records, pk=self.kwargs["pk"])

    def perform(self, record, data):
        raise NotImplementedError(f"{type(self).__name__} must implement perform().")

    def post(self, request, *args, **kwargs):
        record = self.get_record()
        require(request.user, permission_name(self.model, self.permission_verb))
        try:
            validate_storable_fields(request.POST)
            result, message = self.perform(record, request.POST)
        except WRITE_FAILURES as exc:
            status, body, headers = describe_write_failure(exc, self.model._meta.verbose_name)
            if wants_json(request):
                return JsonResponse(body, status=status, headers=headers)
            errors = body.get("errors")
            reasons = [m for ms in errors.values() for m in ms] if isinstance(errors, dict) else [body.get("detail")]
            messages.error(request, "Nothing was changed: " + " ".join(str(r) for r in reasons if r))
            return HttpResponseRedirect(record.get_absolute_url(), status=303)
        except SagaError as exc:
            if wants_json(request):
                return JsonResponse({"error": "saga_failed", "saga_id": str(exc.log.saga_id)}, status=409)
            messages.error(request, f"Nothing was changed: the step {exc.log.failed_step} failed and was undone.")
            return HttpResponseRedirect(record.get_absolute_url(), status=303)
        if wants_json(request):
            return JsonResponse({"pk": result.pk, "uuid": str(result.uuid)}, status=200)
        messages.success(request, message)
        return HttpResponseRedirect(result.get_absolute_url(), status=303)
