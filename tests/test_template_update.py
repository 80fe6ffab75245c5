"""A project baked from an older template commit takes a later one with ``cruft update``, offline.

The template under test is copied into a temporary git repository and committed twice; the
project is baked from the first commit, changed and committed by its owner, then updated to the
second commit from the local checkout.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import TEMPLATE_DIR

BIN = os.path.dirname(sys.executable)
GIT = ["git", "-c", "user.name=Template Test", "-c", "user.email=test@example.com"]
PROJECT_FILE = "{{cookiecutter.project_slug}}/README.md"


def run(*command, cwd, check=True):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def commit(repository, message):
    run(*GIT, "add", "-A", cwd=repository)
    run(*GIT, "commit", "--quiet", "--no-verify", "-m", message, cwd=repository)
    return run("git", "rev-parse", "HEAD", cwd=repository).stdout.strip()


@pytest.fixture
def template_repository(tmp_path):
    """A git repository holding the template's files as they are now (tracked and new ones)."""
    listed = run("git", "ls-files", "-co", "--exclude-standard", "-z", cwd=TEMPLATE_DIR).stdout.split("\0")
    repository = tmp_path / "template"
    for relative in filter(None, listed):
        source = TEMPLATE_DIR / relative
        if source.is_file():
            target = repository / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    run("git", "init", "--quiet", "-b", "main", cwd=repository)
    commit(repository, "first version")
    return repository


@pytest.fixture
def project(template_repository, tmp_path):
    """A project baked from the template's first commit, committed by its owner."""
    cookiecutter = os.path.join(BIN, "cookiecutter")
    run(cookiecutter, str(template_repository), "--no-input", "--output-dir", "projects", cwd=tmp_path)
    path = tmp_path / "projects" / "facility_platform"
    commit(path, "baked")
    return path


def cruft_update(project):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [os.path.join(BIN, "cruft"), "update", "--skip-apply-ask"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_the_bake_records_the_template_and_its_options(project, template_repository):
    record = json.loads((project / ".cruft.json").read_text())
    assert record["template"] == str(template_repository)
    assert record["commit"] == run("git", "rev-parse", "HEAD", cwd=template_repository).stdout.strip()
    assert record["context"]["cookiecutter"]["project_slug"] == "facility_platform"
    assert record["context"]["cookiecutter"]["use_tenant_routing"] == "n"
    assert {".env", ".git"} <= set(record["skip"])


def test_an_update_brings_the_templates_change_and_keeps_the_projects(project, template_repository):
    views = project / "apps/activity/views.py"
    views.write_text(views.read_text() + "# kept: a change the project made\n")
    commit(project, "the project's own change")
    env_before = (project / ".env").read_bytes()
    first_project_commit = run("git", "rev-list", "--max-parents=0", "HEAD", cwd=project).stdout.strip()

    readme = template_repository / PROJECT_FILE
    readme.write_text(readme.read_text() + "\nA later template version added this line.\n")
    new_commit = commit(template_repository, "second version")

    result = cruft_update(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "README.md").read_text().endswith("A later template version added this line.\n")
    assert views.read_text().endswith("# kept: a change the project made\n")
    assert (project / ".env").read_bytes() == env_before, ".env is the project's own"
    assert run("git", "rev-list", "--max-parents=0", "HEAD", cwd=project).stdout.strip() == first_project_commit
    assert json.loads((project / ".cruft.json").read_text())["commit"] == new_commit
    changed = run("git", "status", "--porcelain", cwd=project).stdout.split("\n")
    assert sorted(line[3:] for line in changed if line) == [".cruft.json", "README.md"]


def test_a_change_to_the_same_lines_is_reported_as_a_conflict_never_lost(project, template_repository):
    readme = project / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    lines[0] = "# Our facility platform\n"
    readme.write_text("".join(lines))
    commit(project, "the project renames itself")

    template_readme = template_repository / PROJECT_FILE
    template_lines = template_readme.read_text().splitlines(keepends=True)
    template_lines[0] = "# {{ cookiecutter.project_name }} (atomic)\n"
    template_readme.write_text("".join(template_lines))
    commit(template_repository, "second version renames the heading")

    result = cruft_update(project)
    text = readme.read_text()
    assert "# Our facility platform" in text, "the project's change is never silently lost"
    assert "<<<<<<< ours\n# Our facility platform\n=======\n# Facility Platform (atomic)\n>>>>>>> theirs" in text
    assert "with conflicts" in result.stdout + result.stderr
    assert "UU README.md" in run("git", "status", "--porcelain", cwd=project).stdout
