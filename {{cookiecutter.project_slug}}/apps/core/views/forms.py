"""A base for form views whose writes are one transaction.

Subclasses implement ``handle_valid_form(form, request, create)``, which calls a service
function and returns a JSON response. The base validates the form first (invalid input: 400 with
field errors, nothing written), runs ``handle_valid_form`` inside ``atomic_view_operation``, and
turns constraint conflicts into 409 and rule violations into 400.

The edit form of a versioned record carries the version it was rendered with in a hidden
``version`` field; ``handle_valid_form`` passes ``form.expected_version`` to the service, which
refuses the edit when the row has moved on since (409 with the current values: someone else
saved it while this form was open).
"""

from contextlib import nullcontext

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from apps.core.exceptions import StaleVersionError
from apps.core.models import VersionedModel
from apps.core.services.transaction_manager import atomic_view_operation

from .responses import WRITE_FAILURES, stale_version_payload, write_failure_response


class AtomicFormView(LoginRequiredMixin, View):
    """GET shows the form; POST validates it and runs ``handle_valid_form`` in one transaction."""

    form_class = None
    model = None
    template_name = "core/form.html"
    title = None

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.model, pk=self.kwargs["pk"])

    def get_form_kwargs(self, instance):
        kwargs = {"request": self.request}
        if instance is not None:
            kwargs["instance"] = instance
        return kwargs

    def get_form(self, data=None, instance=None):
        if self.form_class is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a form_class.")
        form = self.form_class(data=data, **self.get_form_kwargs(instance))
        if isinstance(instance, VersionedModel):
            form.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=instance.version, required=False, min_value=1
            )
        form.expected_version = None
        return form

    #: True when the service this view calls takes a distributed lock: the service then opens
    #: the transaction itself, after the lock (``with_lock_and_transaction``), and the view must
    #: not open one around it.
    service_takes_locks = False

    def transaction_boundary(self):
        """The transaction the write runs in: the outermost one of the operation."""
        if self.service_takes_locks:
            return nullcontext()
        return atomic_view_operation(durable=True)

    def get(self, request, *args, **kwargs):
        form = self.get_form(instance=self.get_object())
        title = self.title or f"{self.model._meta.verbose_name}".capitalize()
        return render(request, self.template_name, {"form": form, "title": title})

    def post(self, request, *args, **kwargs):
        instance = self.get_object()
        form = self.get_form(data=request.POST, instance=instance)
        if not form.is_valid():
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        form.expected_version = form.cleaned_data.pop("version", None)
        try:
            with self.transaction_boundary():
                return self.handle_valid_form(form, request, create=instance is None)
        except StaleVersionError as exc:
            return JsonResponse(self.stale_version_payload(form, exc), status=409, encoder=DjangoJSONEncoder)
        except WRITE_FAILURES as exc:
            return write_failure_response(exc, self.model._meta.verbose_name)

    def stale_version_payload(self, form, exc):
        """Why the edit was refused, with the record's current values for the fields of the form."""
        current = exc.record or self.model._default_manager.filter(pk=exc.pk).first()
        # Never a password (not even its hash): only what the form shows.
        names = [
            name
            for name, field in form.fields.items()
            if name != "version" and not isinstance(field.widget, forms.PasswordInput)
        ]
        values = model_to_dict(current, fields=names) if current is not None else None
        if values is not None:
            values = {name: getattr(value, "pk", value) for name, value in values.items()}
        return stale_version_payload(exc, values)

    def handle_valid_form(self, form, request, create):
        raise NotImplementedError(f"{type(self).__name__} must implement handle_valid_form().")
