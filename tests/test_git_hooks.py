"""The hooks wired at generation work with a real `git commit` in a freshly baked project."""

import os
import sys

import pytest

UNPROTECTED = """from django.http import JsonResponse

from apps.onboarding.models import Bt


class BulkRenameView:
    def handle_valid_form(self, form, request, create):
        client = Bt.objects.get(pk=form.cleaned_data["client"])
        client.buname = form.cleaned_data["name"]
        client.save()
        Bt.objects.filter(parent=client).update(enable=False)
        return JsonResponse({"pk": client.pk})
"""

PROTECTED = UNPROTECTED.replace(
    "from apps.onboarding.models import Bt\n",
    "from apps.core.services.transaction_manager import atomic_view_operation\nfrom apps.onboarding.models import Bt\n",
).replace("    def handle_valid_form", "    @atomic_view_operation()\n    def handle_valid_form")

SUPPRESSED = UNPROTECTED.replace(
    "    def handle_valid_form(self, form, request, create):",
    "    def handle_valid_form(self, form, request, create):  # txn: ignore[TXN001] demo data, rebuilt nightly",
)


@pytest.fixture(scope="module")
def repository(bake):
    project = bake(project_slug="hooked_platform")
    git_env = {
        "GIT_AUTHOR_NAME": "Tester",
        "GIT_AUTHOR_EMAIL": "tester@example.com",
        "GIT_COMMITTER_NAME": "Tester",
        "GIT_COMMITTER_EMAIL": "tester@example.com",
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
    }

    def git(*args, check=True):
        return project.run("git", *args, check=check, **git_env)

    git("add", "-A")
    first = git("commit", "-m", "Baked project", check=False)
    assert first.returncode == 0, f"the baked project must pass its own hook\n{first.stdout}\n{first.stderr}"
    return project, git


def write(project, text):
    target = project.path / "apps" / "onboarding" / "bulk_views.py"
    target.write_text(text)
    return target


def test_unprotected_handle_valid_form_is_refused_with_file_line_and_fix(repository):
    project, git = repository
    write(project, UNPROTECTED)
    git("add", "apps/onboarding/bulk_views.py")
    refused = git("commit", "-m", "Unprotected view", check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "apps/onboarding/bulk_views.py:7: TXN001 in BulkRenameView.handle_valid_form" in output
    assert "fix:" in output
    assert "git commit --no-verify" in output
    assert git("log", "--oneline").stdout.count("\n") == 1


def test_the_fixed_file_commits(repository):
    project, git = repository
    write(project, PROTECTED)
    git("add", "apps/onboarding/bulk_views.py")
    git("commit", "-m", "Protected view")


def test_a_suppression_with_a_reason_commits_and_one_without_is_refused(repository):
    project, git = repository
    write(project, SUPPRESSED.replace(" demo data, rebuilt nightly", ""))
    git("add", "apps/onboarding/bulk_views.py")
    refused = git("commit", "-m", "Suppressed without reason", check=False)
    assert refused.returncode != 0
    assert "TXN005" in refused.stdout + refused.stderr
    write(project, SUPPRESSED)
    git("add", "apps/onboarding/bulk_views.py")
    git("commit", "-m", "Suppressed with a reason")


def test_no_verify_is_the_documented_escape(repository):
    project, git = repository
    assert "git commit --no-verify" in (project.path / "README.md").read_text()
    write(project, UNPROTECTED)
    git("add", "apps/onboarding/bulk_views.py")
    git("commit", "--no-verify", "-m", "Escape hatch")
