"""The start page: visitors are asked to sign in; signed-in people see their day."""

from django.contrib.auth import get_user_model


def test_visitors_are_invited_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/accounts/login/"' in page
    assert "Transaction health" not in page


def test_staff_see_their_day_and_the_transaction_dashboard_link(client, db):
    staff = get_user_model().objects.create_user(
        username="ops", password="x-long-enough-password", peoplecode="OPS", peoplename="Ops", is_staff=True
    )
    client.force_login(staff)
    response = client.get("/")
    page = response.content.decode()
    assert "Your day" in page and "Attendance" in page
    assert 'href="/admin/transaction-health/"' in page
