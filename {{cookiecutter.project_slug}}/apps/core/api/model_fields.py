"""Serializer fields declared by hand that still keep their model field's limits.

A field a ``ModelSerializer`` builds itself gets the model's ``max_length``, choices, bounds and
validators. One declared by hand (to follow a ``source`` into a related row, or as an action's
input) gets none of them unless they are repeated, and a value the database then refuses is a
``DataError``, a 500. ``field_from_model`` builds the field exactly as ``ModelSerializer`` would
from the model field and lets the declaration change only what it needs (``source``,
``required``...).
"""

from rest_framework import serializers

from apps.core.input.text import validate_storable_text


def field_from_model(model, name, **overrides):
    """The serializer field ``ModelSerializer`` would build for ``model.name``, with ``overrides``."""
    model_field = model._meta.get_field(name)
    field_class, kwargs = serializers.ModelSerializer().build_standard_field(name, model_field)
    if "default" in overrides:
        kwargs.pop("required", None)  # a default makes the field optional; DRF refuses both
    kwargs.update(overrides)
    return field_class(**kwargs)


class StorableJSONField(serializers.JSONField):
    """DRF's JSON field, refusing NUL bytes and lone surrogates anywhere in the value (keys too).

    ``CharField`` refuses them itself; a JSON value's strings are checked by nobody, and the
    database then fails on them (``jsonb`` has no NUL), a 500. ``AtomicModelSerializer`` maps every
    model ``JSONField`` to this one.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_storable_text)
