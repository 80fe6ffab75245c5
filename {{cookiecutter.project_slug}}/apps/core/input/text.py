"""Text the database cannot store: NUL bytes and lone surrogates.

PostgreSQL refuses a NUL in text and in ``jsonb``, and a lone surrogate (``"\\ud800"`` in JSON)
cannot be encoded as UTF-8; either would reach the database driver and fail there, a 500.
``find_unstorable_text`` names the first such character in a value (nested lists and dicts,
keys included) so that a validator can refuse it as the field's error.
"""

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

NUL_MESSAGE = "Null characters are not allowed."
SURROGATE_MESSAGE = "Surrogate characters are not allowed: U+{code:X}."


def _first_surrogate(text):
    for char in text:
        if 0xD800 <= ord(char) <= 0xDFFF:
            return char
    return None


def unstorable_text_message(text):
    """Why ``text`` cannot be stored, or None when it can."""
    if "\x00" in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE.format(code=ord(_first_surrogate(text)))
    return None


def find_unstorable_text(value):
    """The message for the first string in ``value`` (nested lists and dicts too) that cannot be stored."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            message = unstorable_text_message(item)
            if message:
                return message
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return None


@deconstructible
class StorableTextValidator:
    """A form or model validator: refuse NUL bytes and lone surrogates anywhere in the value."""

    code = "unstorable_text"

    def __call__(self, value):
        message = find_unstorable_text(value)
        if message:
            raise ValidationError(message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, StorableTextValidator)


validate_storable_text = StorableTextValidator()


def validate_storable_fields(data):
    """Refuse a request's fields (a ``QueryDict`` or a dict) holding text that cannot be stored.

    For views that read raw fields without a form: the ``ValidationError`` names each such field.
    """
    lists = data.lists() if hasattr(data, "lists") else ((name, [value]) for name, value in data.items())
    errors = {}
    for name, values in lists:
        message = find_unstorable_text(name) or find_unstorable_text(list(values))
        if message:
            errors[name] = [ValidationError(message, code=StorableTextValidator.code)]
    if errors:
        raise ValidationError(errors)
