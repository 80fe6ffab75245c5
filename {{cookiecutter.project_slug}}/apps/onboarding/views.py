from django.urls import reverse

from apps.core.access.permissions import STAFF_ONLY, can, permission_name
from apps.core.views.forms import AtomicFormView
from apps.core.views.pages import RecordDetailView, RecordListView

from .forms import ClientForm, SiteForm, SuperTypeAssistForm, TypeAssistForm
from .models import Bt, SuperTypeAssist, TypeAssist
from .services import (
    create_client,
    create_site,
    create_super_type_assist,
    create_type_assist,
    update_business_unit,
)


class ClientFormView(AtomicFormView):
    """Create or edit a client: platform staff only (a client's own people see it, never change it)."""

    model = Bt
    form_class = ClientForm
    record_name = "client"
    permission_verb = STAFF_ONLY

    def get_queryset(self):
        return super().get_queryset().filter(identifier=Bt.Identifier.CLIENT)

    def handle_valid_form(self, form, request, create):
        if create:
            return self.done(create_client(author=request.user, **form.cleaned_data))
        # The client is re-read under its row lock; the form's copy only names it.
        client = update_business_unit(
            author=request.user, bu=form.instance.pk, expected_version=form.expected_version, **form.changes()
        )
        return self.done(client, created=False, data={"version": client.version})


class SiteFormView(AtomicFormView):
    """Create or edit a site of a client; the form's ``client`` is the site's parent."""

    model = Bt
    form_class = SiteForm
    record_name = "site"

    def get_queryset(self):
        return super().get_queryset().filter(identifier=Bt.Identifier.SITE)

    def handle_valid_form(self, form, request, create):
        if create:
            return self.done(create_site(author=request.user, **form.cleaned_data))
        changes = form.changes()
        if "client" in changes:
            changes["parent"] = changes.pop("client")
        # The site is re-read under its row lock; the form's copy only names it.
        site = update_business_unit(
            author=request.user, bu=form.instance.pk, expected_version=form.expected_version, **changes
        )
        return self.done(site, created=False, data={"version": site.version})


class SuperTypeAssistFormView(AtomicFormView):
    model = SuperTypeAssist
    form_class = SuperTypeAssistForm

    def handle_valid_form(self, form, request, create):
        return self.done(create_super_type_assist(author=request.user, **form.cleaned_data))


class TypeAssistFormView(AtomicFormView):
    model = TypeAssist
    form_class = TypeAssistForm

    def handle_valid_form(self, form, request, create):
        return self.done(create_type_assist(author=request.user, **form.cleaned_data))


class ClientListView(RecordListView):
    model = Bt
    columns = ("bucode", "buname", "address", "enable")
    filter_fields = ("enable",)
    search_fields = ("bucode", "buname")
    create_url_name = "onboarding:client-create"
    title = "Clients"

    def get_queryset(self):
        return super().get_queryset().filter(identifier=Bt.Identifier.CLIENT)


class SiteListView(RecordListView):
    model = Bt
    columns = ("bucode", "buname", "parent", "address", "enable")
    filter_fields = ("enable",)
    search_fields = ("bucode", "buname")
    list_select_related = ("parent",)
    create_url_name = "onboarding:site-create"
    title = "Sites"

    def get_queryset(self):
        return super().get_queryset().filter(identifier=Bt.Identifier.SITE)


class BusinessUnitDetailView(RecordDetailView):
    model = Bt
    fields = ("identifier", "bucode", "buname", "parent", "address", "enable")
    list_select_related = ("parent",)

    def get_update_url(self, record):
        """The client's or the site's edit page, under the permission that page needs."""
        if record.is_client:
            name, permission = "onboarding:client-update", ClientFormView.permission_verb
        else:
            name, permission = "onboarding:site-update", "change"
        if not can(self.request.user, permission_name(Bt, permission)):
            return None
        return reverse(name, args=[record.pk])
