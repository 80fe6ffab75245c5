"""Every write path of peoples is all or nothing: each of its writes, failed in turn, leaves nothing."""

import pytest

from apps.peoples.models import People
from apps.peoples.services import create_person, update_person

pytestmark = pytest.mark.usefixtures("each_transaction_mode")


@pytest.fixture
def person(client_bt, site_bt):
    return create_person(
        author=None, username="pat", peoplecode="PAT01", peoplename="Pat", client=client_bt, site=site_bt
    )


def test_create_person(assert_all_or_nothing, author, client_bt, site_bt):
    assert_all_or_nothing(
        lambda: create_person(
            author=author,
            username="nia",
            peoplecode="NIA01",
            peoplename="Nia New",
            password="a long pass phrase",
            client=client_bt,
            site=site_bt,
            gender="F",
            reportto=author,
        )
    )


def test_update_person(assert_all_or_nothing, author, person):
    assert_all_or_nothing(
        lambda: update_person(
            author=author,
            person=People.objects.get(pk=person.pk),
            peoplename="Pat Renamed",
            gender="M",
            reportto=author,
        )
    )
