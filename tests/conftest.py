"""Helpers for the template tests: bake a project once per set of options and run its commands.

The baked projects are imported and tested with the interpreter running these tests, so the
baked project's requirements must be installed in it (``make test`` does that).

PostgreSQL and Redis are the ones at ``TEMPLATE_TEST_POSTGRES_URL`` and ``TEMPLATE_TEST_REDIS_URL``
(default: loopback) when they answer; where nothing answers, the run starts embedded ones from the
virtualenv with the baked project's own ``config/embedded_services.py`` and stops them at the end.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEMPLATE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("TEMPLATE_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def load_embedded_services():
    """The baked project's module, loaded from the template folder (it has no template syntax)."""
    path = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "config" / "embedded_services.py"
    spec = importlib.util.spec_from_file_location("template_embedded_services", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def pytest_configure(config):
    """In the controlling process: use the services that answer, start embedded ones for the rest.

    The addresses go into the environment, which the xdist workers (started later) inherit.
    """
    global POSTGRES_URL, REDIS_URL
    if hasattr(config, "workerinput"):
        return
    services = load_embedded_services().TestServices(POSTGRES_URL, REDIS_URL)
    services.start()
    config.stash[TEST_SERVICES] = services
    if services.started:
        # CI cancelling the job (SIGTERM) ends the run like Ctrl-C: pytest_unconfigure stops the servers.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    POSTGRES_URL = os.environ["TEMPLATE_TEST_POSTGRES_URL"] = services.postgres_url
    REDIS_URL = os.environ["TEMPLATE_TEST_REDIS_URL"] = services.redis_url


def pytest_unconfigure(config):
    services = config.stash.get(TEST_SERVICES, None)
    if services is not None:
        services.stop()


def pytest_report_header(config):
    services = config.stash.get(TEST_SERVICES, None)
    return f"test services: {'; '.join(services.description)}" if services is not None else None


def pytest_terminal_summary(terminalreporter, config):
    services = config.stash.get(TEST_SERVICES, None)
    if services is not None:
        terminalreporter.write_line(f"Test services used: {'; '.join(services.description)}")


TEST_SERVICES = pytest.StashKey()

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
