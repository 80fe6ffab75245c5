"""The commands a tenant is set up with work on the tenant's own database, and only there."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from apps.core.services.transaction_manager import use_database
from apps.onboarding.models import Bt
from apps.peoples.models import People, PeopleOrganizational, PeopleProfile

pytestmark = pytest.mark.django_db(databases=["default", "tenant_b"], transaction=True)


def people_rows(alias):
    return tuple(model.objects.using(alias).count() for model in (People, PeopleProfile, PeopleOrganizational))


def test_migrate_tenants_migrates_every_tenant_alias():
    out = StringIO()
    call_command("migrate_tenants", "--noinput", stdout=out)
    assert "Migrating default" in out.getvalue() and "Migrating tenant_b" in out.getvalue()
    assert "Migrated 2 database(s)." in out.getvalue()


def test_migrate_tenants_refuses_an_unknown_alias():
    with pytest.raises(CommandError, match="unknown tenant alias 'nope'; use one of: default, tenant_b"):
        call_command("migrate_tenants", "--database", "nope")


def test_createsuperuser_on_a_tenant_writes_person_and_profile_there_only():
    call_command("createsuperuser", "--noinput", "--database", "tenant_b", username="boss", email="b@example.com")
    call_command("createsuperuser", "--noinput", "--database", "tenant_b", username="boss2", email="c@example.com")
    assert people_rows("tenant_b") == (2, 2, 2)
    assert people_rows("default") == (0, 0, 0)


def test_import_people_into_a_tenant(tmp_path):
    with use_database("tenant_b"):
        client = Bt.objects.create(bucode="B", buname="B Corp", identifier=Bt.Identifier.CLIENT)
        Bt.objects.create(bucode="B-HQ", buname="B HQ", identifier=Bt.Identifier.SITE, parent=client)
    csv = tmp_path / "people.csv"
    csv.write_text("username,peoplecode,peoplename,client_code,site_code\nbea,B1,Bea,B,B-HQ\n")
    out = StringIO()
    call_command("import_people", str(csv), "--database", "tenant_b", stdout=out, stderr=StringIO())
    assert "Imported 1 row(s)." in out.getvalue()
    assert people_rows("tenant_b") == (1, 1, 1)
    assert people_rows("default") == (0, 0, 0)


def test_import_people_refuses_an_unknown_alias(tmp_path):
    with pytest.raises(CommandError, match="unknown database alias 'nope'"):
        call_command("import_people", str(tmp_path / "x.csv"), "--database", "nope")


def test_every_tenant_host_is_an_allowed_host():
    from config.settings import base

    assert set(base.TENANT_HOSTS) <= set(base.ALLOWED_HOSTS)
    assert settings.TENANT_HOSTS["tenant-b.testserver"] == "tenant_b"
