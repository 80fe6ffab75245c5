"""The baked project works: its checks, its contracts, its own test suite on both engines."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .conftest import REDIS_URL, unique_postgres_url

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
        for _ in range(60):
            try:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        assert home is not None and home.status == 200
        assert b"Every write in this application is one transaction" in home.read()
        with pytest.raises(urllib.error.HTTPError) as anonymous:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/work-orders/", timeout=5)
        assert anonymous.value.code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_baked_suite(project, *pytest_args, **env):
    result = project.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args, check=False, **env)
    assert result.returncode == 0, f"baked suite failed\n{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    return summary


def test_baked_suite_passes_on_the_sqlite_default(bake):
    run_baked_suite(bake())


def test_baked_suite_passes_on_postgres_and_redis(bake):
    run_baked_suite(bake(), DATABASE_URL=unique_postgres_url("suite"), REDIS_URL=f"{REDIS_URL}/1")


def test_baked_suite_passes_with_tenant_routing_on_postgres(bake):
    # The authorization matrix (marked heavy) runs in the two variants above.
    run_baked_suite(
        bake(use_tenant_routing="y"),
        "-m",
        "not heavy",
        DATABASE_URL=unique_postgres_url("tenant"),
        REDIS_URL=f"{REDIS_URL}/2",
    )


def test_baked_suite_passes_without_demo_data_or_metrics(bake):
    run_baked_suite(bake(include_demo_data="n", use_prometheus="n"), "-m", "not heavy")
