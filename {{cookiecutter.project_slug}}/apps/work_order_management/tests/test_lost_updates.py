"""Two concurrent edits of one vendor (API, admin) or one work order (its edit page) keep both changes
or refuse the stale one."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.peoples.tests.concurrency import (
    after,
    api_as,
    concurrent_db,
    needs_postgres_and_redis,
    run_concurrently,
    slow_updates,
    two_edits_from_one_version,
    web_as,
)
from apps.work_order_management.models import Vendor, WorkOrder
from apps.work_order_management.services import create_vendor

pytestmark = [needs_postgres_and_redis, concurrent_db]


@pytest.fixture
def vendor(author, site_bt):
    return create_vendor(author=author, code="V-1", name="Fixit Ltd", email="desk@fixit.example", site=site_bt)


def test_two_concurrent_api_edits_of_one_vendor_keep_both_changes(author, vendor):
    url = f"/api/v1/vendors/{vendor.pk}/"
    with slow_updates("work_order_management_vendor", "NEW.name = 'Slow rename'", 1.5):
        rename, email = run_concurrently(
            lambda: api_as(author).patch(url, {"name": "Slow rename"}, format="json"),
            after(0.5, lambda: api_as(author).patch(url, {"email": "new@fixit.example"}, format="json")),
        )

    assert rename.value.status_code == 200, rename.value.content
    assert email.value.status_code == 200, email.value.content
    stored = Vendor.objects.get(pk=vendor.pk)
    assert (stored.name, stored.email) == ("Slow rename", "new@fixit.example")


def test_an_api_edit_with_the_etag_read_before_a_concurrent_edit_is_refused_with_412(author, vendor):
    url = f"/api/v1/vendors/{vendor.pk}/"
    tag = api_as(author).get(url)["ETag"]
    with slow_updates("work_order_management_vendor", "NEW.name = 'Slow rename'", 1.5):
        rename, email = run_concurrently(
            lambda: api_as(author).patch(url, {"name": "Slow rename"}, format="json", HTTP_IF_MATCH=tag),
            after(0.5, lambda: api_as(author).patch(url, {"email": "x@fix.example"}, format="json", HTTP_IF_MATCH=tag)),
        )

    assert rename.value.status_code == 200, rename.value.content
    assert email.value.status_code == 412, email.value.content
    stored = Vendor.objects.get(pk=vendor.pk)
    assert (stored.name, stored.email) == ("Slow rename", "desk@fixit.example")


def test_two_edit_forms_opened_on_one_vendor_let_the_second_learn_it_lost(author, vendor):
    url = f"/work-orders/vendors/{vendor.pk}/edit/"
    fields = {"code": vendor.code, "name": vendor.name, "email": vendor.email, "mobno": "", "address": "",
              "enable": "on", "version": vendor.version}  # fmt: skip

    def web():
        return web_as(author)

    assert f'name="version" value="{vendor.version}"' in web().get(url).content.decode()
    with slow_updates("work_order_management_vendor", "NEW.name = 'Slow rename'", 1.5):
        rename, email = run_concurrently(
            lambda: web().post(url, {**fields, "name": "Slow rename"}),
            after(0.5, lambda: web().post(url, {**fields, "email": "form@fixit.example"})),
        )

    assert rename.value.status_code == 200, rename.value.content
    assert email.value.status_code == 409, email.value.content
    assert email.value.json()["current"]["name"] == "Slow rename"
    stored = Vendor.objects.get(pk=vendor.pk)
    assert (stored.name, stored.email) == ("Slow rename", "desk@fixit.example")


def test_an_admin_edit_of_a_vendor_renamed_meanwhile_is_refused(author, admin_user, vendor):
    admin = Client()
    admin.force_login(admin_user)
    form = {
        "code": vendor.code, "name": vendor.name, "email": "admin@fixit.example", "mobno": "", "address": "",
        "enable": "on", "client": vendor.client_id, "site": vendor.site_id, "version": vendor.version,
    }  # fmt: skip
    with slow_updates("work_order_management_vendor", "NEW.name = 'Slow rename'", 1.5):
        rename, admin_edit = run_concurrently(
            lambda: api_as(author).patch(f"/api/v1/vendors/{vendor.pk}/", {"name": "Slow rename"}, format="json"),
            after(0.5, lambda: admin.post(f"/admin/work_order_management/vendor/{vendor.pk}/change/", form)),
        )

    assert rename.value.status_code == 200, rename.value.content
    assert admin_edit.value.status_code == 409, admin_edit.value.content[:2000]
    stored = Vendor.objects.get(pk=vendor.pk)
    assert (stored.name, stored.email) == ("Slow rename", "desk@fixit.example")


def test_two_edit_pages_opened_on_one_work_order_let_the_second_learn_it_lost(author, workorder):
    described, prioritised = two_edits_from_one_version(
        reverse("work_order_management:workorder-update", args=[workorder.pk]),
        author,
        table="work_order_management_workorder",
        slow_change="NEW.description = 'Slow edit'",
        first={"description": "Slow edit"},
        second={"priority": "HIGH"},
    )

    assert described.status_code == 303, described.content[:2000]
    assert prioritised.status_code == 409, prioritised.content[:2000]
    page = prioritised.content.decode()
    assert "What is saved now" in page and "Slow edit" in page
    stored = WorkOrder.objects.get(pk=workorder.pk)
    assert (stored.description, stored.priority, stored.version) == ("Slow edit", "MEDIUM", workorder.version + 1)
