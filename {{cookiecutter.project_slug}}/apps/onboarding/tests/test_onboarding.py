"""Clients, sites and type assists: strict hierarchy, clear errors, one transaction each."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.core.testing import RowCounts
from apps.onboarding import services
from apps.onboarding.models import Bt, SuperTypeAssist, TypeAssist


def test_site_must_hang_under_a_client(author, site_bt):
    with pytest.raises(ValidationError):
        services.create_site(author=author, client=site_bt, bucode="BAD", buname="Under a site")


def test_database_refuses_a_site_without_parent(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Bt.objects.create(bucode="ORPHAN", buname="Orphan", identifier=Bt.Identifier.SITE)


def test_created_records_carry_their_author(author, client_bt):
    site = services.create_site(author=author, client=client_bt, bucode="ACME-2", buname="Second")
    assert site.cuser == author and site.muser == author and site.parent == client_bt


def test_global_type_assist_codes_are_unique_per_group(author):
    group = services.create_super_type_assist(author=author, code="ASSETCATEGORY", name="Asset category")
    first = services.create_type_assist(author=author, tatype=group, tacode="PUMP", taname="Pump")
    assert first.client is None
    with pytest.raises(IntegrityError), transaction.atomic():
        services.create_type_assist(author=author, tatype=group, tacode="PUMP", taname="Pump again")


def test_client_may_have_its_own_value_with_a_global_code(author, client_bt):
    group = services.create_super_type_assist(author=author, code="PERMITTYPE", name="Permit type")
    services.create_type_assist(author=author, tatype=group, tacode="HOT", taname="Hot work")
    own = services.create_type_assist(
        author=author, tatype=group, tacode="HOT", taname="Hot work (Acme)", client=client_bt
    )
    assert own.client == client_bt


def test_api_creates_client_and_site(api_client):
    client = api_client.post("/api/v1/clients/", {"bucode": "NEWCO", "buname": "New Co"}, format="json")
    assert client.status_code == 201, client.content
    site = api_client.post(
        "/api/v1/sites/", {"bucode": "NEWCO-1", "buname": "New Co 1", "client": client.json()["id"]}, format="json"
    )
    assert site.status_code == 201, site.content
    assert Bt.objects.get(bucode="NEWCO-1").parent.bucode == "NEWCO"


def test_api_refuses_a_site_under_a_site(api_client, site_bt):
    counts = RowCounts(Bt)
    response = api_client.post("/api/v1/sites/", {"bucode": "X", "buname": "X", "client": site_bt.pk}, format="json")
    assert response.status_code == 400
    assert "client" in response.json()
    assert counts.changed() == {}


def test_duplicate_type_assist_through_the_api_is_a_409_naming_the_fields(api_client, author):
    group = services.create_super_type_assist(author=author, code="DEPT", name="Department")
    payload = {"tatype": group.pk, "tacode": "OPS", "taname": "Operations"}
    assert api_client.post("/api/v1/type-assists/", payload, format="json").status_code == 201
    counts = RowCounts(TypeAssist, SuperTypeAssist)
    response = api_client.post("/api/v1/type-assists/", payload, format="json")
    assert response.status_code == 409
    assert set(response.json()) == {"tatype", "tacode"}
    assert response.json()["tacode"][0].endswith("already exists.")
    assert counts.changed() == {}


def test_client_form_view_creates_and_validates(web_client):
    created = web_client.post("/onboarding/clients/new/", {"bucode": "FORMCO", "buname": "Form Co", "enable": "on"})
    assert created.status_code == 201, created.content
    invalid = web_client.post("/onboarding/clients/new/", {"bucode": "", "buname": ""})
    assert invalid.status_code == 400
    assert {"bucode", "buname"} <= set(invalid.json()["errors"])
