"""Two concurrent edits of one client or one site through the API keep both changes."""

import pytest

from apps.onboarding.models import Bt
from apps.peoples.tests.concurrency import (
    after,
    api_as,
    concurrent_db,
    needs_postgres_and_redis,
    run_concurrently,
    slow_updates,
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
