"""Refuse a project slug that cannot work, before any file is written.

The slug becomes the project's folder, its cache key prefix and its Celery app name. It must be
a lowercase Python identifier, and it must not shadow a module the project imports: a project
called ``django`` or ``celery`` would make ``import django`` find the project instead.

A refused slug is said in one line. Cookiecutter logs every failed hook with a traceback, so when
the hook runs under the ``cookiecutter`` command line it ends that command the way Ctrl-C at a
prompt would (click prints "Aborted!"); called from Python (pytest-cookies, cruft) it fails the
ordinary way, with exit status 1.
"""

import keyword
import os
import re
import signal
import sys
from pathlib import Path

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


def parent_is_cookiecutter_command():
    """True when this hook's parent process is the ``cookiecutter`` command line."""
    try:
        arguments = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    names = [os.path.basename(argument.decode(errors="replace")) for argument in arguments[:3]]
    return "cookiecutter" in names or names[1:3] == ["-m", "cookiecutter"]


def remove_empty_project_dir():
    """The folder cookiecutter made for the project, if nothing is in it yet."""
    project = Path.cwd()
    if project.is_dir() and not any(project.iterdir()):
        os.chdir(project.parent)
        project.rmdir()


problem = slug_problem(SLUG)
if problem:
    print(f"ERROR: project_slug {SLUG!r} {problem}; choose another, e.g. 'facility_platform'.", file=sys.stderr)
    sys.stderr.flush()
    if parent_is_cookiecutter_command():
        remove_empty_project_dir()
        os.kill(os.getppid(), signal.SIGINT)
    sys.exit(1)
