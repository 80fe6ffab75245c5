from django.http import JsonResponse

from apps.core.views.forms import AtomicFormView

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
            status = 201
        else:
            event = check_out(author=request.user, **data)
            status = 200
        return JsonResponse({"pk": event.pk, "uuid": str(event.uuid), "open": event.is_open}, status=status)
