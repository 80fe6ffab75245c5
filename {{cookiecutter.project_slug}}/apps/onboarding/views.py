from django.http import JsonResponse

from apps.core.access.permissions import STAFF_ONLY
from apps.core.views.forms import AtomicFormView

from .forms import ClientForm, SiteForm, SuperTypeAssistForm, TypeAssistForm
from .models import Bt, SuperTypeAssist, TypeAssist
from .services import create_client, create_site, create_super_type_assist, create_type_assist


def _created(record):
    return JsonResponse({"pk": record.pk, "uuid": str(record.uuid)}, status=201)


class ClientFormView(AtomicFormView):
    model = Bt
    form_class = ClientForm
    title = "New client"
    permission_verb = STAFF_ONLY

    def handle_valid_form(self, form, request, create):
        return _created(create_client(author=request.user, **form.cleaned_data))


class SiteFormView(AtomicFormView):
    model = Bt
    form_class = SiteForm
    title = "New site"

    def handle_valid_form(self, form, request, create):
        return _created(create_site(author=request.user, **form.cleaned_data))


class SuperTypeAssistFormView(AtomicFormView):
    model = SuperTypeAssist
    form_class = SuperTypeAssistForm

    def handle_valid_form(self, form, request, create):
        return _created(create_super_type_assist(author=request.user, **form.cleaned_data))


class TypeAssistFormView(AtomicFormView):
    model = TypeAssist
    form_class = TypeAssistForm

    def handle_valid_form(self, form, request, create):
        return _created(create_type_assist(author=request.user, **form.cleaned_data))
