"""The git pre-commit hook, run by a real ``git commit`` in a scratch repository.

The repository holds the hook and the analyser copied from this project, nothing else: the hook
must work before any virtualenv or Django exists.
"""

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

UNPROTECTED_VIEW = """\
from django.views import View

from .models import Order


class OrderView(View):
    def handle_valid_form(self, form, request, create):
        order = Order.objects.create(number=form.cleaned_data["number"])
        order.lines.bulk_create([])
        return order
"""

PROTECTED_VIEW = """\
from apps.core.views.forms import AtomicFormView

from .models import Order


class OrderView(AtomicFormView):
    def handle_valid_form(self, form, request, create):
        order = Order.objects.create(number=form.cleaned_data["number"])
        order.lines.bulk_create([])
        return order
"""


def suppressed_view(comment):
    return UNPROTECTED_VIEW.replace(
        "def handle_valid_form(self, form, request, create):",
        f"def handle_valid_form(self, form, request, create):  {comment}",
    )


def write_script(path, text):
    path.write_text(textwrap.dedent(text))
    path.chmod(0o755)


class Repository:
    """A scratch git repository with the project's hooks wired, and a PATH we control."""

    def __init__(self, root, bin_dir):
        self.root = root
        self.bin_dir = bin_dir
        self.env = {
            "PATH": os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"]),
            "HOME": str(root.parent),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test Author",
            "GIT_AUTHOR_EMAIL": "author@example.com",
            "GIT_COMMITTER_NAME": "Test Author",
            "GIT_COMMITTER_EMAIL": "author@example.com",
            "LC_ALL": "C",
        }

    def git(self, *args, check=True):
        return subprocess.run(
            ["git", *args], cwd=self.root, env=self.env, capture_output=True, text=True, check=check, timeout=120
        )

    def write(self, relative, text):
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def commit(self, *paths, message="change", no_verify=False):
        """Stage ``paths`` and commit; returns the result with stdout and stderr joined in ``output``."""
        if paths:
            self.git("add", "--", *paths)
        result = self.git("commit", "-m", message, *(["--no-verify"] if no_verify else []), check=False)
        result.output = result.stdout + result.stderr
        return result

    def commit_count(self):
        return int(self.git("rev-list", "--count", "HEAD").stdout)

    def fake_ruff(self, exit_code):
        """Put a ``ruff`` on PATH that records its arguments and exits with ``exit_code``."""
        log = self.root.parent / "ruff-calls.log"
        write_script(
            self.bin_dir / "ruff",
            f"""\
            #!/bin/sh
            echo "$*" >>"{log}"
            cat >/dev/null
            [ "$1" = check ] && [ {exit_code} -ne 0 ] && echo "E999 fake ruff finding"
            exit {exit_code}
            """,
        )
        return log


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "project"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_script(bin_dir / "git", f'#!/bin/sh\nexec "{shutil.which("git")}" "$@"\n')
    write_script(bin_dir / "python3", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')

    shutil.copytree(PROJECT_ROOT / ".githooks", root / ".githooks")
    shutil.copytree(
        PROJECT_ROOT / "apps" / "core" / "analysis",
        root / "apps" / "core" / "analysis",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(PROJECT_ROOT / "apps" / "__init__.py", root / "apps" / "__init__.py")
    shutil.copy(PROJECT_ROOT / "apps" / "core" / "__init__.py", root / "apps" / "core" / "__init__.py")

    repository = Repository(root, bin_dir)
    repository.git("init", "-q")
    repository.git("config", "core.hooksPath", ".githooks")
    repository.git("add", ".")
    repository.git("commit", "-q", "--no-verify", "-m", "hooks and analyser")
    return repository


def test_hook_files_are_executable():
    for name in ("pre-commit", "validate-transaction-usage.py"):
        assert os.stat(PROJECT_ROOT / ".githooks" / name).st_mode & stat.S_IXUSR, name


def test_commit_with_unprotected_writes_is_refused_with_file_and_line(repo):
    result = repo.commit(repo.write("apps/shop/views.py", UNPROTECTED_VIEW))

    assert result.returncode != 0
    assert "apps/shop/views.py:7: TXN001 in OrderView.handle_valid_form" in result.output
    assert "writes (Order.objects.create, order.lines.bulk_create) run outside a transaction" in result.output
    assert "1 transaction issue(s) in 1 file(s)" in result.output
    assert "Commit refused" in result.output
    assert result.output.rstrip().endswith("git commit --no-verify")
    assert repo.commit_count() == 1


def test_commit_of_the_fixed_file_goes_through(repo):
    views = repo.write("apps/shop/views.py", UNPROTECTED_VIEW)
    assert repo.commit(views).returncode != 0

    views.write_text(PROTECTED_VIEW)
    result = repo.commit(views)

    assert result.returncode == 0, result.output
    assert repo.commit_count() == 2


def test_suppression_with_a_reason_commits(repo):
    views = repo.write("apps/shop/views.py", suppressed_view("# txn: ignore[TXN001] legacy import, removed soon"))
    result = repo.commit(views)
    assert result.returncode == 0, result.output


def test_suppression_without_a_reason_is_refused(repo):
    result = repo.commit(repo.write("apps/shop/views.py", suppressed_view("# txn: ignore[TXN001]")))
    assert result.returncode != 0
    assert "apps/shop/views.py:7: TXN005" in result.output


def test_the_staged_content_is_checked_not_the_working_copy(repo):
    views = repo.write("apps/shop/views.py", UNPROTECTED_VIEW)
    repo.git("add", "--", str(views))
    views.write_text(PROTECTED_VIEW)
    assert repo.commit().returncode != 0

    repo.git("add", "--", str(views))
    views.write_text(UNPROTECTED_VIEW)
    result = repo.commit()
    assert result.returncode == 0, result.output


def test_commit_all_checks_the_modified_tracked_files(repo):
    views = repo.write("apps/shop/views.py", PROTECTED_VIEW)
    assert repo.commit(views).returncode == 0

    views.write_text(UNPROTECTED_VIEW)
    result = repo.git("commit", "-a", "-m", "everything", check=False)

    assert result.returncode != 0
    assert "apps/shop/views.py:7: TXN001" in result.stdout + result.stderr


def test_file_names_with_spaces_are_checked(repo):
    result = repo.commit(repo.write("apps/shop/order views.py", UNPROTECTED_VIEW))
    assert result.returncode != 0
    assert "apps/shop/order views.py:7: TXN001" in result.output


def test_syntax_error_is_reported_not_a_traceback(repo):
    result = repo.commit(repo.write("apps/shop/broken.py", "def broken(:\n    pass\n"))
    assert result.returncode != 0
    assert "apps/shop/broken.py:1: TXN000" in result.output
    assert "Traceback" not in result.output


def test_commit_without_python_files_runs_no_checks(repo):
    result = repo.commit(repo.write("README.md", "# Shop\n"))
    assert result.returncode == 0, result.output
    assert "Transaction usage" not in result.output


def test_deleting_a_python_file_is_not_checked(repo):
    repo.git("rm", "-q", "apps/core/analysis/__init__.py")
    result = repo.commit()
    assert result.returncode == 0, result.output


def test_no_verify_is_the_escape_hatch(repo):
    result = repo.commit(repo.write("apps/shop/views.py", UNPROTECTED_VIEW), no_verify=True)
    assert result.returncode == 0, result.output


def test_missing_ruff_is_a_note_not_a_failure(repo):
    if shutil.which("ruff", path=repo.env["PATH"]):
        pytest.skip("ruff is installed system-wide")
    result = repo.commit(repo.write("apps/shop/views.py", PROTECTED_VIEW))
    assert result.returncode == 0, result.output
    assert "ruff is not on PATH" in result.output


def test_ruff_reads_each_staged_file(repo):
    log = repo.fake_ruff(exit_code=0)
    result = repo.commit(repo.write("apps/shop/order views.py", PROTECTED_VIEW))
    assert result.returncode == 0, result.output
    calls = log.read_text().splitlines()
    assert calls == [
        "check --quiet --force-exclude --stdin-filename apps/shop/order views.py -",
        "format --check --quiet --force-exclude --stdin-filename apps/shop/order views.py -",
    ]


def test_ruff_findings_refuse_the_commit(repo):
    repo.fake_ruff(exit_code=1)
    result = repo.commit(repo.write("apps/shop/views.py", PROTECTED_VIEW))
    assert result.returncode != 0
    assert "E999 fake ruff finding" in result.output
    assert "apps/shop/views.py: would be reformatted by ruff format" in result.output
    assert "ruff check --fix" in result.output
    assert "git commit --no-verify" in result.output


NOTIFICATIONS = """\
from .tasks import send_receipt


def notify_customer(order):
    send_receipt.delay(order.pk)
"""

CHECKOUT = """\
from django.db import transaction

from .notifications import notify_customer


def checkout(order):
    with transaction.atomic():
        order.save()
        notify_customer(order)
"""


def test_a_call_into_an_unchanged_file_of_the_tree_is_followed(repo):
    assert repo.commit(repo.write("apps/shop/notifications.py", NOTIFICATIONS)).returncode == 0

    result = repo.commit(repo.write("apps/shop/services.py", CHECKOUT))

    assert result.returncode != 0
    assert "apps/shop/services.py:9: TXN002 in checkout" in result.output
    assert "notify_customer() -> send_receipt.delay() at apps/shop/notifications.py:5" in result.output


def test_a_helper_of_an_unchanged_file_is_a_boundary_for_the_staged_one(repo):
    helper = "from contextlib import contextmanager\n\nfrom django.db import transaction\n\n\n"
    helper += "@contextmanager\ndef unit_of_work():\n    with transaction.atomic():\n        yield\n"
    assert repo.commit(repo.write("apps/shop/db.py", helper)).returncode == 0

    service = "from .db import unit_of_work\n\n\ndef pay(order):\n    with unit_of_work():\n"
    service += "        order.save()\n        order.receipt.send_task('receipts.send')\n"
    result = repo.commit(repo.write("apps/shop/payments.py", service))

    assert result.returncode != 0
    assert "apps/shop/payments.py:7: TXN002 in pay" in result.output


PEP_695 = "def first[T](items: list[T]) -> T:\n    return items[0]\n"


def test_newer_syntax_warns_and_commits_when_the_project_declares_that_python(repo):
    repo.write("pyproject.toml", '[project]\nrequires-python = ">=3.12"\n')
    result = repo.commit("pyproject.toml", repo.write("apps/shop/generic.py", PEP_695))

    assert result.returncode == 0, result.output
    if sys.version_info < (3, 12):
        assert "apps/shop/generic.py:1: TXN006 (warning)" in result.output
        assert "Python 3.12" in result.output


def test_newer_syntax_than_the_project_declares_is_refused(repo):
    repo.write("pyproject.toml", '[project]\nrequires-python = ">=3.10"\n')
    result = repo.commit("pyproject.toml", repo.write("apps/shop/generic.py", PEP_695))

    assert result.returncode != 0
    assert "needs Python 3.12, but the project declares requires-python >=3.10" in result.output


def test_a_staged_file_removed_from_the_working_copy_is_checked_as_staged(repo):
    views = repo.write("apps/shop/views.py", UNPROTECTED_VIEW)
    repo.git("add", "--", str(views))
    views.unlink()

    result = repo.commit()

    assert result.returncode != 0
    assert "apps/shop/views.py:7: TXN001" in result.output
