from datetime import UTC, datetime, timedelta

import pytest

from apps.activity.models import Job
from apps.activity.services import create_asset, create_job


@pytest.fixture
def category(author):
    from apps.onboarding.services import get_or_create_type_assist

    return get_or_create_type_assist(
        author=author, group_code="ASSETCATEGORY", group_name="Asset category", tacode="PUMP", taname="Pump"
    )


@pytest.fixture
def technician(client_bt, site_bt):
    """A person of the test client who receives maintenance jobs by e-mail."""
    from apps.peoples.services import create_person

    return create_person(
        author=None,
        username="tech",
        peoplecode="TECH01",
        peoplename="Tom Tech",
        email="tom@example.com",
        client=client_bt,
        site=site_bt,
    )


@pytest.fixture
def asset(author, category):
    return create_asset(author=author, assetcode="P-1", assetname="Pump 1", category=category, location="Basement")


@pytest.fixture
def window():
    """Four weeks from a fixed Monday in the future: 4 weekly, 28 daily, 1 monthly occurrences."""
    start = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
    return start, start + timedelta(days=28)


@pytest.fixture
def job(author, asset, technician, window):
    return create_job(
        author=author,
        jobname="Inspect pump",
        asset=asset,
        people=technician,
        frequency=Job.Frequency.WEEKLY,
        fromdate=window[0],
        uptodate=window[1],
        planduration=30,
        gracetime=15,
    )
