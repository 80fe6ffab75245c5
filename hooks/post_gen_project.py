"""Finish a freshly baked project: secrets, unchosen options, git and its hooks.

Everything here works offline. A missing ``git`` is not an error: the project is complete
without it, and the message says how to wire the hooks later.
"""

import secrets
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path.cwd()

USE_TENANT_ROUTING = "{{ cookiecutter.use_tenant_routing }}" == "y"
USE_PROMETHEUS = "{{ cookiecutter.use_prometheus }}" == "y"
INCLUDE_DEMO_DATA = "{{ cookiecutter.include_demo_data }}" == "y"
INIT_GIT = "{{ cookiecutter.init_git }}" == "y"
LICENSE = "{{ cookiecutter.open_source_license }}"


def remove(*relative_paths):
    for relative in relative_paths:
        path = PROJECT / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def remove_caches():
    """Tool caches that a developer's runs may have left in the template are not part of a project."""
    for pattern in (".ruff_cache", ".pytest_cache", "**/__pycache__"):
        for path in PROJECT.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


def remove_unchosen_options():
    if not USE_TENANT_ROUTING:
        remove(
            "apps/core/tenancy",
            "apps/core/management/commands/migrate_tenants.py",
            "apps/core/tests/test_tenant_routing.py",
            "apps/onboarding/tests/test_tenant_commands.py",
        )
    if not USE_PROMETHEUS:
        remove(
            "apps/core/views/metrics.py",
            "apps/core/tests/test_metrics_endpoint.py",
        )
    if not INCLUDE_DEMO_DATA:
        remove("apps/demo")
    if LICENSE == "Not open source":
        remove("LICENSE")


def write_local_env():
    """Write ``.env`` with a fresh secret key; it is git-ignored and read by local settings."""
    env_file = PROJECT / ".env"
    env_file.write_text(
        "# Local settings for this checkout only (git-ignored). See .env.example for all variables.\n"
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        "# DATABASE_URL=postgres://postgres@127.0.0.1:5432/{{ cookiecutter.project_slug }}\n"
        "# REDIS_URL=redis://127.0.0.1:6379/0\n"
    )
    env_file.chmod(0o600)


def make_hooks_executable():
    for hook in (PROJECT / ".githooks").iterdir():
        hook.chmod(0o755)


def init_git():
    git = shutil.which("git")
    if git is None:
        print(
            "git was not found: the project is complete, but it is not a repository yet.\n"
            "To wire the hooks later: git init -b main && git config core.hooksPath .githooks"
        )
        return
    commands = [
        [git, "init", "--quiet", "-b", "main"],
        [git, "config", "core.hooksPath", ".githooks"],
    ]
    for command in commands:
        result = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"WARNING: {' '.join(command[1:])} failed: {result.stderr.strip()}")
            print("Wire the hooks by hand: git init -b main && git config core.hooksPath .githooks")
            return


def main():
    remove_caches()
    remove_unchosen_options()
    write_local_env()
    make_hooks_executable()
    if INIT_GIT:
        init_git()
    print(f"Baked {PROJECT.name}. Next: cd {PROJECT.name} && see README.md (Quick start).")
    return 0


sys.exit(main())
