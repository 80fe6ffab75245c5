"""The dispatch to a vendor is a saga: what ``assert_all_or_nothing`` finds is its compensation, and only that."""

import pytest

from apps.core.testing import NotAllOrNothing
from apps.work_order_management.models import WorkOrder, WorkOrderHistory
from apps.work_order_management.services import dispatch_work_order_to_vendor


@pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)
def test_dispatch_saga_leaves_only_its_documented_cancellation(assert_all_or_nothing, author, workorder):
    """The dispatch is a saga, not one transaction: its steps commit one by one and a failure is compensated.

    assert_all_or_nothing shows what the compensation leaves, and only that: the order itself always ends as
    it was; once the vendor was told of the dispatch, a DISPATCH_CANCELLED history entry remains
    and the vendor is told of the cancellation too.
    """
    with pytest.raises(NotAllOrNothing) as caught:
        assert_all_or_nothing(
            lambda: dispatch_work_order_to_vendor(author=author, workorder=WorkOrder.objects.get(pk=workorder.pk))
        )

    report = str(caught.value)
    assert f"{WorkOrder._meta.db_table}:" not in report
    assert report.count(f"{WorkOrderHistory._meta.db_table}: 1 row(s) left behind") == report.count("failed, and:")
    assert report.count("e-mail sent: 'Work order WO-") == 2 * report.count("failed, and:")
    assert WorkOrderHistory.objects.filter(action=WorkOrderHistory.Action.DISPATCH_CANCELLED).count() == 0
