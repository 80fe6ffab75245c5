"""The README's tenant routing section, run as written: from zero to two tenants on PostgreSQL.

The commands of the section are taken from the baked README and run in a shell, unchanged but
for the database names (this test's own), the PostgreSQL server (the one the template tests use)
and the port the server listens on.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse

from .conftest import POSTGRES_URL

HEADING = "## Tenant routing: from zero to two tenants"


def section_blocks(readme):
    section = readme.split(HEADING, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the section's commands ended early (exit {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


def token_status(port, host, username, password):
    result = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Host: {host}:8000"]
        + ["-d", f"username={username}", "-d", f"password={password}", f"http://127.0.0.1:{port}/api/v1/auth/token/"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout


def test_the_tenant_section_takes_a_new_user_from_zero_to_two_tenants(bake, tmp_path):
    project = bake(use_tenant_routing="y")
    setup, check = section_blocks((project.path / "README.md").read_text())
    server = urlparse(POSTGRES_URL)
    suffix = uuid.uuid4().hex[:8]
    databases = {f"facility_platform_{tenant}": f"readme_{tenant}_{suffix}" for tenant in ("a", "b")}
    port = free_port()

    script = setup.replace(
        "-h 127.0.0.1 -U postgres", f"-h {server.hostname} -p {server.port or 5432} -U {server.username}"
    )
    script = script.replace("postgres://postgres@127.0.0.1:5432", POSTGRES_URL)
    for name, own_name in databases.items():
        script = script.replace(name, own_name)
    assert script.rstrip().endswith("python manage.py runserver")
    script = f"set -e\n{script.rstrip()} 127.0.0.1:{port} --noreload\n"

    env = project.env(PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}")
    log = tmp_path / "section.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=project.path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            wait_for(port, process, timeout=600)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{log.read_text()[-6000:]}") from None
        for line in check.strip().splitlines():
            command, expected = line.rsplit("#", 1)
            command = command.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
            answer = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30).stdout
            assert answer.strip() == expected.strip(), (line, answer, log.read_text()[-3000:])

        printed = log.read_text()
        staff = re.search(r"^\s*(demo\.admin)\s+Platform staff\s+all\s+(\S+)\s*$", printed, re.MULTILINE)
        username, password = staff.groups()
        assert token_status(port, "b.localhost", username, password) == "200"
        assert token_status(port, "a.localhost", username, password) == "400", "tenant a has its own people"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        for own_name in databases.values():
            subprocess.run(
                ["dropdb", "--if-exists", "-h", server.hostname, "-p", str(server.port or 5432)]
                + ["-U", server.username, own_name],
                capture_output=True,
                timeout=60,
            )
