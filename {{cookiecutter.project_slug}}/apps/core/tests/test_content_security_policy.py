"""Pages send a Content-Security-Policy that allows no inline script or style, and need none."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import get_template
from django.urls import reverse

INLINE_STYLE = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_STYLE_BLOCK = re.compile(r"<style[\s>]", re.IGNORECASE)


@pytest.fixture
def staff(client, db):
    person = get_user_model().objects.create_user(
        username="ops", password="x-long-enough-password", peoplecode="OPS", peoplename="Ops", is_staff=True,
        is_superuser=True,
    )  # fmt: skip
    client.force_login(person)
    return person


def test_the_policy_allows_no_inline_code(client, db):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db(databases=["default", "monitoring"])
@pytest.mark.parametrize(
    "name",
    ["home", "login", "password_reset", "admin:index", "transaction-health-dashboard", "password_change", "api-docs"],
)
def test_pages_carry_no_inline_script_or_style(name, client, staff):
    page = client.get(reverse(name)).content.decode()
    assert not INLINE_STYLE.search(page), INLINE_STYLE.search(page)
    assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page)
    assert not INLINE_STYLE_BLOCK.search(page)


@pytest.mark.parametrize(
    "template",
    [
        "base.html",
        "core/form.html",
        "core/list.html",
        "core/detail.html",
        "core/home.html",
        "core/api_docs.html",
        "core/request_too_large.html",
    ],  # fmt: skip
)
def test_the_project_templates_carry_no_inline_script_or_style(template):
    source = get_template(template).template.source
    assert not INLINE_STYLE.search(source)
    assert not INLINE_SCRIPT.search(source)
    assert not INLINE_STYLE_BLOCK.search(source)
