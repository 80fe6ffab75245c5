"""Under tenant routing, --database seeds and prints the logins of one tenant's database, and only there."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.core.testing import InjectedFault
from apps.demo import seeding
from apps.onboarding.models import Bt
from apps.peoples.models import People, PeopleProfile
from apps.work_order_management.models import WorkOrder, WorkPermit

pytestmark = pytest.mark.django_db(databases=["default", "tenant_b", "monitoring"], transaction=True)


@pytest.fixture(autouse=True)
def demo_secret(settings, tmp_path):
    settings.DEMO_PASSWORD = "a-demo-secret-for-tests"
    settings.DEMO_ENV_FILE = tmp_path / ".env"


def test_seed_demo_and_create_demo_staff_write_to_the_tenant_alias_only():
    call_command("seed_demo", "--database", "tenant_b", "--client", "BETA", stdout=StringIO())
    assert Bt.objects.using("tenant_b").filter(bucode__startswith="BETA").count() == 3
    assert People.objects.using("tenant_b").count() == 5
    assert WorkOrder.objects.using("tenant_b").count() == 2 and WorkPermit.objects.using("tenant_b").count() == 1
    assert People.objects.using("default").count() == Bt.objects.using("default").count() == 0

    out = StringIO()
    call_command("create_demo_staff", "--database", "tenant_b", stdout=out)
    assert 'database "tenant_b"' in out.getvalue()
    rows = [line.split() for line in out.getvalue().splitlines() if line.startswith("  beta.")]
    assert len(rows) == 5
    for username, *_role, _client, password in rows:
        assert People.objects.using("tenant_b").get(username=username).check_password(password)
    assert People.objects.using("default").count() == 0


def test_a_failed_person_on_the_tenant_alias_leaves_nothing_there_or_elsewhere(monkeypatch):
    def fail(person, role):
        raise InjectedFault("role")

    monkeypatch.setattr(seeding, "_give_role", fail)
    with pytest.raises(InjectedFault):
        call_command("seed_demo", "--database", "tenant_b", stdout=StringIO())
    for alias in ("tenant_b", "default"):
        assert People.objects.using(alias).count() == PeopleProfile.objects.using(alias).count() == 0
    assert Bt.objects.using("default").count() == 0
