"""A person's concurrent edits: a deactivation is never undone by a password change, and an edit
form kept open while someone else saved the person is refused (409) with the current values."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from apps.peoples.models import People
from apps.peoples.services import create_person

from .concurrency import after, api_as, concurrent_db, needs_postgres_and_redis, run_concurrently, slow_updates

OLD_PASSWORD = "an old pass phrase 1"
NEW_PASSWORD = "a brand new pass phrase 2"


@pytest.fixture
def worker(client_bt, site_bt):
    return create_person(
        author=None, username="worker", peoplecode="WRK01", peoplename="Wendy Worker", password=OLD_PASSWORD,
        email="wendy@example.com", client=client_bt, site=site_bt,
    )  # fmt: skip


def _form_data(person, **changes):
    data = {
        "username": person.username, "peoplecode": person.peoplecode, "peoplename": person.peoplename,
        "email": person.email, "mobno": person.mobno, "client": person.client_id, "site": person.site_id,
        "version": person.version,
    }  # fmt: skip
    data.update(changes)
    return data


def _web_as(user):
    client = Client()
    client.force_login(user)
    return client


@needs_postgres_and_redis
@concurrent_db
def test_a_deactivation_and_a_concurrent_password_change_both_hold(author, worker):
    url = f"/api/v1/people/{worker.pk}/"
    with slow_updates("peoples_people", "OLD.is_active AND NOT NEW.is_active", 1.5):
        deactivation, password = run_concurrently(
            lambda: api_as(author).patch(url, {"is_active": False}, format="json"),
            after(0.3, lambda: api_as(author).patch(url, {"password": NEW_PASSWORD}, format="json")),
        )

    assert deactivation.value.status_code == 200, deactivation.value.content
    assert password.value.status_code == 200, password.value.content
    stored = People.objects.get(pk=worker.pk)
    assert stored.is_active is False
    assert stored.check_password(NEW_PASSWORD)
    assert authenticate(username="worker", password=NEW_PASSWORD) is None  # inactive: cannot sign in


@needs_postgres_and_redis
@concurrent_db
def test_two_edit_forms_opened_on_one_person_let_the_second_learn_it_lost(author, worker):
    url = f"/peoples/people/{worker.pk}/edit/"
    first = _form_data(worker, peoplename="Slow rename")
    second = _form_data(worker, email="other@example.com")
    with slow_updates("peoples_people", "NEW.peoplename = 'Slow rename'", 1.5):
        renamed, emailed = run_concurrently(
            lambda: _web_as(author).post(url, first),
            after(0.5, lambda: _web_as(author).post(url, second)),
        )

    assert renamed.value.status_code == 200, renamed.value.content
    assert emailed.value.status_code == 409, emailed.value.content
    body = emailed.value.json()
    assert body["error"] == "stale" and body["version"] == worker.version + 1
    assert body["current"]["peoplename"] == "Slow rename"
    stored = People.objects.get(pk=worker.pk)
    assert (stored.peoplename, stored.email) == ("Slow rename", "wendy@example.com")


@needs_postgres_and_redis
@concurrent_db
def test_an_admin_edit_of_a_person_deactivated_meanwhile_is_refused(author, admin_user, worker):
    admin_form = {
        "username": worker.username, "peoplecode": worker.peoplecode, "peoplename": "Renamed in the admin",
        "mobno": "", "email": worker.email, "is_active": "on", "date_joined_0": "2030-01-01",
        "date_joined_1": "00:00:00", "version": worker.version,
        "profile-TOTAL_FORMS": 1, "profile-INITIAL_FORMS": 1, "profile-0-id": worker.profile.pk,
        "profile-0-people": worker.pk, "profile-0-people_extras": "{}",
        "organizational-TOTAL_FORMS": 1, "organizational-INITIAL_FORMS": 1,
        "organizational-0-id": worker.organizational.pk, "organizational-0-people": worker.pk,
    }  # fmt: skip
    with slow_updates("peoples_people", "OLD.is_active AND NOT NEW.is_active", 1.5):
        deactivation, admin_edit = run_concurrently(
            lambda: api_as(author).patch(f"/api/v1/people/{worker.pk}/", {"is_active": False}, format="json"),
            after(0.3, lambda: _web_as(admin_user).post(f"/admin/peoples/people/{worker.pk}/change/", admin_form)),
        )

    assert deactivation.value.status_code == 200, deactivation.value.content
    assert admin_edit.value.status_code == 409, admin_edit.value.content[:2000]
    stored = People.objects.get(pk=worker.pk)
    assert (stored.is_active, stored.peoplename) == (False, "Wendy Worker")


@pytest.mark.django_db
def test_the_edit_form_carries_the_version_and_a_stale_one_answers_409_without_secrets(web_client, worker):
    url = f"/peoples/people/{worker.pk}/edit/"
    page = web_client.get(url).content.decode()
    assert f'name="version" value="{worker.version}"' in page
    assert web_client.post(url, _form_data(worker, peoplename="First")).status_code == 200

    stale = web_client.post(url, _form_data(worker, peoplename="Second", password="another pass phrase 3"))

    assert stale.status_code == 409, stale.content
    body = stale.json()
    assert body["current"]["peoplename"] == "First"
    assert "password" not in body["current"]
    stored = People.objects.get(pk=worker.pk)
    assert stored.peoplename == "First" and stored.check_password(OLD_PASSWORD)


@pytest.mark.django_db
def test_signing_in_does_not_make_an_open_edit_form_stale(client, web_client, worker):
    read_version = People.objects.get(pk=worker.pk).version
    assert client.login(username="worker", password=OLD_PASSWORD)
    assert People.objects.get(pk=worker.pk).version == read_version
