"""A base for form views whose writes are one transaction.

Subclasses implement ``handle_valid_form(form, request, create)``, which calls a service
function and returns ``self.done(record)``. The base validates the form first (invalid input
writes nothing), runs ``handle_valid_form`` inside ``atomic_view_operation``, and turns
constraint conflicts into 409, rule violations into 400 and a busy lock into 409/503.

The same view serves two kinds of caller:

* a browser (it names ``text/html`` in ``Accept``) gets pages: success redirects to the record
  (post/redirect/get) with a message; an error shows the form again with the input kept and each
  error next to its field, answered 400/409/503 so that a 2xx always means "committed";
* any other caller (``Accept: application/json``, ``fetch``/XHR, scripts) gets JSON: 201/200 with
  the record's keys, 400 with field errors, 409 on a conflict.

A duplicate (a unique constraint, found by the form's own check or by the database) is 409 for
both, with the error by the field(s) of the constraint: ``{"errors": {field: [message]}}``.

An edit form of a versioned record carries the version it was rendered with in a hidden
``version`` field; ``handle_valid_form`` passes ``form.expected_version`` to the service, which
refuses the edit when the row has moved on since (409, with the current values: someone else
saved it while this form was open).

Access (``apps.core.access``): the object of an edit route is looked up among the user's
client's rows (another client's is a 404), the form's choices are scoped the same way, and the
view needs the role's model permission: ``add`` to create, ``change`` to edit, or what
``permission_verb`` names (a verb, a full permission name, or ``STAFF_ONLY``).
"""

from contextlib import nullcontext

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from apps.core.access.permissions import permission_name, require
from apps.core.access.scoping import scope_queryset
from apps.core.exceptions import StaleVersionError
from apps.core.models import VersionedModel
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.services.unique_conflicts import unique_form_errors

from .responses import WRITE_FAILURES, describe_write_failure, stale_version_payload


def wants_json(request):
    """True unless the caller is a browser asking for a page.

    Browsers always name ``text/html`` in ``Accept``; ``fetch``, XHR, curl and API clients do not
    (or prefer JSON). htmx requests are page requests: they swap HTML fragments.
    """
    if getattr(request, "htmx", False):
        return False
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    if "text/html" not in request.headers.get("Accept", ""):
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


class AtomicFormView(LoginRequiredMixin, View):
    """GET shows the form; POST validates it and runs ``handle_valid_form`` in one transaction."""

    form_class = None
    model = None
    template_name = "core/form.html"
    title = None
    #: Label of the submit button.
    submit_label = "Save"
    #: The permission the view needs; None: ``add`` on a create route, ``change`` on an edit route.
    permission_verb = None

    def get_queryset(self):
        """The rows this view may reach: the model's, limited to the user's client."""
        return scope_queryset(self.model._default_manager.all(), self.request.user)

    def get_object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def check_role(self, instance):
        """403 unless the user's role allows this view (checked after the object was found: 404 first)."""
        verb = self.permission_verb or ("add" if instance is None else "change")
        require(self.request.user, permission_name(self.model, verb))

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

    def get_title(self, instance):
        if self.title:
            return self.title
        name = self.model._meta.verbose_name
        return f"Edit {name}" if instance is not None else f"New {name}"

    def get_context_data(self, form, instance):
        return {"form": form, "title": self.get_title(instance), "object": instance, "submit_label": self.submit_label}

    def render_form(self, form, instance, status=200, headers=None, **extra_context):
        context = {**self.get_context_data(form, instance), **extra_context}
        response = render(self.request, self.template_name, context, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    def get(self, request, *args, **kwargs):
        instance = self.get_object()
        self.check_role(instance)
        return self.render_form(self.get_form(instance=instance), instance)

    def post(self, request, *args, **kwargs):
        instance = self.get_object()
        self.check_role(instance)
        form = self.get_form(data=request.POST, instance=instance)
        if not form.is_valid():
            if unique_form_errors(form):  # a duplicate is a conflict, whoever finds it: as the database's
                if wants_json(request):
                    return JsonResponse(
                        {"errors": {name: list(errors) for name, errors in form.errors.items()}}, status=409
                    )
                return self.render_form(form, instance, status=409)
            if wants_json(request):
                return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
            return self.render_form(form, instance, status=400)
        form.expected_version = form.cleaned_data.pop("version", None)
        try:
            with self.transaction_boundary():
                return self.handle_valid_form(form, request, create=instance is None)
        except StaleVersionError as exc:
            return self.stale_version(exc, form, instance)
        except WRITE_FAILURES as exc:
            return self.write_failed(exc, form, instance)

    def write_failed(self, exc, form, instance):
        """Nothing was written: say why, as JSON or as the form with the reasons by their fields."""
        status, body, headers = describe_write_failure(exc, self.model._meta.verbose_name, set(form.fields))
        if wants_json(self.request):
            return JsonResponse(body, status=status, headers=headers)
        errors = body.get("errors")
        if isinstance(errors, dict):
            for field, field_messages in errors.items():
                form.add_error(field if field in form.fields else None, field_messages)
        else:
            form.add_error(None, body.get("detail") or "Nothing was saved; please try again.")
        return self.render_form(form, instance, status=status, headers=headers)

    def stale_version(self, exc, form, instance):
        """Someone saved the record while this form was open: 409, nothing written.

        A JSON caller gets the current values; a browser gets its own input back with the current
        values beside it, and the form now carries the current version, so saving again is a
        deliberate choice to overwrite.
        """
        payload = self.stale_version_payload(form, exc)
        if wants_json(self.request):
            return JsonResponse(payload, status=409, encoder=DjangoJSONEncoder)
        data = form.data.copy()
        data["version"] = payload["version"]
        form = self.get_form(data=data, instance=instance)
        form.is_valid()
        form.add_error(None, str(exc))
        current = [(form.fields[name].label or name, value) for name, value in (payload.get("current") or {}).items()]
        return self.render_form(form, instance, status=409, current_values=current)

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

    def get_success_url(self, record):
        """Where a browser goes after a successful write: the record's page, else the home page."""
        get_absolute_url = getattr(record, "get_absolute_url", None)
        return get_absolute_url() if get_absolute_url else reverse("home")

    def done(self, record, *, created=True, data=None, message=None):
        """The answer to a committed write of ``record``.

        A browser is redirected (303, post/redirect/get) to the record with a message; a JSON
        caller gets 201 (created) or 200 with ``{"pk", "uuid"}`` and ``data``.
        """
        if wants_json(self.request):
            body = {"pk": record.pk, "uuid": str(record.uuid), **(data or {})}
            return JsonResponse(body, status=201 if created else 200)
        if message is None:
            verb = "created" if created else "saved"
            message = f"{self.model._meta.verbose_name.capitalize()} “{record}” {verb}."
        messages.success(self.request, message)
        return HttpResponseRedirect(self.get_success_url(record), status=303)
