"""``createsuperuser`` and the manager's ``create_user``: repeatable, complete, all or nothing."""

import pytest
from django.core.management import call_command

from apps.core.testing import InjectedFault, RowCounts, fault_at
from apps.peoples import signals
from apps.peoples.models import People, PeopleOrganizational, PeopleProfile

PERSON_TABLES = (People, PeopleProfile, PeopleOrganizational)


def create_superuser(username):
    call_command("createsuperuser", "--noinput", username=username, email=f"{username}@example.com", verbosity=0)
    return People.objects.get(username=username)


@pytest.mark.django_db
def test_createsuperuser_works_again_and_again_with_a_code_each():
    first = create_superuser("admin")
    second = create_superuser("admin2")
    third = create_superuser("Admin")
    assert [first.peoplecode, second.peoplecode, third.peoplecode] == ["ADMIN", "ADMIN2", "ADMIN-2"]
    for person in (first, second, third):
        assert person.is_superuser and person.is_staff
        assert PeopleProfile.objects.filter(people=person).count() == 1
        assert PeopleOrganizational.objects.filter(people=person).count() == 1
        assert person.peoplename == person.username


@pytest.mark.django_db
def test_create_user_keeps_a_given_code_and_name():
    person = People.objects.create_user("tara", "tara@example.com", "s3cret-pass", peoplecode="T1", peoplename="Tara")
    assert (person.peoplecode, person.peoplename, person.is_staff) == ("T1", "Tara", False)
    assert person.check_password("s3cret-pass")
    assert person.profile.pk and person.organizational.pk


@pytest.mark.parametrize("receiver", ["PeopleProfile", "PeopleOrganizational"])
@pytest.mark.django_db(transaction=True)
def test_createsuperuser_leaves_nothing_when_a_profile_row_fails(receiver):
    counts = RowCounts(*PERSON_TABLES)
    with fault_at(getattr(signals, receiver).objects, "create"), pytest.raises(InjectedFault):
        create_superuser("admin")
    assert counts.changed() == {}
