from apps.core.access.permissions import STAFF_ONLY
from apps.core.views.forms import AtomicFormView
from apps.core.views.pages import RecordDetailView, RecordListView

from .forms import ClientForm, SiteForm, SuperTypeAssistForm, TypeAssistForm
from .models import Bt, SuperTypeAssist, TypeAssist
from .services import create_client, create_site, create_super_type_assist, create_type_assist


class ClientFormView(AtomicFormView):
    model = Bt
    form_class = ClientForm
    title = "New client"
    permission_verb = STAFF_ONLY

    def handle_valid_form(self, form, request, create):
        return self.done(create_client(author=request.user, **form.cleaned_data))


class SiteFormView(AtomicFormView):
    model = Bt
    form_class = SiteForm
    title = "New site"

    def handle_valid_form(self, form, request, create):
        return self.done(create_site(author=request.user, **form.cleaned_data))


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
