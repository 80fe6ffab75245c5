"""Hooks of the OpenAPI schema (drf-spectacular's ``PREPROCESSING_HOOKS``).

The monitoring pages are served twice, under the project's URL names and under those the
platform's report reverses, at the same paths: the first route answers, the second is never
reached. The schema describes what answers, so an endpoint whose path and method an earlier
route already serves is left out.
"""

import re

_PARAMETER = re.compile(r"\{[^}]+\}")


def drop_shadowed_routes(endpoints, **kwargs):
    seen, kept = set(), []
    for path, path_regex, method, callback in endpoints:
        key = (_PARAMETER.sub("{}", path), method)
        if key in seen:
            continue
        seen.add(key)
        kept.append((path, path_regex, method, callback))
    return kept
