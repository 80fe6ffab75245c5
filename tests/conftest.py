"""Helpers for the template tests: bake a project once per set of options and run its commands.

The baked projects are imported and tested with the interpreter running these tests, so the
baked project's requirements must be installed in it (``make test`` does that).
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEMPLATE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("TEMPLATE_TEST_REDIS_URL", "redis://127.0.0.1:6379")

OPTION_VALUES = {
    "use_tenant_routing": ["y", "n"],
    "use_prometheus": ["y", "n"],
    "include_demo_data": ["y", "n"],
    "init_git": ["y", "n"],
    "open_source_license": ["MIT", "BSD-3-Clause", "Apache-2.0", "Not open source"],
}


def one_option_at_a_time():
    """Every value of every option, each in a bake where everything else is the default."""
    return [
        pytest.param({name: value}, id=f"{name}={value}") for name, values in OPTION_VALUES.items() for value in values
    ]


class BakedProject:
    def __init__(self, path, context):
        self.path = Path(path)
        self.context = context

    def env(self, **overrides):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
        }
        env.pop("PYTEST_XDIST_WORKER", None)
        env.update({key: value for key, value in overrides.items() if value is not None})
        return env

    def run(self, *args, check=True, timeout=900, **env_overrides):
        """Run ``args`` in the project directory; ``python`` means this interpreter."""
        command = [sys.executable if arg == "python" else arg for arg in args]
        result = subprocess.run(
            command, cwd=self.path, env=self.env(**env_overrides), capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
            )
        return result

    def manage(self, *args, **kwargs):
        return self.run("python", "manage.py", *args, **kwargs)


@pytest.fixture(scope="session")
def bake(cookies_session):
    """Bake with ``extra_context`` (once per distinct context) and return the ``BakedProject``."""
    cache = {}

    def _bake(**extra_context):
        key = tuple(sorted(extra_context.items()))
        if key not in cache:
            result = cookies_session.bake(extra_context=extra_context)
            assert result.exception is None, result.exception
            assert result.exit_code == 0
            cache[key] = BakedProject(result.project_path, extra_context)
        return cache[key]

    return _bake


def unique_postgres_url(prefix):
    """A PostgreSQL URL with a database name no other test process uses."""
    return f"{POSTGRES_URL}/{prefix}_{uuid.uuid4().hex[:8]}"
