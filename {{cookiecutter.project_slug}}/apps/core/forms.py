"""Form base: forms know the request, so their choices are limited to the user's client.

Every ``ModelChoiceField`` of an ``AtomicModelForm`` offers only the rows the requesting user may
see (``apps.core.access``): another client's key is refused as an invalid choice. A form built
without a request (a task, a command: the system) is not scoped.

An edit form hands its service only what the person changed (``changes()``), so that a field
they left alone is not written back over a concurrent change to it.
"""

from django import forms

from apps.core.access.fields import scope_form_fields

#: Fields whose shown value may be coarser than the stored one (a time to the minute).
TEMPORAL_FIELDS = (forms.DateTimeField, forms.DateField, forms.TimeField)

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

    def changes(self):
        """The cleaned values of the fields the person changed, by name.

        A field counts as changed when its value differs from the record's as the form showed
        it: a date-time shown to the minute and sent back untouched is not a change, even when
        the stored value has seconds. The hidden ``version`` is the edit's precondition, not a
        change.
        """
        changed = {}
        for name in self.changed_data:
            if name == "version" or name not in self.cleaned_data:
                continue
            if isinstance(self.fields[name], TEMPORAL_FIELDS) and self._shown_unchanged(name):
                continue
            changed[name] = self.cleaned_data[name]
        return changed

    def _shown_unchanged(self, name):
        """True when the submitted value of ``name`` reads as the record's value did in the form."""
        field = self.fields[name]

        def shown(value):
            return field.widget.format_value(field.prepare_value(value))

        return shown(self[name].initial) == shown(self.cleaned_data[name])

    def save(self, commit=True):
        raise NotImplementedError("Save through the app's service function, which holds the transaction.")
