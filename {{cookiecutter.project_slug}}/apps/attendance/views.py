from apps.core.views.forms import AtomicFormView
from apps.core.views.pages import RecordDetailView, RecordListView

from .forms import EventForm
from .models import PeopleEventlog
from .services import check_in, check_out


class EventFormView(AtomicFormView):
    """Check a person in (201, a new event) or out (200, the closed event)."""

    model = PeopleEventlog
    form_class = EventForm
    title = "Check in / check out"
    permission_verb = "add"
    # check_in/check_out lock the person, then open the transaction themselves.
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        data = dict(form.cleaned_data)
        event_type = data.pop("event_type")
        if event_type == EventForm.CHECKIN:
            event = check_in(author=request.user, **data)
            created = True
        else:
            event = check_out(author=request.user, **data)
            created = False
        return self.done(event, created=created, data={"open": event.is_open})


class EventListView(RecordListView):
    model = PeopleEventlog
    columns = ("people", "datefor", "punchintime", "punchouttime", "site")
    search_fields = ("people__peoplename", "people__peoplecode", "remarks")
    list_select_related = ("people", "site")
    create_url_name = "attendance:event-create"
    title = "Attendance"


class EventDetailView(RecordDetailView):
    model = PeopleEventlog
    fields = ("people", "datefor", "punchintime", "punchouttime", "startlat", "startlng", "endlat", "endlng", "site")
    list_select_related = ("people", "site")
