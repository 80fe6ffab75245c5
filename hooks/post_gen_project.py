"""Finish a freshly baked project: secrets, unchosen options, the template record, git and its hooks.

Everything here works offline. A missing ``git`` is not an error: the project is complete
without it, and the message says how to wire the hooks later.

cruft runs this hook too: when it creates a project, and when ``cruft update`` bakes the old and
the new template version into temporary folders to compute the changes it then applies to the
project. cruft marks its runs with the template commit in the context (``_commit``). In those
runs the hook neither makes a git repository (an update must never touch the project's own) nor
writes ``.cruft.json`` (cruft writes it); ``.env`` and ``.git`` are listed in the ``skip`` of
``.cruft.json``, so an update never rewrites the project's ``.env`` either.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path.cwd()
# Set by cruft (create and update), absent when cookiecutter bakes.
# Each value is rendered as a JSON string literal (quotes, backslashes and newlines escaped, no
# apostrophe), read back from a raw string.
CRUFT_COMMIT = json.loads(r'{{ cookiecutter.get("_commit", "") | tojson }}')
TEMPLATE_DIR = json.loads(r'{{ cookiecutter.get("_repo_dir", "") | tojson }}')
CONTEXT = json.loads(json.loads(r'{{ cookiecutter | jsonify | tojson }}'))  # fmt: skip
# What ``cruft update`` never changes in a project.
CRUFT_SKIP = [".env", ".git", "db.sqlite3"]

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
            "apps/demo/tests/test_seed_demo_tenants.py",
            "apps/onboarding/tests/test_tenant_commands.py",
            "apps/core/tests/test_outbox_tenants.py",
        )
    if not USE_PROMETHEUS:
        remove(
            "apps/core/views/metrics.py",
            "apps/core/outbox/metrics.py",
            "apps/core/tests/test_metrics_endpoint.py",
        )
    if not INCLUDE_DEMO_DATA:
        remove("apps/demo")
    if LICENSE == "Not open source":
        remove("LICENSE")


def write_local_env():
    """Write ``.env`` with fresh secrets; it is git-ignored and read by local settings.

    With the demo data, ``DEMO_PASSWORD`` is the secret the demo logins' passwords are derived
    from: made once here, so ``create_demo_staff`` prints the same logins every time. An ``.env``
    that is already there (a bake over an existing project, a template update) is kept as it is.
    """
    env_file = PROJECT / ".env"
    if env_file.exists():
        return
    lines = [
        "# Local settings for this checkout only (git-ignored). See .env.example for all variables.",
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}",
    ]
    if INCLUDE_DEMO_DATA:
        lines.append(f"DEMO_PASSWORD={secrets.token_urlsafe(24)}")
    lines += [
        "# DATABASE_URL=postgres://postgres@127.0.0.1:5432/{{ cookiecutter.project_slug }}",
        "# REDIS_URL=redis://127.0.0.1:6379/0",
    ]
    env_file.write_text("\n".join(lines) + "\n")
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


def template_location():
    """The template's folder as an absolute path (cookiecutter may have been given a relative one)."""
    location = Path(TEMPLATE_DIR)
    if not location.is_absolute():
        # The hook runs in the project folder; a relative path was relative to where cookiecutter started.
        location = Path(os.environ.get("PWD", PROJECT.parent)) / location
    return location.resolve()


def template_commit(location):
    """The commit the template's checkout is at, or "" when it is not a git checkout."""
    git = shutil.which("git")
    if git is None:
        return ""
    result = subprocess.run([git, "rev-parse", "HEAD"], cwd=location, capture_output=True, text=True)
    if result.returncode != 0:
        return ""
    status = subprocess.run([git, "status", "--porcelain"], cwd=location, capture_output=True, text=True)
    if status.stdout.strip():
        print(
            "Note: the template checkout has uncommitted changes; .cruft.json records its last commit,\n"
            "so a later `cruft update` may offer those changes again."
        )
    return result.stdout.strip()


def write_cruft_record():
    """Record the template and the options in ``.cruft.json``, so ``cruft update`` can bring later versions."""
    location = template_location()
    commit = template_commit(location) if (location / "cookiecutter.json").is_file() else ""
    context = {key: value for key, value in CONTEXT.items() if key != "_output_dir"}
    record = {
        "template": str(location),
        "commit": commit or None,
        "checkout": None,
        "context": {"cookiecutter": context},
        "directory": None,
        "skip": CRUFT_SKIP,
    }
    (PROJECT / ".cruft.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    if not commit:
        print(
            "The template is not a git checkout: .cruft.json names no commit, so `cruft update` cannot\n"
            "compare versions. Bake from a git clone of the template to take its later changes."
        )


def next_step():
    """How to reach the project from where cookiecutter was started."""
    try:
        relative = os.path.relpath(PROJECT, os.environ.get("PWD") or PROJECT.parent)
    except ValueError:
        relative = str(PROJECT)
    return relative if not relative.startswith("..") else str(PROJECT)


def main():
    remove_caches()
    remove_unchosen_options()
    write_local_env()
    make_hooks_executable()
    if CRUFT_COMMIT:
        return 0  # cruft writes .cruft.json; the project's git repository is the user's own business
    write_cruft_record()
    if INIT_GIT:
        init_git()
    print(f"Baked {PROJECT.name}. Next: cd {next_step()} && see README.md (Quick start).")
    return 0


sys.exit(main())
