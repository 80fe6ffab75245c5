"""JSON parsing with a limit on nesting.

``json.loads`` recurses once per nested array or object, so a body of 100,000 ``[`` ends in a
``RecursionError`` deep inside the parser. The depth is measured first, by a linear scan that
skips string contents, and a document deeper than the limit is refused before it is parsed.
"""

import json
import re

from django.conf import settings

#: Used where ``settings.JSON_MAX_DEPTH`` is not set: far deeper than any document this API takes.
DEFAULT_MAX_DEPTH = 32

# A complete string (its escapes included) or one bracket; brackets inside strings are skipped.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class JSONTooDeep(ValueError):
    """A JSON document nested deeper than the limit."""

    def __init__(self, limit):
        self.limit = limit
        super().__init__(f"JSON nested deeper than {limit} levels.")


def max_json_depth():
    return getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def check_json_depth(text, limit=None):
    """Raise ``JSONTooDeep`` when ``text`` opens more than ``limit`` arrays or objects at once."""
    limit = max_json_depth() if limit is None else limit
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                raise JSONTooDeep(limit)
        elif token in ("]", "}"):
            depth -= 1


def loads(text, *, limit=None, **kwargs):
    """``json.loads`` that refuses (``JSONTooDeep``, a ``ValueError``) a document deeper than ``limit``."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode()
    check_json_depth(text, limit)
    return json.loads(text, **kwargs)
