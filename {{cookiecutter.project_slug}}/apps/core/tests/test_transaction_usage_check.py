"""`manage.py check` reports the analyser's findings: warnings in development, errors otherwise."""

from pathlib import Path

from django.core.checks import Error, Warning
from django.test import override_settings

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
