"""Every serializer of the API keeps the limits of the model field its input ends up in.

A field declared by hand (``location = serializers.CharField(source="organizational.location")``)
loses the model's ``max_length``, choices and bounds, and a value the database then refuses is a
``DataError``: a 500 instead of a 400 naming the field. This walks every serializer the apps' API
modules define, follows each writable field's ``source`` to its model field, and compares the
field with the one ``ModelSerializer`` would build from the model: a limit may be stricter, never
looser or missing. A text field of an action's input (no model behind it) must be bounded.
"""

import importlib
import inspect

import pytest
from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers

API_MODULES = [
    "apps.peoples.api",
    "apps.onboarding.api",
    "apps.activity.api",
    "apps.attendance.api",
    "apps.work_order_management.api",
]
#: Fields whose input is never stored as given, with the reason.
NOT_STORED_AS_GIVEN = {
    ("PeopleSerializer", "password"): "hashed before it is stored",
    ("PeopleSerializer", "old_password"): "compared with the stored hash, never stored",
    ("PasswordSerializer", "password"): "hashed before it is stored",
    ("PasswordSerializer", "old_password"): "compared with the stored hash, never stored",
}


def api_serializers():
    found = {}
    for name in API_MODULES:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, serializers.Serializer) and obj.__module__ == name:
                found[obj.__name__] = obj
    return found


def _model_field(model, source):
    """The model field a dotted ``source`` ends in (through one-to-one and foreign keys), or None."""
    field = None
    for part in source.split("."):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


def _writable_fields(serializer_class):
    """``(name, field, model)`` of each writable field; a nested list's items come with their own model."""
    serializer = serializer_class(context={})
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListSerializer):
            yield from ((f"{name}[].{n}", f, m) for n, f, m in _writable_fields(type(field.child)))
            continue
        yield name, field, model


def _limits(field):
    return {
        "max_length": getattr(field, "max_length", None),
        "min_value": getattr(field, "min_value", None),
        "max_value": getattr(field, "max_value", None),
        "max_digits": getattr(field, "max_digits", None),
        "choices": set(field.choices) if isinstance(field, serializers.ChoiceField) else None,
    }


def _looser(declared, built):
    """The limits of the model's field that ``declared`` loosens or lacks."""
    problems = []
    for name in ("max_length", "max_value", "max_digits"):
        if built[name] is not None and (declared[name] is None or declared[name] > built[name]):
            problems.append(f"{name} {declared[name]} (model: {built[name]})")
    if built["min_value"] is not None and (declared["min_value"] is None or declared["min_value"] < built["min_value"]):
        problems.append(f"min_value {declared['min_value']} (model: {built['min_value']})")
    if built["choices"] is not None and (declared["choices"] is None or not declared["choices"] <= built["choices"]):
        problems.append("choices beyond the model's")
    return problems


SERIALIZERS = api_serializers()


def test_the_walk_finds_the_api_s_serializers():
    assert {"PeopleSerializer", "WorkPermitSerializer", "AssetStatusSerializer", "PunchSerializer"} <= set(SERIALIZERS)


@pytest.mark.parametrize("serializer_class", SERIALIZERS.values(), ids=SERIALIZERS.keys())
def test_every_writable_field_keeps_its_model_field_s_limits(serializer_class):
    problems = []
    for name, field, model in _writable_fields(serializer_class):
        if (serializer_class.__name__, name) in NOT_STORED_AS_GIVEN or isinstance(field, serializers.RelatedField):
            continue
        model_field = _model_field(model, field.source) if model is not None else None
        if model_field is None:
            if isinstance(field, serializers.CharField) and field.max_length is None:
                problems.append(f"{name}: text without a max_length and without a model field behind it")
            continue
        if model_field.is_relation:
            continue
        _, kwargs = serializers.ModelSerializer().build_standard_field(model_field.name, model_field)
        built = {
            "max_length": kwargs.get("max_length"),
            "min_value": kwargs.get("min_value"),
            "max_value": kwargs.get("max_value"),
            "max_digits": kwargs.get("max_digits"),
            "choices": {value for value, _ in kwargs["choices"]} if "choices" in kwargs else None,
        }
        problems.extend(f"{name}: {problem}" for problem in _looser(_limits(field), built))
    assert problems == []


def test_a_char_field_s_max_length_is_its_model_field_s():
    """The example of the issue: a person's location is 120 characters at most, as in the model."""
    field = SERIALIZERS["PeopleSerializer"](context={}).fields["location"]
    assert field.max_length == 120
