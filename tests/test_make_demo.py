"""``make demo`` may be run again: it bakes once, keeps the project's changes, .env and login."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

from .conftest import TEMPLATE_DIR

VENV = os.path.dirname(os.path.dirname(sys.executable))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make(*targets, build, **variables):
    arguments = [f"BUILD={build}", f"VENV={VENV}", *(f"{name}={value}" for name, value in variables.items())]
    return ["make", "--no-print-directory", "-C", str(TEMPLATE_DIR), *targets, *arguments]


def run_demo(build, log):
    """Run ``make demo`` until it serves, then stop it; return what it printed."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS"))}
    with open(log, "w") as output:
        process = subprocess.Popen(
            make("demo", build=build, DEMO_ADDRESS=f"127.0.0.1:{port}"),
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            assert process.poll() is None, f"make demo ended early:\n{log.read_text()[-6000:]}"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError(f"make demo did not serve within 600 s:\n{log.read_text()[-6000:]}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    return log.read_text()


def printed_password(output):
    """The staff login's password in ``create_demo_staff``'s table (username, role, client, password)."""
    return re.search(r"^\s*demo\.admin\s+Platform staff\s+all\s+(\S+)\s*$", output, re.MULTILINE).group(1)


def test_make_demo_again_keeps_changes_env_and_password_and_clean_starts_over(tmp_path):
    build = tmp_path / "build"
    project = build / "facility_platform"
    first = run_demo(build, tmp_path / "first.log")
    assert f"cd {project} to work on it" in first
    assert "Serving on http://127.0.0.1:" in first

    views = project / "apps/activity/views.py"
    views.write_text(views.read_text() + "# a line the developer added\n")
    env_file = (project / ".env").read_text()

    second = run_demo(build, tmp_path / "second.log")
    assert "Baked facility_platform" not in second, "the project is baked once"
    assert views.read_text().endswith("# a line the developer added\n")
    assert (project / ".env").read_text() == env_file
    assert printed_password(second) == printed_password(first)

    subprocess.run(make("clean", build=build), check=True, capture_output=True, timeout=120)
    assert not build.exists()


def test_the_default_demo_points_to_the_project_in_build():
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "-C", str(TEMPLATE_DIR), "demo", f"VENV={VENV}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "cd build/facility_platform to work on it" in dry_run.stdout
