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
saved it while this form was open). It passes the record's key, not the form's copy, and only
the fields the person changed (``form.changes()``): the service re-reads the row under its lock.
Where a record has fields that are set once (a code, a site), the edit route uses
``edit_form_class``, which leaves them out.

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
from apps.core.input.body import describe_body_limit
from apps.core.models import VersionedModel
from apps.core.services.transaction_manager import atomic_view_operation, count_rejection
from apps.core.services.unique_conflicts import unique_form_errors

from .negotiation import wants_json
from .responses import WRITE_FAILURES, describe_write_failure, stale_version_payload


def _shown(record, name):
    """A field's value as a person reads it: a choice by its label, a related record by its name."""
    display = getattr(record, f"get_{name}_display", None)
    value = display() if callable(display) else getattr(record, name, None)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value


class AtomicFormView(LoginRequiredMixin, View):
    """GET shows the form; POST validates it and runs ``handle_valid_form`` in one transaction."""

    form_class = None
    #: The form of an edit route, when it differs from the creation form; None: ``form_class``.
    edit_form_class = None
    model = None
    template_name = "core/form.html"
    #: The page's title on the creation route; None: "New <record name>".
    title = None
    #: What the record is called on the page and in messages; None: the model's verbose name.
    record_name = None
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

    def get_form_class(self, instance):
        form_class = self.edit_form_class if instance is not None and self.edit_form_class else self.form_class
        if form_class is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a form_class.")
        return form_class

    def get_form(self, data=None, instance=None):
        form = self.get_form_class(instance)(data=data, **self.get_form_kwargs(instance))
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

    def get_record_name(self):
        return str(self.record_name or self.model._meta.verbose_name)

    def get_title(self, instance):
        if instance is not None:
            return f"Edit {self.get_record_name()} {instance}"
        return self.title or f"New {self.get_record_name()}"

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

    @classmethod
    def render_refused_body(cls, request, exc, view_func, args, kwargs):
        """The form again, empty, saying why the body was refused (413; ``apps.core.input.body``).

        The body could not be read, so the input cannot be kept; sign-in, the object's lookup
        (404) and the role (403) are checked as for any POST.
        """
        view = cls(**getattr(view_func, "view_initkwargs", {}))
        view.setup(request, *args, **kwargs)
        if not request.user.is_authenticated:
            return view.handle_no_permission()
        instance = view.get_object()
        view.check_role(instance)
        form = view.get_form(instance=instance)
        detail, _, _ = describe_body_limit(exc)
        form.cleaned_data = {}  # unbound, so never cleaned; the refusal is still the form's error
        form.add_error(None, f"Nothing was saved: {detail}")
        return view.render_form(form, instance, status=413)

    def post(self, request, *args, **kwargs):
        instance = self.get_object()
        self.check_role(instance)
        form = self.get_form(data=request.POST, instance=instance)
        if not form.is_valid():
            count_rejection(f"{type(self).__module__}.{type(self).__qualname__}.post")
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
        record = self.current_record(exc)
        current = [(form.fields[name].label or name, _shown(record, name)) for name in payload.get("current") or ()]
        return self.render_form(form, instance, status=409, current_values=current)

    def current_record(self, exc):
        """The record as it is saved now (the one the refusal read, else read again)."""
        return exc.record or self.model._default_manager.filter(pk=exc.pk).first()

    def stale_version_payload(self, form, exc):
        """Why the edit was refused, with the record's current values for the fields of the form."""
        current = self.current_record(exc)
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
            message = f"{self.get_record_name().capitalize()} “{record}” {verb}."
        messages.success(self.request, message)
        return HttpResponseRedirect(self.get_success_url(record), status=303)
