"""Form base: forms know the request, so their choices are limited to the user's client.

Every ``ModelChoiceField`` of an ``AtomicModelForm`` offers only the rows the requesting user may
see (``apps.core.access``): another client's key is refused as an invalid choice. A form built
without a request (a task, a command: the system) is not scoped.

An edit form hands its service only what the person changed (``changes()``), so that a field
they left alone is not written back over a concurrent change to it.

Every text and JSON field of an ``AtomicModelForm`` refuses what the database cannot store (NUL
bytes, lone surrogates: ``apps.core.input.text``) as the field's error; ``BoundedJSONField``
also refuses JSON nested deeper than ``JSON_MAX_DEPTH`` before parsing it.
"""

import json

from django import forms
from django.forms.fields import InvalidJSONInput

from apps.core.access.fields import scope_form_fields
from apps.core.input.bounded_json import JSONTooDeep, check_json_depth
from apps.core.input.text import find_unstorable_text, validate_storable_text

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


class BoundedJSONField(forms.JSONField):
    """A JSON form field that refuses deep nesting and text the database cannot store."""

    default_error_messages = {"too_deep": "JSON nested deeper than %(limit)s levels."}
    default_validators = [validate_storable_text]

    def to_python(self, value):
        if isinstance(value, str) and not self.disabled:
            try:
                check_json_depth(value)
            except JSONTooDeep as exc:
                raise forms.ValidationError(
                    self.error_messages["too_deep"], code="too_deep", params={"limit": exc.limit}
                ) from exc
        return super().to_python(value)

    def bound_data(self, data, initial):
        """The input shown again when the form is re-rendered: never parsed when it is too deep."""
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            check_json_depth(data)
            value = json.loads(data, cls=self.decoder)
        except (ValueError, TypeError):
            return InvalidJSONInput(data)
        # Shown as sent (escapes and all) when it holds text a page cannot carry (a lone surrogate).
        return InvalidJSONInput(data) if find_unstorable_text(value) else value


def refuse_unstorable_text(form):
    """Add ``validate_storable_text`` to every text and JSON field of ``form``."""
    for field in form.fields.values():
        if isinstance(field, (forms.CharField, forms.JSONField)) and validate_storable_text not in field.validators:
            field.validators.append(validate_storable_text)


class AtomicModelForm(forms.ModelForm):
    """A ModelForm that only validates; saving is the service function's job, in its transaction."""

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        use_native_date_inputs(self)
        refuse_unstorable_text(self)
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
