"""`manage.py check` reports the analyser's findings: warnings in development, errors otherwise."""

import json
import os
from pathlib import Path

import pytest
from django.core.checks import Error, Warning
from django.test import override_settings

from apps.core.analysis.cache import default_cache_file
from apps.core.checks import check_transaction_usage

UNPROTECTED_VIEW = """
from apps.core.views.forms import AtomicFormView


class PlainView:
    def handle_valid_form(self, form, request, create):
        first = form.save()
        first.refresh_from_db()
        return first.tags.create(name="x")
"""


def test_the_project_itself_has_no_findings():
    assert check_transaction_usage(None) == []


@pytest.fixture(autouse=True)
def _drop_cache_files(tmp_path):
    """The check caches its result in the temporary directory, per project: drop the test's."""
    yield
    default_cache_file(tmp_path).unlink(missing_ok=True)


def make_project(tmp_path):
    (tmp_path / "apps" / "shop").mkdir(parents=True)
    (tmp_path / "config").mkdir()
    (tmp_path / "apps" / "shop" / "views.py").write_text(UNPROTECTED_VIEW)
    return tmp_path


def test_a_finding_is_a_warning_while_developing(tmp_path):
    with override_settings(BASE_DIR=make_project(tmp_path), DEBUG=True):
        [message] = check_transaction_usage(None)
    assert isinstance(message, Warning) and not isinstance(message, Error)
    assert message.id == "core.TXN001"
    assert "apps/shop/views.py:6" in message.msg
    assert "PlainView.handle_valid_form" in message.msg


def test_a_finding_is_an_error_in_production(tmp_path):
    with override_settings(BASE_DIR=Path(make_project(tmp_path)), DEBUG=False):
        [message] = check_transaction_usage(None)
    assert isinstance(message, Error)


TWO_WRITES_SERVICE = "def merge(keep, drop):\n    keep.save()\n    drop.delete()\n"


def test_the_result_is_reused_until_a_file_of_the_tree_changes(tmp_path):
    from apps.core.analysis.cache import cached_findings

    project = make_project(tmp_path)
    cache = tmp_path / "cache.json"
    [first] = cached_findings([project / "apps"], root=project, cache_file=cache)
    assert first.code == "TXN001"

    # What is stored is what is returned while nothing changes: the tree is not analysed again.
    stored = json.loads(cache.read_text())
    stored["findings"][0]["message"] = "as stored"
    cache.write_text(json.dumps(stored))
    [again] = cached_findings([project / "apps"], root=project, cache_file=cache)
    assert again.message == "as stored"

    # Any file of the tree changing (here a new one) means a fresh analysis.
    (project / "apps" / "shop" / "services.py").write_text(TWO_WRITES_SERVICE)
    fresh = cached_findings([project / "apps"], root=project, cache_file=cache)
    assert sorted(finding.path for finding in fresh) == ["apps/shop/services.py", "apps/shop/views.py"]
    assert all(finding.message != "as stored" for finding in fresh)


def test_a_changed_file_of_the_same_size_invalidates_the_result(tmp_path):
    from apps.core.analysis.cache import cached_findings

    project = make_project(tmp_path)
    cache = tmp_path / "cache.json"
    assert len(cached_findings([project / "apps"], root=project, cache_file=cache)) == 1
    view = project / "apps" / "shop" / "views.py"
    fixed = UNPROTECTED_VIEW.replace("class PlainView:", "class PlainView(AtomicFormView):")
    view.write_text(fixed)
    os.utime(view, ns=(view.stat().st_atime_ns, view.stat().st_mtime_ns + 1_000_000_000))
    assert cached_findings([project / "apps"], root=project, cache_file=cache) == []


def test_the_check_can_be_switched_off(tmp_path):
    with override_settings(BASE_DIR=make_project(tmp_path), DEBUG=True, TRANSACTION_USAGE_CHECK=False):
        assert check_transaction_usage(None) == []
