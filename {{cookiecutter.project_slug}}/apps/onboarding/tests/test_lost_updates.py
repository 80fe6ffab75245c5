"""Two concurrent edits of one client or one site: through the API both changes are kept; from two
edit pages opened at the same version, the second is refused and the first kept."""

import pytest
from django.urls import reverse

from apps.onboarding.models import Bt
from apps.peoples.tests.concurrency import (
    after,
    api_as,
    concurrent_db,
    needs_postgres_and_redis,
    run_concurrently,
    slow_updates,
    two_edits_from_one_version,
)

pytestmark = [needs_postgres_and_redis, concurrent_db]


@pytest.mark.parametrize("kind", ["clients", "sites"])
def test_two_concurrent_api_edits_of_one_business_unit_keep_both_changes(author, client_bt, site_bt, kind):
    unit = client_bt if kind == "clients" else site_bt
    url = f"/api/v1/{kind}/{unit.pk}/"
    with slow_updates("onboarding_bt", "NEW.buname = 'Slow rename'", 1.5):
        rename, address = run_concurrently(
            lambda: api_as(author).patch(url, {"buname": "Slow rename"}, format="json"),
            after(0.5, lambda: api_as(author).patch(url, {"address": "1 New Street"}, format="json")),
        )

    assert rename.value.status_code == 200, rename.value.content
    assert address.value.status_code == 200, address.value.content
    stored = Bt.objects.get(pk=unit.pk)
    assert (stored.buname, stored.address) == ("Slow rename", "1 New Street")


@pytest.mark.parametrize("kind", ["client", "site"])
def test_two_edit_pages_opened_on_one_business_unit_let_the_second_learn_it_lost(author, client_bt, site_bt, kind):
    unit = client_bt if kind == "client" else site_bt
    renamed, moved = two_edits_from_one_version(
        reverse(f"onboarding:{kind}-update", args=[unit.pk]),
        author,
        table="onboarding_bt",
        slow_change="NEW.buname = 'Slow rename'",
        first={"buname": "Slow rename"},
        second={"address": "1 New Street"},
    )

    assert renamed.status_code == 303, renamed.content[:2000]
    assert moved.status_code == 409, moved.content[:2000]
    assert "What is saved now" in moved.content.decode()
    stored = Bt.objects.get(pk=unit.pk)
    assert (stored.buname, stored.address, stored.version) == ("Slow rename", "", unit.version + 1)
