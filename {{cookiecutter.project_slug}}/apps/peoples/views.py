from django.http import JsonResponse

from apps.core.views.forms import AtomicFormView

from .forms import PeopleForm
from .models import People
from .services import create_person, update_person


class PeopleFormView(AtomicFormView):
    model = People
    form_class = PeopleForm

    def handle_valid_form(self, form, request, create):
        if create:
            person = create_person(author=request.user, **form.cleaned_data)
            return JsonResponse({"pk": person.pk, "uuid": str(person.uuid)}, status=201)
        # The person is re-read under its row lock; the form's copy only names it.
        person = update_person(
            author=request.user, person=form.instance.pk, expected_version=form.expected_version, **form.cleaned_data
        )
        return JsonResponse({"pk": person.pk, "uuid": str(person.uuid)}, status=200)
