"""Creating a person is all or nothing: person, profile and organizational record together."""

import pytest
from django.db import transaction

from apps.core.testing import InjectedFault, RowCounts, fault_at
from apps.peoples import services, signals
from apps.peoples.models import People, PeopleOrganizational, PeopleProfile

PERSON_TABLES = (People, PeopleProfile, PeopleOrganizational)


def new_person(author, **extra):
    return services.create_person(
        author=author,
        username="newbie",
        peoplecode="NEW01",
        peoplename="New Person",
        gender="F",
        location="Gate 2",
        **extra,
    )


def test_person_gets_exactly_one_profile_and_organizational_record(author):
    person = new_person(author, client=author.client, site=author.site)
    assert PeopleProfile.objects.filter(people=person).count() == 1
    assert PeopleOrganizational.objects.filter(people=person).count() == 1
    person.refresh_from_db()
    assert person.profile.gender == "F"
    assert person.organizational.location == "Gate 2"
    assert person.cuser == author and person.muser == author


STEPS = [
    pytest.param(lambda: fault_at(People, "save"), id="save person"),
    pytest.param(lambda: fault_at(signals.PeopleProfile.objects, "create"), id="profile receiver"),
    pytest.param(lambda: fault_at(signals.PeopleOrganizational.objects, "create"), id="organizational receiver"),
    pytest.param(lambda: fault_at(PeopleProfile, "save"), id="profile details"),
    pytest.param(lambda: fault_at(PeopleOrganizational, "save"), id="organizational details"),
]


@pytest.mark.parametrize("fault", STEPS)
def test_person_creation_leaves_nothing_when_any_step_fails(author, fault):
    counts = RowCounts(*PERSON_TABLES)
    with fault(), pytest.raises(InjectedFault):
        new_person(author)
    assert counts.changed() == {}


@pytest.mark.django_db(transaction=True)
def test_person_created_inside_an_outer_transaction_that_rolls_back_leaves_nothing(client_bt):
    counts = RowCounts(*PERSON_TABLES)
    with pytest.raises(InjectedFault), transaction.atomic():
        new_person(None)
        raise InjectedFault("outer work failed after the person was created")
    assert counts.changed() == {}


def test_failing_receiver_through_the_api_answers_json_500_and_writes_nothing(api_client):
    counts = RowCounts(*PERSON_TABLES)
    with fault_at(signals.PeopleOrganizational.objects, "create"):
        response = api_client.post(
            "/api/v1/people/", {"username": "x", "peoplecode": "X1", "peoplename": "X"}, format="json"
        )
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert counts.changed() == {}
