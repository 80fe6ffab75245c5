"""The people API and form view: validated input, one transaction, clear errors."""

import pytest

from apps.core.testing import RowCounts
from apps.peoples.models import People, PeopleOrganizational, PeopleProfile


def test_anonymous_api_call_is_refused(client_bt):
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/people/")
    assert response.status_code == 401


def test_api_creates_a_person_with_profile_and_organization(api_client, client_bt, site_bt):
    response = api_client.post(
        "/api/v1/people/",
        {
            "username": "jdoe",
            "password": "s3cret-enough-pass",
            "peoplecode": "JD01",
            "peoplename": "Jane Doe",
            "client": client_bt.pk,
            "site": site_bt.pk,
            "gender": "F",
            "location": "North gate",
        },  # fmt: skip
        format="json",
    )
    assert response.status_code == 201, response.content
    person = People.objects.get(peoplecode="JD01")
    assert person.check_password("s3cret-enough-pass")
    assert person.profile.gender == "F"
    assert person.organizational.location == "North gate"
    assert "password" not in response.json()


def test_api_update_changes_profile_in_the_same_transaction(api_client, author):
    response = api_client.patch(f"/api/v1/people/{author.pk}/", {"location": "Control room"}, format="json")
    assert response.status_code == 200, response.content
    author.organizational.refresh_from_db()
    assert author.organizational.location == "Control room"


def test_invalid_person_gets_400_with_field_errors_and_writes_nothing(api_client, client_bt):
    from apps.onboarding.models import Bt

    other_client = Bt.objects.create(bucode="OTHER", buname="Other", identifier="CLIENT")
    foreign_site = Bt.objects.create(bucode="OTHER-1", buname="Other 1", identifier="SITE", parent=other_client)
    counts = RowCounts(People, PeopleProfile, PeopleOrganizational)
    response = api_client.post(
        "/api/v1/people/",
        {"username": "", "peoplecode": "Z1", "peoplename": "Z", "client": client_bt.pk, "site": foreign_site.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "username" in response.json()
    assert counts.changed() == {}


def test_duplicate_code_in_the_same_client_gets_409_not_500(api_client, author, client_bt):
    body = {"username": "another", "peoplecode": author.peoplecode, "peoplename": "Dup", "client": client_bt.pk}
    response = api_client.post("/api/v1/people/", body, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "client": ["Person with this Client and Code already exists."],
        "peoplecode": ["Person with this Client and Code already exists."],
    }


def test_the_same_code_in_another_client_is_allowed(api_client, author):
    from apps.onboarding.models import Bt

    other = Bt.objects.create(bucode="OTHER", buname="Other", identifier=Bt.Identifier.CLIENT)
    body = {"username": "another", "peoplecode": author.peoplecode, "peoplename": "Twin", "client": other.pk}
    response = api_client.post("/api/v1/people/", body, format="json")
    assert response.status_code == 201, response.json()


def test_form_view_creates_a_person_and_answers_json(web_client, client_bt, site_bt):
    response = web_client.post(
        "/peoples/people/new/",
        {
            "username": "formuser",
            "peoplecode": "F01",
            "peoplename": "Form User",
            "client": client_bt.pk,
            "site": site_bt.pk,
        },
    )
    assert response.status_code == 201, response.content
    person = People.objects.get(pk=response.json()["pk"])
    assert person.profile and person.organizational


def test_form_view_rejects_invalid_input_with_field_errors(web_client):
    counts = RowCounts(People, PeopleProfile, PeopleOrganizational)
    response = web_client.post("/peoples/people/new/", {"username": "", "peoplecode": "", "peoplename": ""})
    assert response.status_code == 400
    assert {"username", "peoplecode", "peoplename"} <= set(response.json()["errors"])
    assert counts.changed() == {}


def test_form_view_requires_login(client, db):
    response = client.get("/peoples/people/new/")
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/peoples/people/new/"])
def test_form_page_renders_for_signed_in_user(web_client, path):
    response = web_client.get(path)
    assert response.status_code == 200
    assert b"<form" in response.content
