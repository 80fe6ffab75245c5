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


# Shapes of this project the hook must refuse (each found by committing it into a fresh bake).

LOCKED_VENDOR_VIEW = """from apps.core.views.forms import AtomicFormView
from apps.work_order_management.models import Vendor


class VendorQuickAddView(AtomicFormView):
    service_takes_locks = True

    def handle_valid_form(self, form, request, create):
        vendor = Vendor.objects.create(name=form.cleaned_data["name"], client=request.user.client)
        Vendor.objects.filter(pk=vendor.pk).update(code=f"V{vendor.pk}")
        return self.done(vendor)
"""

FORM_VALID_VIEW = """from django.views.generic import FormView

from apps.onboarding.models import Bt


class RenameSiteView(FormView):
    def form_valid(self, form):
        site = Bt.objects.get(pk=form.cleaned_data["site"])
        site.buname = form.cleaned_data["name"]
        site.save(update_fields=["buname"])
        Bt.objects.filter(parent=site).update(enable=False)
        return super().form_valid(form)
"""

PERSON_VIEW = """from django.views import View

from apps.peoples.models import People


class QuickPersonView(View):
    def handle_valid_form(self, form, request, create):
        return People.objects.create(username=form.cleaned_data["username"], client=request.user.client)
"""


@pytest.mark.parametrize(
    "name, text, headline, detail",
    [
        (
            "vendor_views.py",
            LOCKED_VENDOR_VIEW,
            "apps/work_order_management/vendor_views.py:8: TXN001 in VendorQuickAddView.handle_valid_form",
            "Vendor.objects.create, Vendor.objects.filter(...).update",
        ),
        (
            "rename_views.py",
            FORM_VALID_VIEW,
            "apps/work_order_management/rename_views.py:7: TXN001 in RenameSiteView.form_valid",
            "site.save, Bt.objects.filter(...).update",
        ),
        (
            "person_views.py",
            PERSON_VIEW,
            "apps/work_order_management/person_views.py:7: TXN001 in QuickPersonView.handle_valid_form",
            "create_profile at apps/peoples/signals.py:",
        ),
    ],
    ids=["service-takes-locks", "form-valid", "receivers-write"],
)
def test_blind_spots_of_the_project_shape_are_refused(repository, name, text, headline, detail):
    project, git = repository
    target = project.path / "apps" / "work_order_management" / name
    target.write_text(text)
    git("add", str(target.relative_to(project.path)))
    refused = git("commit", "-m", f"Add {name}", check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert headline in output
    assert detail in output
    git("rm", "--cached", "-q", str(target.relative_to(project.path)))
    target.unlink()
