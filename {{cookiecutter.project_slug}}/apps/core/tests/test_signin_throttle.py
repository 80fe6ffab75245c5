"""Guessing passwords is throttled per username and per address, on the token endpoint and login pages alike.

The counters live on the project's cache: Redis when REDIS_URL is set, so these tests then
exercise Redis's own counters and expiry.
"""

import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.views import LoginView
from django.urls import path
from rest_framework.test import APIClient

from config import urls as project_urls

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "correct horse battery staple"

# A public sign-in page built on Django's LoginView, as the project's own will be.
urlpatterns = [
    path("signin/", LoginView.as_view(template_name="core/form.html", extra_context={"title": "Sign in"})),
    *project_urls.urlpatterns,
]


@pytest.fixture
def limits(settings):
    settings.SIGNIN_FAILURE_LIMIT_PER_USERNAME = 5
    settings.SIGNIN_FAILURE_LIMIT_PER_ADDRESS = 20
    settings.SIGNIN_COOLOFF_SECONDS = 2
    return settings


def person(username, **extra):
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, peoplecode=username.upper(), peoplename=username, **extra
    )


def token(api, username, password, address="10.0.0.1"):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


@pytest.mark.django_db
def test_forty_wrong_passwords_are_throttled_and_the_right_one_waits_for_the_cool_off(limits):
    person("victim")
    api = APIClient()
    answers = [token(api, "victim", f"guess-{n}") for n in range(40)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[:4] == [400] * 4
    assert statuses[4:] == [429] * 36
    refused = answers[-1]
    assert refused["Content-Type"] == "application/json"
    assert 1 <= int(refused["Retry-After"]) <= 2
    assert refused.json()["retry_after"] == int(refused["Retry-After"])
    assert "Too many failed sign-ins" in refused.json()["detail"]

    right_too_early = token(api, "victim", PASSWORD)
    assert right_too_early.status_code == 429
    assert "token" not in right_too_early.json()

    time.sleep(int(right_too_early["Retry-After"]) + 0.2)
    after_cool_off = token(api, "victim", PASSWORD)
    assert after_cool_off.status_code == 200, after_cool_off.content
    assert after_cool_off.json()["token"]


@pytest.mark.django_db
def test_a_successful_sign_in_resets_the_count(limits):
    person("forgetful")
    api = APIClient()
    assert [token(api, "forgetful", "typo").status_code for _ in range(4)] == [400] * 4
    assert token(api, "forgetful", PASSWORD).status_code == 200
    assert [token(api, "forgetful", "typo").status_code for _ in range(4)] == [400] * 4
    assert token(api, "forgetful", "typo").status_code == 429


@pytest.mark.django_db
def test_an_attacker_locks_out_the_attacked_username_but_nobody_else(limits):
    person("victim")
    person("bystander")
    api = APIClient()
    for n in range(40):
        token(api, "victim", f"guess-{n}", address="10.0.0.66")

    # The per-username rule: the attacked account waits out the cool-off from every address.
    assert token(api, "victim", PASSWORD, address="10.0.0.7").status_code == 429
    # Another user from another address signs in as usual.
    assert token(api, "bystander", PASSWORD, address="10.0.0.8").status_code == 200


@pytest.mark.django_db
def test_one_address_guessing_many_usernames_is_throttled_by_the_address_limit(limits):
    person("bystander")
    api = APIClient()
    statuses = [token(api, f"user{n}", "guess", address="10.0.0.99").status_code for n in range(25)]
    assert statuses[:19] == [400] * 19
    assert statuses[19:] == [429] * 6
    # The address is refused for every username, also with the right password.
    assert token(api, "bystander", PASSWORD, address="10.0.0.99").status_code == 429
    assert token(api, "bystander", PASSWORD, address="10.0.0.100").status_code == 200


@pytest.mark.django_db
def test_the_admin_login_page_is_throttled_alike(client, limits):
    person("staffer", is_staff=True)
    url = "/admin/login/?next=/admin/"
    pages = [client.post(url, {"username": "staffer", "password": "wrong"}, REMOTE_ADDR="10.0.1.1") for _ in range(5)]
    assert [page.status_code for page in pages] == [200] * 4 + [429]
    refused = pages[-1]
    assert refused["Content-Type"].startswith("text/html")
    assert 1 <= int(refused["Retry-After"]) <= 2
    assert b"Too many failed sign-ins" in refused.content

    right_too_early = client.post(url, {"username": "staffer", "password": PASSWORD}, REMOTE_ADDR="10.0.1.1")
    assert right_too_early.status_code == 429
    assert "_auth_user_id" not in client.session

    time.sleep(int(right_too_early["Retry-After"]) + 0.2)
    signed_in = client.post(url, {"username": "staffer", "password": PASSWORD}, REMOTE_ADDR="10.0.1.1")
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_any_login_view_built_on_django_authenticate_is_throttled(client, limits):
    person("worker")
    posts = [client.post("/signin/", {"username": "worker", "password": "wrong"}) for _ in range(5)]
    assert [post.status_code for post in posts] == [200] * 4 + [429]
    assert b"Too many failed sign-ins" in posts[-1].content
    assert client.post("/signin/", {"username": "worker", "password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_sign_ins_without_a_request_are_not_counted(limits):
    from django.contrib.auth import authenticate

    person("scripted")
    assert all(authenticate(username="scripted", password="wrong") is None for _ in range(10))
    assert authenticate(username="scripted", password=PASSWORD) is not None
    assert token(APIClient(), "scripted", PASSWORD).status_code == 200


def test_a_usernames_count_belongs_to_its_database_alias_and_an_address_count_to_all(limits):
    from apps.core.services.transaction_manager import use_database
    from apps.core.signin import throttle

    with use_database("tenant_x"):
        for _ in range(5):
            throttle.record_failure("victim", "10.0.2.1")
        assert throttle.refusal("victim", "10.0.2.2").kind == throttle.USERNAME
    assert throttle.refusal("victim", "10.0.2.2") is None  # the same name on another tenant
    for _ in range(15):
        throttle.record_failure(None, "10.0.2.1")
    assert throttle.refusal("someone", "10.0.2.1").kind == throttle.ADDRESS
