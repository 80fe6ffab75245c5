"""The baked project works: its checks, its contracts, its own test suite on both engines."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .conftest import REDIS_URL, BakedProject, load_embedded_services, unique_postgres_url

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 64 + "-production-like-secret-for-the-deploy-check",
    "DJANGO_ALLOWED_HOSTS": "platform.example.com",
}


def tool(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def test_deploy_check_passes_in_a_production_like_environment(bake):
    project = bake()
    result = project.manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL=unique_postgres_url("deploy"),
        REDIS_URL=f"{REDIS_URL}/0",
        **PRODUCTION_ENV,
    )
    assert "no issues" in result.stdout


def test_deploy_check_refuses_sqlite_and_in_process_locks(bake):
    project = bake()
    result = project.manage("check", "--deploy", check=False, **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "core.E001" in result.stderr
    assert "core.E003" in result.stderr


def test_import_contracts_hold(bake):
    result = bake().run(tool("lint-imports"))
    assert "The core app imports no domain app KEPT" in result.stdout
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_quick_start_migrates_and_seeds_idempotently(bake):
    project = bake()
    database = project.path / "quickstart.sqlite3"
    url = f"sqlite:///{database}"
    project.manage("migrate", "--verbosity", "0", DATABASE_URL=url)
    counts = (
        "from apps.work_order_management.models import WorkOrder, WorkPermit; "
        "print(WorkOrder.objects.count(), WorkPermit.objects.count())"
    )
    seeded = project.manage("seed_demo", DATABASE_URL=url)
    assert "No hostname was supplied" not in seeded.stdout + seeded.stderr
    after_first = project.manage("shell", "--no-imports", "-c", counts, DATABASE_URL=url).stdout.split()
    project.manage("seed_demo", DATABASE_URL=url)
    after_second = project.manage("shell", "--no-imports", "-c", counts, DATABASE_URL=url).stdout.split()
    assert int(after_first[0]) > 0 and int(after_first[1]) > 0
    assert after_second == after_first


def test_demo_logins_of_two_clients_are_printed_the_same_on_every_run(bake, tmp_path):
    project = bake()
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    project.manage("migrate", "--verbosity", "0", DATABASE_URL=url)
    project.manage("seed_demo", DATABASE_URL=url)
    project.manage("seed_demo", "--client", "ACME", DATABASE_URL=url)
    first = project.manage("create_demo_staff", DATABASE_URL=url).stdout
    project.manage("seed_demo", "--client", "ACME", DATABASE_URL=url)
    again = project.manage("create_demo_staff", DATABASE_URL=url).stdout
    assert again == first
    rows = [line.split() for line in first.splitlines() if line.startswith("  ") and "." in line.split()[0]]
    usernames = {row[0] for row in rows}
    assert {"demo.admin", "demo.clientadmin", "acme.clientadmin", "demo.tech1", "acme.tech1"} <= usernames
    assert "DEMO_PASSWORD=" in (project.path / ".env").read_text()
    check = (
        "import sys; from django.contrib.auth import authenticate; "
        "print(authenticate(username=sys.argv[1], password=sys.argv[2]) is not None)"
    )
    username, password = rows[-1][0], rows[-1][-1]
    signed_in = project.run("python", "-c", f"import django; django.setup(); {check}", username, password,
                            DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings.local")  # fmt: skip
    assert signed_in.stdout.strip() == "True"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_runserver_serves_the_application_with_nothing_else_installed(bake, tmp_path):
    project = bake()
    url = f"sqlite:///{tmp_path / 'runserver.sqlite3'}"
    project.manage("migrate", "--verbosity", "0", DATABASE_URL=url)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project.path,
        env=project.env(DATABASE_URL=url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        home = None
        deadline = time.monotonic() + 90  # Django's start-up checks take a while on a busy machine
        while home is None and time.monotonic() < deadline and server.poll() is None:
            try:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        assert home is not None and home.status == 200, server.poll()
        assert b"Every write in this application is one transaction" in home.read()
        with pytest.raises(urllib.error.HTTPError) as anonymous:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/work-orders/", timeout=5)
        assert anonymous.value.code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_baked_suite(project, *paths, heavy=False, require_services=False, **env):
    """Run the baked project's own suite; ``heavy=False`` leaves out the tests marked ``heavy``.

    The heavy suites (browser, API fuzzing, fault audit, the full authorization matrix) run in the
    PostgreSQL + Redis variant only, to keep CI within its budget (the matrix, named in ``paths``,
    on SQLite too). ``require_services`` sets ``REQUIRE_SERVICES=1``: a run meant for PostgreSQL
    and Redis fails when a test skips for want of them.
    """
    options = list(paths) if paths or heavy else ["-m", "not heavy"]
    if require_services:
        env["REQUIRE_SERVICES"] = "1"
    result = project.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, check=False, timeout=2700, **env
    )
    assert result.returncode == 0, f"baked suite failed\n{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    print(f"baked suite ({', '.join(f'{key}={value}' for key, value in sorted(env.items()))}): {summary}")
    return summary


def test_baked_suite_passes_on_the_sqlite_default(bake):
    run_baked_suite(bake())
    run_baked_suite(bake(), "tests/test_authorization_matrix.py")


def test_baked_suite_passes_on_postgres_and_redis(bake):
    run_baked_suite(
        bake(),
        heavy=True,
        require_services=True,
        DATABASE_URL=unique_postgres_url("suite"),
        REDIS_URL=f"{REDIS_URL}/1",
    )


def test_baked_suite_passes_with_tenant_routing_on_postgres(bake):
    # The authorization matrix (marked heavy) runs in the two variants above.
    run_baked_suite(
        bake(use_tenant_routing="y"),
        require_services=True,
        DATABASE_URL=unique_postgres_url("tenant"),
        REDIS_URL=f"{REDIS_URL}/2",
    )


def test_baked_suite_passes_without_demo_data_or_metrics(bake):
    run_baked_suite(bake(include_demo_data="n", use_prometheus="n"))


def test_require_services_refuses_a_run_without_postgres_and_redis(bake):
    result = bake().run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", check=False, REQUIRE_SERVICES="1")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "REQUIRE_SERVICES=1, but DATABASE_URL is not PostgreSQL; REDIS_URL is not set" in output
    assert "make test" in output


SKIPS = """\
import pytest


def test_row_locks():
    pytest.skip("row locks need PostgreSQL")


@pytest.mark.skipif(True, reason="the worker needs a Redis broker: set REDIS_URL")
def test_worker():
    pass


@pytest.mark.skipif(True, reason="on PostgreSQL the load test runs")
def test_sqlite_only():
    pass


def test_browser():
    pytest.skip("Chromium not available (/usr/bin/chromium missing)")
"""


def test_require_services_turns_skips_for_a_missing_service_into_failures(bake, tmp_path):
    project = BakedProject(tmp_path / "project", {})
    shutil.copytree(bake().path, project.path)
    (project.path / "apps" / "core" / "tests" / "test_service_skips.py").write_text(SKIPS)
    env = {"DATABASE_URL": unique_postgres_url("skips"), "REDIS_URL": f"{REDIS_URL}/3"}
    test_file = "apps/core/tests/test_service_skips.py"

    quiet = project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file, check=False, **env)
    assert quiet.stdout.strip().splitlines()[-1].startswith("4 skipped"), quiet.stdout

    required = project.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file, check=False, REQUIRE_SERVICES="1", **env
    )
    assert required.returncode == 1, required.stdout
    summary = required.stdout.strip().splitlines()[-1]
    # A skip inside the test fails it; a skipif mark fails its setup (reported as an error).
    assert "1 failed" in summary and "2 skipped" in summary and "1 error" in summary, required.stdout
    assert "REQUIRE_SERVICES=1 turns this skip into a failure: row locks need PostgreSQL" in required.stdout
    assert "the worker needs a Redis broker" in required.stdout


def test_embedded_services_start_on_their_own_ports_and_leave_nothing_behind():
    import psycopg
    import redis

    embedded = load_embedded_services()
    first = embedded.TestServices(None, None).start()
    second = embedded.TestServices(None, None).start()
    try:
        servers = first.started + second.started
        assert len({server.port for server in servers}) == 4
        assert len({server.folder for server in servers}) == 4
        for services in (first, second):
            with psycopg.connect(f"{services.postgres_url}/postgres", connect_timeout=5) as connection:
                assert connection.execute("select current_setting('server_version_num')::int").fetchone()[0] >= 160000
            assert redis.Redis.from_url(f"{services.redis_url}/5").ping()
        assert "embedded PostgreSQL" in first.description[0] and "embedded Redis" in first.description[1]
    finally:
        first.stop()
        second.stop()
    for server in servers:
        assert server.process.poll() is not None
        assert not server.folder.exists()
        assert not embedded.answers(server.url)


def test_an_embedded_server_halted_comes_back_on_its_port_with_its_data():
    """What the acknowledged-writes audit relies on to stop PostgreSQL and Redis under its load."""
    import psycopg

    embedded = load_embedded_services()
    services = embedded.TestServices(None, None).start()
    postgres, redis_server = services.started
    try:
        url = f"{services.postgres_url}/postgres"
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("create table kept (n int)")
            connection.execute("insert into kept values (7)")
        for server in (postgres, redis_server):
            port = server.port
            server.halt()
            assert not embedded.answers(server.url)
            server.resume()
            assert server.port == port and embedded.answers(server.url)
        with psycopg.connect(url) as connection:
            assert connection.execute("select n from kept").fetchone() == (7,)
    finally:
        services.stop()
    assert not postgres.folder.exists() and not redis_server.folder.exists()
