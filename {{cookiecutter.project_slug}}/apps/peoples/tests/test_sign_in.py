"""Everyone signs in on the project's own pages: not only staff, and never through the admin."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from apps.peoples.services import create_person

PASSWORD = "a long and unguessable passphrase"


def _technician(client_bt, site_bt):
    return create_person(
        author=None,
        username="tech",
        peoplecode="T1",
        peoplename="Tess Tech",
        email="tess@example.com",
        password=PASSWORD,
        client=client_bt,
        site=site_bt,
    )


def test_a_form_page_sends_a_visitor_to_the_sign_in_page(client, db):
    response = client.get(reverse("work_order_management:vendor-create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_a_non_staff_person_signs_in_on_the_sign_in_page(client, client_bt, site_bt):
    _technician(client_bt, site_bt)
    page = client.get(reverse("login")).content.decode()
    assert "staff account" not in page
    response = client.post(reverse("login"), {"username": "tech", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"].get_username() == "tech"
    assert "Sign out" in response.content.decode()


def test_a_wrong_password_shows_the_sign_in_form_again(client, client_bt, site_bt):
    _technician(client_bt, site_bt)
    response = client.post(reverse("login"), {"username": "tech", "password": "wrong"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert 'value="tech"' in response.content.decode()


def test_sign_out_is_a_post_and_ends_the_session(client, client_bt, site_bt):
    client.force_login(_technician(client_bt, site_bt))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_password_change_needs_the_old_password(client, client_bt, site_bt):
    person = _technician(client_bt, site_bt)
    client.force_login(person)
    url = reverse("password_change")
    new = "another long passphrase 42"
    refused = client.post(url, {"old_password": "wrong", "new_password1": new, "new_password2": new})
    assert refused.status_code == 200 and "old_password" in refused.context["form"].errors
    accepted = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert accepted.status_code == 302
    person.refresh_from_db()
    assert person.check_password(new)


def test_password_reset_mails_a_link_that_sets_a_new_password(client, client_bt, site_bt):
    person = _technician(client_bt, site_bt)
    client.post(reverse("password_reset"), {"email": "tess@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    new = "reset passphrase that is long"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert get_user_model().objects.get(pk=person.pk).check_password(new)


def test_the_admin_header_names_the_project(admin_client, settings):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert f"{settings.SITE_NAME} administration" in page
    assert "Django administration" not in page
