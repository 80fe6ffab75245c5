"""The start page links to the forms that exist, and staff to the transaction dashboard."""

from django.contrib.auth import get_user_model


def test_home_lists_the_form_views(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"New work permit" in response.content
    assert b"Transaction health" not in response.content


def test_staff_see_the_transaction_dashboard_link(client, db):
    staff = get_user_model().objects.create_user(
        username="ops", password="x-long-enough-password", peoplecode="OPS", peoplename="Ops", is_staff=True
    )
    client.force_login(staff)
    response = client.get("/")
    assert b'href="/admin/transaction-health/"' in response.content
