"""Refuse a project slug that cannot work, before any file is written.

The slug becomes the project's folder, its cache key prefix and its Celery app name. It must be
a lowercase Python identifier, and it must not shadow a module the project imports: a project
called ``django`` or ``celery`` would make ``import django`` find the project instead.
"""

import keyword
import re
import sys

SLUG = "{{ cookiecutter.project_slug }}"

# Top-level packages the baked project imports or that its tools put on sys.path.
SHADOWED = {
    "apps",
    "celery",
    "config",
    "conftest",
    "django",
    "django_redis",
    "environ",
    "gunicorn",
    "importlinter",
    "kombu",
    "manage",
    "prometheus_client",
    "psycopg",
    "pytest",
    "redis",
    "rest_framework",
    "ruff",
    "test",
    "tests",
    "whitenoise",
}


def slug_problem(slug):
    """Return why ``slug`` is refused, or None when it is fine."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", slug):
        return "must be a lowercase Python identifier (letters, digits, underscores; no leading digit)"
    if keyword.iskeyword(slug):
        return "is a Python keyword"
    if slug in SHADOWED or slug in sys.stdlib_module_names:
        return "would shadow the module of the same name that the project imports"
    return None


problem = slug_problem(SLUG)
if problem:
    print(f"ERROR: project_slug {SLUG!r} {problem}; choose another, e.g. 'facility_platform'.")
    sys.exit(1)
