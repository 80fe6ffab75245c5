from apps.core.views.forms import AtomicFormView
from apps.core.views.pages import RecordDetailView, RecordListView

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
        # The person is re-read under its row lock; the form's copy only names it.
        person = update_person(
            author=request.user, person=form.instance.pk, expected_version=form.expected_version, **form.changes()
        )
        return self.done(person, created=False)


class PeopleListView(RecordListView):
    model = People
    columns = ("peoplecode", "peoplename", "username", "email", "site", "is_active")
    filter_fields = ("is_active",)
    search_fields = ("peoplecode", "peoplename", "username", "email")
    list_select_related = ("site",)
    create_url_name = "peoples:people-create"


class PeopleDetailView(RecordDetailView):
    model = People
    update_url_name = "peoples:people-update"
    fields = ("peoplecode", "username", "email", "mobno", "client", "site", "is_active", "organizational.location")
    list_select_related = ("client", "site", "organizational")
