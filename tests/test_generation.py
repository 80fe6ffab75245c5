"""Baking: every option value produces a clean, consistent project; bad slugs are refused."""

import json
import os
import re
import stat
import subprocess
import sys

import pytest

from .conftest import TEMPLATE_DIR, one_option_at_a_time

UNRENDERED = re.compile(r"{{\s*cookiecutter|{%-?\s*(if|endif|for|else)\b[^%]*cookiecutter|cookiecutter\.\w+")
TEXT_SUFFIXES = {".py", ".txt", ".toml", ".md", ".html", ".css", ".cfg", ".example", ".sh", ""}


def text_files(root):
    for path in root.rglob("*"):
        if ".git" in path.parts or not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        yield path


def test_default_bake_is_a_git_repository_with_hooks_wired(bake):
    project = bake()
    assert project.path.name == "facility_platform"
    expected = [
        "manage.py",
        "config/settings/base.py",
        "config/settings/production.py",
        ".env.example",
        ".githooks/pre-commit",
        "requirements/local.txt",
        "README.md",
        "LICENSE",
        "pyproject.toml",
    ]
    for relative in expected:
        assert (project.path / relative).is_file(), relative
    hooks_path = project.run("git", "config", "core.hooksPath").stdout.strip()
    assert hooks_path == ".githooks"
    assert project.run("git", "symbolic-ref", "--short", "HEAD").stdout.strip() == "main"
    ignored = project.run("git", "check-ignore", ".env", "celerybeat-schedule", "celerybeat-schedule.db").stdout.split()
    assert ignored == [".env", "celerybeat-schedule", "celerybeat-schedule.db"]
    assert os.stat(project.path / ".githooks" / "pre-commit").st_mode & stat.S_IXUSR


def test_local_env_file_gets_a_fresh_secret_per_bake(cookies):
    secrets = set()
    demo_secrets = set()
    for _ in range(2):
        result = cookies.bake()
        env_text = (result.project_path / ".env").read_text()
        match = re.search(r"^DJANGO_SECRET_KEY=(\S{40,})$", env_text, re.MULTILINE)
        assert match, env_text
        secrets.add(match.group(1))
        demo = re.search(r"^DEMO_PASSWORD=(\S{24,})$", env_text, re.MULTILINE)
        assert demo, env_text
        demo_secrets.add(demo.group(1))
        assert ".env" in (result.project_path / ".gitignore").read_text().split()
    assert len(secrets) == 2
    assert len(demo_secrets) == 2


def test_local_env_file_has_no_demo_secret_without_the_demo_data(cookies):
    result = cookies.bake(extra_context={"include_demo_data": "n"})
    assert "DEMO_PASSWORD" not in (result.project_path / ".env").read_text()


@pytest.mark.parametrize("options", one_option_at_a_time())
def test_each_option_value_bakes_a_clean_project(bake, options):
    project = bake(**options)
    leftovers = [
        f"{path.relative_to(project.path)}:{number}"
        for path in text_files(project.path)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if UNRENDERED.search(line)
    ]
    assert leftovers == [], "unrendered cookiecutter variables"
    ruff = [os.path.join(os.path.dirname(sys.executable), "ruff")]
    project.run(*ruff, "check", ".")
    project.run(*ruff, "format", "--check", ".")
    project.manage("check", "--fail-level", "WARNING")
    project.manage("makemigrations", "--check", "--dry-run")


@pytest.mark.parametrize(
    ("options", "present", "absent"),
    [
        ({"use_tenant_routing": "y"}, ["apps/core/tenancy/router.py"], []),
        ({"use_tenant_routing": "n"}, [], ["apps/core/tenancy"]),
        ({"use_prometheus": "y"}, ["apps/core/views/metrics.py"], []),
        ({"use_prometheus": "n"}, [], ["apps/core/views/metrics.py"]),
        ({"include_demo_data": "y"}, ["apps/demo/management/commands/seed_demo.py"], []),
        ({"include_demo_data": "n"}, [], ["apps/demo"]),
        ({"open_source_license": "Not open source"}, [], ["LICENSE"]),
        ({"open_source_license": "Apache-2.0"}, ["LICENSE"], []),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_option_keeps_exactly_its_files(bake, options, present, absent):
    project = bake(**options)
    for relative in present:
        assert (project.path / relative).exists(), relative
    for relative in absent:
        assert not (project.path / relative).exists(), relative


def test_routing_option_changes_the_settings(bake):
    on = bake(use_tenant_routing="y").manage(
        "shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DATABASE_ROUTERS)"
    )
    off = bake(use_tenant_routing="n").manage(
        "shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DATABASE_ROUTERS)"
    )
    assert "TenantDatabaseRouter" in on.stdout
    assert off.stdout.strip() == "[]"


def test_git_option_off_leaves_no_repository(bake):
    project = bake(init_git="n")
    assert not (project.path / ".git").exists()


def test_license_file_names_the_chosen_license(bake):
    assert "MIT License" in bake(open_source_license="MIT").path.joinpath("LICENSE").read_text()
    assert "BSD 3-Clause" in bake(open_source_license="BSD-3-Clause").path.joinpath("LICENSE").read_text()
    assert "Apache License" in bake(open_source_license="Apache-2.0").path.joinpath("LICENSE").read_text()


@pytest.mark.parametrize(
    "slug", ["Facility-Platform", "1st_platform", "my platform", "django", "celery", "redis", "test", "class", "json"]
)
def test_bad_slug_is_refused_with_one_clear_line(cookies, capfd, slug):
    result = cookies.bake(extra_context={"project_slug": slug})
    assert result.exit_code != 0
    output = capfd.readouterr()
    lines = [line for line in (output.out + output.err).splitlines() if line.startswith("ERROR: project_slug")]
    assert len(lines) == 1
    assert repr(slug) in lines[0]


def test_bad_slug_on_the_command_line_is_one_line_without_a_traceback(tmp_path):
    command = [os.path.join(os.path.dirname(sys.executable), "cookiecutter"), str(TEMPLATE_DIR), "--no-input"]
    result = subprocess.run(
        [*command, "--output-dir", str(tmp_path), "project_slug=bad-slug"], capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    assert [line for line in output.splitlines() if "ERROR" in line] == [
        "ERROR: project_slug 'bad-slug' must be a lowercase Python identifier (letters, digits, underscores; "
        "no leading digit); choose another, e.g. 'facility_platform'."
    ]
    assert list(tmp_path.iterdir()) == []


def test_every_prompt_has_a_readable_label():
    config = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    asked = sorted(name for name in config if not name.startswith("_"))
    labels = config["__prompts__"]
    assert sorted(labels) == asked
    for name in asked:
        assert labels[name][0].isupper() and " " in labels[name], (name, labels[name])


def test_bake_without_git_on_the_machine_explains_how_to_wire_hooks(cookies, capfd, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git here
    result = cookies.bake()
    assert result.exit_code == 0
    assert not (result.project_path / ".git").exists()
    assert "git config core.hooksPath .githooks" in capfd.readouterr().out


def test_generation_needs_no_network(tmp_path):
    """Bake in a child process whose socket module refuses every connection."""
    script = (
        "import socket, sys\n"
        "def refuse(*args, **kwargs): raise OSError('network disabled for this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from cookiecutter.main import cookiecutter\n"
        f"cookiecutter({str(TEMPLATE_DIR)!r}, no_input=True, output_dir={str(tmp_path)!r})\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=120)
    assert (tmp_path / "facility_platform" / "manage.py").is_file()
