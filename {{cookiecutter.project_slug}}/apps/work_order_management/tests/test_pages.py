"""Work-order, permit and vendor pages: lists and details scoped to the client, actions as buttons."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.onboarding.models import Bt
from apps.peoples.services import create_person
from apps.work_order_management.models import PermitApproval, WorkOrder, WorkPermit
from apps.work_order_management.services import create_vendor, create_work_order

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def other_client_order(db):
    """A work order of another client, with that client's own staff author."""
    other = Bt.objects.create(bucode="OTHER", buname="Other Co", identifier=Bt.Identifier.CLIENT)
    other_site = Bt.objects.create(bucode="OTHER-1", buname="Other site", identifier=Bt.Identifier.SITE, parent=other)
    other_author = create_person(
        author=None, username="other", peoplecode="O1", peoplename="Otto", client=other, site=other_site
    )
    return create_work_order(author=other_author, description="Secret work of another client")


@pytest.fixture
def member(client, client_bt, site_bt):
    """A signed-in, non-staff person of the test client."""
    person = create_person(
        author=None, username="member", peoplecode="M1", peoplename="Mia Member", client=client_bt, site=site_bt
    )
    client.force_login(person)
    return person


def test_work_order_list_shows_only_the_clients_own_orders(client, member, workorder, other_client_order):
    page = client.get(reverse("work_order_management:workorder-list")).content.decode()
    assert workorder.number in page
    assert "Secret work of another client" not in page
    assert other_client_order.get_absolute_url() not in page


def test_another_clients_work_order_page_is_a_404(client, member, other_client_order):
    assert client.get(other_client_order.get_absolute_url()).status_code == 404
    response = client.post(reverse("work_order_management:workorder-status", args=[other_client_order.pk]))
    assert response.status_code == 404


def test_a_person_without_a_client_sees_no_work_order(client, db, workorder):
    nobody = create_person(author=None, username="nobody", peoplecode="N1", peoplename="No Body")
    client.force_login(nobody)
    assert workorder.number not in client.get(reverse("work_order_management:workorder-list")).content.decode()
    assert client.get(workorder.get_absolute_url()).status_code == 404


def test_work_order_list_runs_the_same_queries_for_5_and_30_orders(web_client, author, vendor):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert web_client.get(reverse("work_order_management:workorder-list")).status_code == 200
        return len(captured)

    for n in range(5):
        create_work_order(author=author, description=f"Order {n}", vendor=vendor)
    few = queries()
    for n in range(25):
        create_work_order(author=author, description=f"More {n}", vendor=vendor)
    assert queries() == few


def test_work_order_list_filters_and_searches(web_client, author, vendor):
    create_work_order(author=author, description="Fix the lift", vendor=vendor)
    create_work_order(author=author, description="Paint the hall", vendor=vendor)
    page = web_client.get(reverse("work_order_management:workorder-list"), {"q": "lift"}).content.decode()
    assert "Fix the lift" in page and "Paint the hall" not in page
    none = web_client.get(reverse("work_order_management:workorder-list"), {"workstatus": "CLOSED"})
    assert "Fix the lift" not in none.content.decode()


def test_work_order_detail_shows_its_history_and_moves_it_with_a_button(web_client, workorder):
    page = web_client.get(workorder.get_absolute_url()).content.decode()
    assert "History" in page and "Created" in page
    assert 'value="INPROGRESS"' in page
    response = web_client.post(
        reverse("work_order_management:workorder-status", args=[workorder.pk]), {"workstatus": "INPROGRESS"}, **BROWSER
    )
    assert response.status_code == 303
    assert WorkOrder.objects.get(pk=workorder.pk).workstatus == "INPROGRESS"
    follow = web_client.get(response["Location"]).content.decode()
    assert "is now in progress" in follow


def test_a_refused_transition_changes_nothing_and_says_why(web_client, workorder):
    response = web_client.post(
        reverse("work_order_management:workorder-status", args=[workorder.pk]),
        {"workstatus": "CLOSED"},
        follow=True,
        **BROWSER,
    )
    assert WorkOrder.objects.get(pk=workorder.pk).workstatus == "ASSIGNED"
    assert "Nothing was changed" in response.content.decode()


def test_verifier_then_approver_decide_a_permit_on_its_page(client, permit, verifier_person, approver_person):
    client.force_login(approver_person)
    assert "Your approval" not in client.get(permit.get_absolute_url()).content.decode()
    client.force_login(verifier_person)
    page = client.get(permit.get_absolute_url()).content.decode()
    assert "Verify the checklist" in page
    decide = reverse("work_order_management:workpermit-decide", args=[permit.pk])
    client.post(decide, {"role": "VERIFIER", "decision": "APPROVED"}, **BROWSER)
    client.force_login(approver_person)
    assert "Your approval" in client.get(permit.get_absolute_url()).content.decode()
    response = client.post(decide, {"role": "APPROVER", "decision": "APPROVED", "remarks": "go"}, **BROWSER)
    assert response.status_code == 303
    assert WorkPermit.objects.get(pk=permit.pk).status == "APPROVED"
    assert set(PermitApproval.objects.filter(permit=permit).values_list("decision", flat=True)) == {"APPROVED"}


def test_vendor_pages_list_and_show_the_vendor(web_client, author):
    vendor = create_vendor(author=author, code="V1", name="Vendor One")
    assert "Vendor One" in web_client.get(reverse("work_order_management:vendor-list")).content.decode()
    assert "V1" in web_client.get(vendor.get_absolute_url()).content.decode()
