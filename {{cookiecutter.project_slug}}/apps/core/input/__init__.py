"""Limits on what a caller may send, so that bad input is a 4xx and never a 500.

* ``body``: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (or with more fields than
  ``DATA_UPLOAD_MAX_NUMBER_FIELDS``) is answered 413 by ``RequestBodyLimitMiddleware`` before any
  view runs; a form view shows its form again with the reason.
* ``bounded_json``: JSON nested deeper than ``JSON_MAX_DEPTH`` is refused before it is parsed
  (Python's parser would recurse until ``RecursionError``).
* ``text``: text the database cannot store (NUL bytes, lone surrogates) is refused as a field
  error, also inside JSON values.
"""
