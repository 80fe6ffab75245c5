import datetime

import pytest

from apps.core.testing import RowCounts
from apps.work_order_management.models import (
    Approver,
    PermitApproval,
    Vendor,
    WomDetails,
    WorkOrder,
    WorkOrderHistory,
    WorkOrderSequence,
    WorkPermit,
)

DETAILS = [
    {"question": "Is the area isolated?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True},
    {"question": "Gas reading (ppm)", "answertype": "NUMERIC", "answer": "4.5", "ismandatory": True},
    {"question": "Notes", "answertype": "TEXT", "answer": ""},
]


def _person(username, code, name, email, client, site):
    from apps.peoples.services import create_person

    return create_person(
        author=None,
        username=username,
        peoplecode=code,
        peoplename=name,
        email=email,
        client=client,
        site=site,
        roles=["technician"],
    )


@pytest.fixture
def details():
    return [dict(item) for item in DETAILS]


@pytest.fixture
def permit_type(author):
    from apps.onboarding.services import get_or_create_type_assist

    return get_or_create_type_assist(
        author=author, group_code="PERMITTYPE", group_name="Permit type", tacode="HOTWORK", taname="Hot work"
    )


@pytest.fixture
def approver_person(client_bt, site_bt):
    return _person("appr", "APPR01", "Alice Approver", "alice@example.com", client_bt, site_bt)


@pytest.fixture
def second_approver_person(client_bt, site_bt):
    return _person("appr2", "APPR02", "Arne Approver", "arne@example.com", client_bt, site_bt)


@pytest.fixture
def verifier_person(client_bt, site_bt):
    return _person("veri", "VERI01", "Victor Verifier", "victor@example.com", client_bt, site_bt)


@pytest.fixture
def approvers(author, site_bt, approver_person, verifier_person):
    """The site has one approver and one verifier of work permits."""
    from apps.work_order_management.services import create_approver

    return [
        create_approver(author=author, people=approver_person, identifier=Approver.Identifier.APPROVER, site=site_bt),
        create_approver(author=author, people=verifier_person, identifier=Approver.Identifier.VERIFIER, site=site_bt),
    ]


@pytest.fixture
def permit(author, site_bt, permit_type, approvers, details):
    from apps.work_order_management.services import create_work_permit

    author.email = "ada@example.com"
    author.save(update_fields=["email"])
    return create_work_permit(author=author, site=site_bt, permit_type=permit_type, details=details)


@pytest.fixture
def vendor(author):
    from apps.work_order_management.services import create_vendor

    return create_vendor(author=author, code="FIXIT", name="Fix-It Ltd", email="jobs@fixit.example")


@pytest.fixture
def asset(client_bt, site_bt):
    from apps.activity.models import Asset

    return Asset.objects.create(client=client_bt, site=site_bt, assetcode="AHU-1", assetname="Air handler 1")


@pytest.fixture
def workorder(author, vendor, asset, django_capture_on_commit_callbacks):
    """A committed work order: its after-commit work (the vendor's notice) has run, as it would have."""
    from django.core import mail

    from apps.work_order_management.services import create_work_order

    with django_capture_on_commit_callbacks(execute=True):
        order = create_work_order(author=author, description="Replace the filters", vendor=vendor, asset=asset)
    mail.outbox.clear()
    return order


@pytest.fixture
def wom_rows():
    """Take a snapshot of every table a work-order or permit write path can touch."""
    return lambda: RowCounts(
        Vendor, Approver, WorkOrder, WorkOrderSequence, WorkOrderHistory, WorkPermit, PermitApproval, WomDetails
    )


@pytest.fixture
def records(author, client_bt, site_bt, workorder, vendor, asset):
    """One record of each kind that has an edit page, by kind; all of the test client, edited by ``author``."""
    from apps.activity.services import create_job
    from apps.peoples.services import create_person

    start = datetime.datetime(2031, 3, 3, 8, 0, tzinfo=datetime.UTC)
    job = create_job(
        author=author, jobname="Inspect", asset=asset, fromdate=start, uptodate=start + datetime.timedelta(days=14)
    )
    person = create_person(
        author=author, username="pat", peoplecode="PAT01", peoplename="Pat", client=client_bt, site=site_bt
    )
    return {
        "workorder": workorder, "vendor": vendor, "person": person, "asset": asset, "job": job,
        "site": site_bt, "client": client_bt,
    }  # fmt: skip
