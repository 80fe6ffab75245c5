"""The API's JSON parser: DRF's, with a limit on nesting.

DRF's ``JSONParser`` hands the body to ``json.load``, which recurses once per level: a body
nested 100,000 deep raised ``RecursionError``, a 500. ``BoundedJSONParser`` measures the depth
first (``apps.core.input.bounded_json``) and answers 400 past ``JSON_MAX_DEPTH``.
"""

import codecs

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

from apps.core.input.bounded_json import check_json_depth


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            check_json_depth(text)
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
