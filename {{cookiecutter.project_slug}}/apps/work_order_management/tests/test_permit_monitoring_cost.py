"""Watching a permit creation costs it nothing: no monitoring query, no savepoint."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from apps.core.services import monitoring_metrics
from apps.work_order_management.services import create_work_permit


@pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)
def test_a_committed_permit_creation_adds_no_query_for_monitoring(author, site_bt, permit_type, approvers, details):
    connections["monitoring"].ensure_connection()
    monitoring_metrics.drain()
    with (
        CaptureQueriesContext(connections["default"]) as default,
        CaptureQueriesContext(connections["monitoring"]) as monitoring,
    ):
        permit = create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)
    assert permit.details.count() == len(details)
    assert monitoring.captured_queries == []
    statements = [query["sql"] for query in default.captured_queries]
    assert not [sql for sql in statements if "core_transaction" in sql or "core_saga" in sql]
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()]
    drained = monitoring_metrics.drain().items()
    assert [bucket.commits for key, bucket in drained if key[2].endswith("create_work_permit")] == [1]
