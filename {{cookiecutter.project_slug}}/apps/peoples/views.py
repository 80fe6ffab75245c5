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
            return self.done(person)
        person = update_person(author=request.user, person=form.instance, **form.cleaned_data)
        return self.done(person, created=False)
