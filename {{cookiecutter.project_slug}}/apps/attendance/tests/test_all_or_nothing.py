"""Every write path of attendance is all or nothing: each of its writes, failed in turn, leaves nothing."""

import pytest

from apps.attendance.services import check_in, check_out
from apps.peoples.models import People

pytestmark = pytest.mark.usefixtures("each_transaction_mode")


def test_check_in(assert_all_or_nothing, author, guard):
    assert_all_or_nothing(lambda: check_in(author=author, people=People.objects.get(pk=guard.pk), lat=51.5, lng=-0.1))


def test_check_out(assert_all_or_nothing, author, guard):
    check_in(author=author, people=guard)
    assert_all_or_nothing(
        lambda: check_out(author=author, people=People.objects.get(pk=guard.pk), lat=51.5, lng=-0.1, remarks="Done")
    )
