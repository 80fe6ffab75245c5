"""The pieces that keep bad input a 4xx: the JSON depth limit, the text check, the JSON form field."""

import json
import time

import pytest
from django.core.exceptions import ValidationError

from apps.core.api.renderers import EscapingJSONRenderer
from apps.core.api.viewsets import AtomicModelSerializer
from apps.core.forms import BoundedJSONField
from apps.core.input.bounded_json import JSONTooDeep, check_json_depth, loads
from apps.core.input.text import find_unstorable_text, validate_storable_fields


def nested(depth):
    return "[" * depth + "]" * depth


def test_json_at_the_limit_parses_and_one_level_more_is_refused():
    assert loads(nested(5), limit=5) == [[[[[]]]]]
    with pytest.raises(JSONTooDeep):
        loads(nested(6), limit=5)


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"question": "[" * 100 + '\\"{' * 50, "answer": "]]]"})
    check_json_depth(text, limit=2)
    assert loads(text, limit=2)["answer"] == "]]]"


def test_a_document_nested_100000_deep_is_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(JSONTooDeep):
        loads(nested(100_000))
    assert time.perf_counter() - started < 0.5


def test_unstorable_text_is_found_in_nested_values_and_keys():
    assert find_unstorable_text({"a": ["fine", {"b": "x\x00y"}]}) == "Null characters are not allowed."
    assert find_unstorable_text([{"k\ud800": 1}]) == "Surrogate characters are not allowed: U+D800."
    assert find_unstorable_text({"a": ["é", "漢字", "👍"]}) is None


def test_raw_fields_with_unstorable_text_are_refused_by_name():
    with pytest.raises(ValidationError) as refused:
        validate_storable_fields({"remarks": "a\x00", "to_status": "INPROGRESS"})
    assert set(refused.value.error_dict) == {"remarks"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (nested(1000), "JSON nested deeper than 32 levels."),
        ('[{"question": "a\\u0000b"}]', "Null characters are not allowed."),
        ('[{"question": "a\\ud800b"}]', "Surrogate characters are not allowed: U+D800."),
    ],
)
def test_the_json_form_field_refuses_with_a_field_error(value, message):
    with pytest.raises(ValidationError) as refused:
        BoundedJSONField().clean(value)
    assert refused.value.messages == [message]


def test_the_json_form_field_shows_refused_input_again_as_sent():
    field = BoundedJSONField()
    assert str(field.bound_data(nested(1000), None)) == nested(1000)
    assert str(field.bound_data('["a\\ud800"]', None)) == '["a\\ud800"]'
    assert field.bound_data('[{"question": "ok"}]', None) == [{"question": "ok"}]


def test_an_api_error_quoting_a_lone_surrogate_is_written_with_escapes():
    body = EscapingJSONRenderer().render({"identifier": ['"a\ud800" is not a valid choice.']})
    assert json.loads(body) == {"identifier": ['"a\ud800" is not a valid choice.']}
    assert EscapingJSONRenderer().render({"name": "Zoë"}) == '{"name":"Zoë"}'.encode()


def test_a_model_json_field_in_a_serializer_refuses_unstorable_text():
    from apps.core.models import SagaExecutionLog

    class Serializer(AtomicModelSerializer):
        class Meta:
            model = SagaExecutionLog
            fields = ["steps_completed"]

    refused = Serializer(data={"steps_completed": ["fine", {"a\x00b": 1}]})
    assert not refused.is_valid()
    assert refused.errors["steps_completed"] == ["Null characters are not allowed."]
    assert Serializer(data={"steps_completed": ["fine"]}).is_valid()
