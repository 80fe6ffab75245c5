"""A base for form views whose writes are one transaction.

Subclasses implement ``handle_valid_form(form, request, create)``, which calls a service
function and returns a JSON response. The base validates the form first (invalid input: 400 with
field errors, nothing written), runs ``handle_valid_form`` inside ``atomic_view_operation``, and
turns constraint conflicts into 409 and rule violations into 400.

Access (``apps.core.access``): the object of an edit route is looked up among the user's
client's rows (another client's is a 404), the form's choices are scoped the same way, and the
view needs the role's model permission: ``add`` to create, ``change`` to edit, or what
``permission_verb`` names (a verb, a full permission name, or ``STAFF_ONLY``).
"""

from contextlib import nullcontext

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from apps.core.access.permissions import permission_name, require
from apps.core.access.scoping import scope_queryset
from apps.core.services.transaction_manager import atomic_view_operation

from .responses import WRITE_FAILURES, write_failure_response


class AtomicFormView(LoginRequiredMixin, View):
    """GET shows the form; POST validates it and runs ``handle_valid_form`` in one transaction."""

    form_class = None
    model = None
    template_name = "core/form.html"
    title = None
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
        return self.form_class(data=data, **self.get_form_kwargs(instance))

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
        instance = self.get_object()
        self.check_role(instance)
        form = self.get_form(instance=instance)
        title = self.title or f"{self.model._meta.verbose_name}".capitalize()
        return render(request, self.template_name, {"form": form, "title": title})

    def post(self, request, *args, **kwargs):
        instance = self.get_object()
        self.check_role(instance)
        form = self.get_form(data=request.POST, instance=instance)
        if not form.is_valid():
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        try:
            with self.transaction_boundary():
                return self.handle_valid_form(form, request, create=instance is None)
        except WRITE_FAILURES as exc:
            return write_failure_response(exc, self.model._meta.verbose_name)

    def handle_valid_form(self, form, request, create):
        raise NotImplementedError(f"{type(self).__name__} must implement handle_valid_form().")
