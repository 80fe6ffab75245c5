"""Settings promises: explicit transactions everywhere, every variable documented."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]
SETTINGS_MODULES = [
    "config.settings.base",
    "config.settings.local",
    "config.settings.test",
    "config.settings.production",
]


def settings_of(module, names=(), **env):
    """Settings of ``module`` in a fresh process with ``env``: the ATOMIC_REQUESTS of each alias and ``names``."""
    script = (
        "import json, sys, django; django.setup(); from django.conf import settings; "
        "values = {name: getattr(settings, name, None) for name in sys.argv[1:]}; "
        "print(json.dumps({'atomic': {a: c.get('ATOMIC_REQUESTS') for a, c in settings.DATABASES.items()}, **values}))"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update({"DJANGO_SETTINGS_MODULE": module, "DJANGO_SECRET_KEY": "s" * 60, **env})
    command = [sys.executable, "-c", script, *names]
    result = subprocess.run(command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_atomic_requests_is_off_on_every_alias(module):
    atomic = settings_of(module)["atomic"]
    assert atomic, "no database configured"
    assert all(value is False for value in atomic.values()), atomic


def test_every_environment_variable_is_documented_in_env_example():
    read = set()
    for path in (PROJECT_DIR / "config").rglob("*.py"):
        read |= set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", path.read_text()))
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (PROJECT_DIR / ".env.example").read_text(), re.MULTILINE))
    assert read, "no variables found"
    assert read - documented == set()
