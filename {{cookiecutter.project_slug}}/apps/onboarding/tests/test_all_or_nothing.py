"""Every write path of onboarding is all or nothing: each of its writes, failed in turn, leaves nothing."""

import io

import pytest

from apps.onboarding import services
from apps.onboarding.imports import import_people
from apps.onboarding.models import Bt, SuperTypeAssist

pytestmark = pytest.mark.usefixtures("each_transaction_mode")


@pytest.fixture
def group(author):
    return services.create_super_type_assist(author=author, code="DEPARTMENT", name="Department")


def test_create_client(assert_all_or_nothing, author):
    assert_all_or_nothing(lambda: services.create_client(author=author, bucode="GLOBEX", buname="Globex"))


def test_create_site(assert_all_or_nothing, author, client_bt):
    assert_all_or_nothing(
        lambda: services.create_site(author=author, client=client_bt, bucode="ACME-NORTH", buname="Acme North")
    )


def test_update_business_unit(assert_all_or_nothing, author, site_bt):
    assert_all_or_nothing(
        lambda: services.update_business_unit(author=author, bu=Bt.objects.get(pk=site_bt.pk), buname="Acme HQ 2")
    )


def test_create_super_type_assist(assert_all_or_nothing, author):
    assert_all_or_nothing(lambda: services.create_super_type_assist(author=author, code="SHIFT", name="Shift"))


def test_create_type_assist(assert_all_or_nothing, author, group, client_bt):
    assert_all_or_nothing(
        lambda: services.create_type_assist(
            author=author, tatype=SuperTypeAssist.objects.get(pk=group.pk), tacode="OPS", taname="Ops", client=client_bt
        )
    )


def test_get_or_create_type_assist(assert_all_or_nothing, author):
    assert_all_or_nothing(
        lambda: services.get_or_create_type_assist(
            author=author, group_code="DESIGNATION", group_name="Designation", tacode="ENG", taname="Engineer"
        )
    )


def _import_or_raise(text, author):
    """A batch that rolled back is reported in the summary, not raised: raise it, for assert_all_or_nothing."""
    summary = import_people(io.StringIO(text), author=author)
    if summary.rejected:
        raise RuntimeError(f"rows rejected: {summary.rejected}")
    return summary


def test_import_people_batch(assert_all_or_nothing, author, site_bt):
    text = (
        "username,peoplecode,peoplename,client_code,site_code,gender\n"
        "ivy,IVY01,Ivy Import,ACME,ACME-HQ,F\n"
        "max,MAX01,Max Import,ACME,ACME-HQ,M\n"
    )
    assert_all_or_nothing(lambda: _import_or_raise(text, author))
