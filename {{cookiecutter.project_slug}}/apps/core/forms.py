"""Form base: forms know the request, so their choices are limited to the user's client.

Every ``ModelChoiceField`` of an ``AtomicModelForm`` offers only the rows the requesting user may
see (``apps.core.access``): another client's key is refused as an invalid choice. A form built
without a request (a task, a command: the system) is not scoped.
"""

from django import forms

from apps.core.access.fields import scope_form_fields

#: How browsers want date and time values in their native pickers.
DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def use_native_date_inputs(form):
    """Give date and date-time fields the browser's own pickers (``type="date"``/``datetime-local``)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.DateTimeInput):
            widget.input_type = "datetime-local"
            widget.format = DATETIME_LOCAL_FORMAT
        elif isinstance(widget, forms.DateInput):
            widget.input_type = "date"
            widget.format = "%Y-%m-%d"


class AtomicModelForm(forms.ModelForm):
    """A ModelForm that only validates; saving is the service function's job, in its transaction."""

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        use_native_date_inputs(self)
        if request is not None:
            scope_form_fields(self.fields, request.user)

    def save(self, commit=True):
        raise NotImplementedError("Save through the app's service function, which holds the transaction.")
