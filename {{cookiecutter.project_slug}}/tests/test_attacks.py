"""The attacks once found against the project, sent as an attacker sends them, and refused.

Each test signs in as a real person of client A (a token or a session, as a browser or a script
would) and tries something that once worked: taking over an account by setting its password,
reading and changing client B's records, acting without a client, appointing oneself approver,
putting a person at another client's site.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.activity.services import create_asset
from apps.onboarding.models import Bt
from apps.peoples.services import create_person
from apps.work_order_management.models import Approver, PermitApproval, WorkOrder, WorkPermit
from apps.work_order_management.services import create_approver, create_vendor, create_work_order, create_work_permit

API = "/api/v1"
PASSWORD = "correct horse battery staple"
People = get_user_model()


def _token_client(person):
    token, _ = Token.objects.get_or_create(user=person)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def other_client(db):
    client = Bt.objects.create(bucode="OTHER", buname="Other Ltd", identifier=Bt.Identifier.CLIENT)
    site = Bt.objects.create(bucode="OTHER-HQ", buname="Other HQ", identifier=Bt.Identifier.SITE, parent=client)
    return client, site


@pytest.fixture
def superuser(db):
    return People.objects.create_superuser(
        username="root", password=PASSWORD, peoplecode="ROOT", peoplename="Root", email="root@example.com"
    )


# Account takeover
# ------------------------------------------------------------------------------


def test_a_technician_cannot_set_the_superusers_password_over_the_api(member, superuser):
    response = _token_client(member("technician")).patch(
        f"{API}/people/{superuser.pk}/", {"password": "pwned-pwned-pwned"}, format="json"
    )
    assert response.status_code == 404  # a person of no client is not even visible
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)


def test_a_technician_cannot_set_a_colleagues_password(member):
    colleague = member("supervisor")
    attacker = _token_client(member("technician"))
    for response in (
        attacker.patch(f"{API}/people/{colleague.pk}/", {"password": "pwned-pwned-pwned"}, format="json"),
        attacker.post(f"{API}/people/{colleague.pk}/password/", {"password": "pwned-pwned-pwned"}, format="json"),
    ):
        assert response.status_code == 403
    colleague.refresh_from_db()
    assert colleague.check_password(PASSWORD)


def test_a_client_admin_cannot_touch_platform_staff_of_the_same_client(member, client_bt, site_bt):
    staff = create_person(
        author=None, username="ops", peoplecode="OPS", peoplename="Ops", password=PASSWORD, client=client_bt,
        site=site_bt, is_staff=True,
    )  # fmt: skip
    admin = _token_client(member("client_admin"))
    assert admin.patch(f"{API}/people/{staff.pk}/", {"password": "pwned-pwned-pwned"}, format="json").status_code == 403
    assert admin.post(f"{API}/people/{staff.pk}/password/", {"password": "pwned-pwned"}).status_code == 403
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_the_people_form_route_refuses_the_same_takeover(client, member, superuser, client_bt, site_bt):
    technician = member("technician")
    colleague = member("supervisor")
    client.force_login(technician)
    body = {"username": colleague.username, "peoplecode": colleague.peoplecode, "peoplename": "x",
            "client": client_bt.pk, "site": site_bt.pk, "password": "pwned-pwned-pwned"}  # fmt: skip
    assert client.post(f"/peoples/people/{superuser.pk}/edit/", {**body, "username": "root"}).status_code == 404
    assert client.post(f"/peoples/people/{colleague.pk}/edit/", body).status_code == 403
    colleague.refresh_from_db()
    superuser.refresh_from_db()
    assert colleague.check_password(PASSWORD) and superuser.check_password(PASSWORD)


def test_the_owner_changes_their_password_only_with_the_old_one(member):
    person = member("technician")
    own = _token_client(person)
    refused = own.post(f"{API}/people/{person.pk}/password/", {"password": "a-new-long-password"})
    assert refused.status_code == 400
    assert "old_password" in refused.json()["errors"]
    wrong = own.post(f"{API}/people/{person.pk}/password/", {"password": "a-new-one-x", "old_password": "guess"})
    assert wrong.status_code == 400
    done = own.post(f"{API}/people/{person.pk}/password/", {"password": "a-new-long-one", "old_password": PASSWORD})
    assert done.status_code == 204
    person.refresh_from_db()
    assert person.check_password("a-new-long-one")


def test_a_reset_by_a_client_admin_revokes_the_persons_tokens_and_sessions(client, member):
    person = member("technician")
    token_client = _token_client(person)
    client.force_login(person)
    assert client.get("/attendance/events/new/").status_code == 200
    admin = _token_client(member("client_admin"))
    assert admin.post(f"{API}/people/{person.pk}/password/", {"password": "reset-by-admin-1"}).status_code == 204
    assert not Token.objects.filter(user=person).exists()
    assert token_client.get(f"{API}/people/").status_code == 401
    assert client.get("/attendance/events/new/").status_code == 302  # the session ended with the old password


# People: staff flags, roles, client and site
# ------------------------------------------------------------------------------


def test_a_client_admin_gives_roles_within_the_client_but_never_staff(member):
    person = member("technician")
    admin = _token_client(member("client_admin"))
    response = admin.patch(
        f"{API}/people/{person.pk}/", {"roles": ["supervisor"], "is_staff": True, "is_superuser": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["roles"] == ["supervisor"]
    person.refresh_from_db()
    assert not person.is_staff and not person.is_superuser
    assert set(person.groups.values_list("name", flat=True)) == {"supervisor"}


def test_a_supervisor_cannot_give_roles(member):
    person = member("technician")
    response = _token_client(member("supervisor")).patch(
        f"{API}/people/{person.pk}/", {"roles": ["client_admin"]}, format="json"
    )
    assert response.status_code == 403
    assert set(person.groups.values_list("name", flat=True)) == {"technician"}


def test_a_client_admin_cannot_move_anyone_to_another_client(member, other_client):
    admin_person = member("client_admin")
    admin = _token_client(admin_person)
    for target in (admin_person, member("technician")):
        response = admin.patch(f"{API}/people/{target.pk}/", {"client": other_client[0].pk}, format="json")
        assert response.status_code == 400
        assert "does not exist" in str(response.json()["client"])
        target.refresh_from_db()
        assert target.client_id == admin_person.client_id


def test_a_persons_site_belongs_to_their_client_also_when_only_the_client_changes(api_client, member, other_client):
    person = member("technician")
    response = api_client.patch(f"{API}/people/{person.pk}/", {"client": other_client[0].pk}, format="json")
    assert response.status_code == 400
    assert "site" in response.json()["errors"]
    person.refresh_from_db()
    assert person.client_id != other_client[0].pk


def test_a_client_admin_cannot_put_a_person_at_another_clients_site(member, other_client):
    admin = _token_client(member("client_admin"))
    person = member("technician")
    response = admin.patch(f"{API}/people/{person.pk}/", {"site": other_client[1].pk}, format="json")
    assert response.status_code == 400
    assert "does not exist" in str(response.json()["site"])


# Cross-client reads and writes
# ------------------------------------------------------------------------------


@pytest.fixture
def client_b_records(other_client, author):
    client, site = other_client
    person = create_person(
        author=None, username="bob", peoplecode="B1", peoplename="Bob", password=PASSWORD, client=client, site=site
    )
    asset = create_asset(author=None, assetcode="B-PUMP", assetname="B pump", site=site)
    vendor = create_vendor(author=None, code="BV", name="B vendor", site=site)
    order = create_work_order(author=None, description="B order", site=site, vendor=vendor)
    return {"person": person, "asset": asset, "vendor": vendor, "order": order, "client": client, "site": site}


@pytest.mark.parametrize("role", ["technician", "supervisor", "client_admin"])
def test_no_role_of_client_a_reads_or_changes_client_b(role, member, client_b_records):
    b = client_b_records
    attacker = _token_client(member(role))
    reads = {
        "people": b["person"], "clients": b["client"], "sites": b["site"], "assets": b["asset"],
        "vendors": b["vendor"], "work-orders": b["order"],
    }  # fmt: skip
    for prefix, record in reads.items():
        listed = attacker.get(f"{API}/{prefix}/")
        assert record.pk not in {item["id"] for item in listed.json()["results"]}, prefix
        assert attacker.get(f"{API}/{prefix}/{record.pk}/").status_code == 404, prefix
    writes = [
        attacker.patch(f"{API}/people/{b['person'].pk}/", {"peoplename": "Renamed", "is_active": False}, format="json"),
        attacker.patch(f"{API}/clients/{b['client'].pk}/", {"buname": "Renamed", "enable": False}, format="json"),
        attacker.post(f"{API}/assets/{b['asset'].pk}/status/", {"status": "SCRAPPED"}, format="json"),
        attacker.patch(f"{API}/work-orders/{b['order'].pk}/", {"description": "Mine"}, format="json"),
    ]
    assert [response.status_code for response in writes] == [404, 404, 404, 404]
    creations = [
        attacker.post(f"{API}/sites/", {"bucode": "X", "buname": "X", "client": b["client"].pk}, format="json"),
        attacker.post(f"{API}/work-orders/", {"description": "x", "site": b["site"].pk}, format="json"),
        attacker.post(f"{API}/attendance/check-in/", {"people": b["person"].pk}, format="json"),
    ]
    assert all(response.status_code in (400, 403) for response in creations), [r.status_code for r in creations]
    b["person"].refresh_from_db()
    b["client"].refresh_from_db()
    b["asset"].refresh_from_db()
    assert (b["person"].peoplename, b["person"].is_active) == ("Bob", True)
    assert (b["client"].buname, b["client"].enable) == ("Other Ltd", True)
    assert b["asset"].status == "WORKING"
    assert WorkOrder.objects.get(pk=b["order"].pk).description == "B order"
    assert not Bt.objects.filter(bucode="X").exists()


def test_a_user_without_a_client_sees_and_changes_nothing(client_b_records):
    b = client_b_records
    nobody = create_person(
        author=None, username="nobody", peoplecode="NB", peoplename="Nobody", password=PASSWORD, roles=["supervisor"]
    )
    attacker = _token_client(nobody)
    for prefix in ("work-orders", "work-permits", "vendors", "approvers", "people"):
        assert attacker.get(f"{API}/{prefix}/").status_code == 403, prefix
    assert attacker.get(f"{API}/work-orders/{b['order'].pk}/").status_code == 404
    created = attacker.post(f"{API}/work-orders/", {"description": "x", "site": b["site"].pk}, format="json")
    assert created.status_code == 403
    edited = attacker.patch(f"{API}/work-orders/{b['order'].pk}/", {"description": "Mine"}, format="json")
    assert edited.status_code == 404
    assert WorkOrder.objects.count() == 1


# Approvers and permits
# ------------------------------------------------------------------------------


def test_nobody_appoints_themselves_approver(member, site_bt):
    for role in ("technician", "client_admin"):
        person = member(role)
        response = _token_client(person).post(
            f"{API}/approvers/",
            {"people": person.pk, "identifier": "APPROVER", "approverfor": "WORK_PERMIT", "site": site_bt.pk},
            format="json",
        )
        assert response.status_code == 403, role
    assert not Approver.objects.exists()


def test_a_permit_is_decided_only_by_an_appointed_person_who_is_not_its_author(member, site_bt, client_bt):
    from apps.onboarding.services import create_super_type_assist, create_type_assist

    admin = member("client_admin")
    approver, verifier, technician = member("supervisor"), member("technician"), member("technician")
    create_approver(author=admin, people=approver, identifier="APPROVER", site=site_bt)
    create_approver(author=admin, people=verifier, identifier="VERIFIER", site=site_bt)
    create_approver(author=admin, people=technician, identifier="APPROVER", site=site_bt)
    group = create_super_type_assist(author=None, code="PERMITTYPE", name="Permit type")
    hot = create_type_assist(author=None, tatype=group, tacode="HOT", taname="Hot", client=client_bt)
    permit = create_work_permit(author=technician, site=site_bt, permit_type=hot, details=[])
    # The author is on the roster but not appointed to their own permit.
    assert set(permit.approvals.values_list("people_id", "role")) == {
        (approver.pk, "APPROVER"),
        (verifier.pk, "VERIFIER"),
    }
    for person in (technician, verifier, admin):
        response = _token_client(person).post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "REJECTED"})
        assert response.status_code == 403
    assert WorkPermit.objects.get(pk=permit.pk).status == "PENDING"
    assert not PermitApproval.objects.exclude(decision="PENDING").exists()
    for person in (technician, approver, admin):
        response = _token_client(person).post(f"{API}/work-permits/{permit.pk}/verify/", {"decision": "APPROVED"})
        assert response.status_code == 403
    verified = _token_client(verifier).post(f"{API}/work-permits/{permit.pk}/verify/", {"decision": "APPROVED"})
    assert verified.status_code == 200
    decided = _token_client(approver).post(f"{API}/work-permits/{permit.pk}/approve/", {"decision": "APPROVED"})
    assert decided.status_code == 200
    assert decided.json()["status"] == "APPROVED"


# Codes are unique per client: a conflict tells nothing of another client
# ------------------------------------------------------------------------------


def test_codes_of_another_client_do_not_conflict(member, other_client, client_bt):
    b_client, b_site = other_client
    create_asset(author=None, assetcode="P-1", assetname="B pump", site=b_site)
    create_person(author=None, username="bee", peoplecode="P-1", peoplename="Bee", client=b_client, site=b_site)
    admin = _token_client(member("client_admin"))
    supervisor = _token_client(member("supervisor"))
    site = {"bucode": "OTHER-HQ", "buname": "Mine", "client": client_bt.pk}
    assert admin.post(f"{API}/sites/", site).status_code == 201
    assert supervisor.post(f"{API}/assets/", {"assetcode": "P-1", "assetname": "Mine"}).status_code == 201
    assert (
        admin.post(f"{API}/people/", {"username": "mine", "peoplecode": "P-1", "peoplename": "Mine"}).status_code == 201
    )
    again = admin.post(f"{API}/people/", {"username": "mine2", "peoplecode": "P-1", "peoplename": "Again"})
    assert again.status_code == 409
    assert "Bee" not in again.content.decode() and "OTHER" not in again.content.decode()


# Scoping adds no query per row
# ------------------------------------------------------------------------------

LISTS = ["people", "clients", "sites", "type-assists", "assets", "jobs", "jobneeds", "attendance", "vendors",
         "approvers", "work-orders", "work-permits"]  # fmt: skip


def _queries(api, prefix):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{API}/{prefix}/")
    assert response.status_code == 200
    return len(queries), response.json()["count"]


def test_every_list_runs_the_same_number_of_queries_for_one_row_and_for_many(member, client_bt, site_bt):
    import datetime

    from apps.activity.services import create_job
    from apps.attendance.services import check_in
    from apps.onboarding.services import create_super_type_assist, create_type_assist

    admin = member("client_admin")
    viewer = _token_client(admin)
    group = create_super_type_assist(author=None, code="PERMITTYPE", name="Permit type")
    start = datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC)

    create_approver(author=admin, people=member("supervisor"), identifier="APPROVER", site=site_bt)
    create_approver(author=admin, people=member("technician"), identifier="VERIFIER", site=site_bt)

    def add_rows(n, offset):
        for i in range(offset, offset + n):
            person = member("technician")
            create_approver(author=admin, people=person, identifier="APPROVER", site=site_bt)
            hot = create_type_assist(author=None, tatype=group, tacode=f"T{i}", taname="T", client=client_bt)
            asset = create_asset(author=None, assetcode=f"A{i}", assetname="A", site=site_bt)
            create_job(author=None, jobname="J", asset=asset, fromdate=start, uptodate=start + datetime.timedelta(3))
            vendor = create_vendor(author=None, code=f"V{i}", name="V", site=site_bt)
            create_work_order(author=None, description="W", site=site_bt, vendor=vendor)
            create_work_permit(author=admin, site=site_bt, permit_type=hot, details=[])
            check_in(author=None, people=person)
            Bt.objects.create(bucode=f"S{i}", buname="S", identifier=Bt.Identifier.SITE, parent=client_bt)

    add_rows(1, 0)
    few = {prefix: _queries(viewer, prefix) for prefix in LISTS}
    add_rows(6, 1)
    many = {prefix: _queries(viewer, prefix) for prefix in LISTS}
    assert all(many[prefix][1] > few[prefix][1] for prefix in LISTS if prefix != "clients"), (few, many)
    assert {prefix: count for prefix, (count, _) in many.items()} == {
        prefix: count for prefix, (count, _) in few.items()
    }
