"""Submitting a form page as a browser does: what it shows is what it sends back.

The edit-page tests start from the form a GET rendered (its values, its hidden ``version``) and
change only what the person in the test changes, so that an untouched field is sent exactly as
it was shown, to the minute for a date-time.
"""

from django import forms

#: The ``Accept`` header Chromium sends for a page.
BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def as_submitted(form):
    """What a browser sends for ``form`` as it was shown: every field with its shown value.

    An unticked box is left out, as a browser leaves it out.
    """
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
            continue
        shown = field.widget.format_value(value)
        data[name] = "" if shown is None else shown
    return data
