"""seed_demo makes complete, consistent demo clients, idempotently; create_demo_staff prints working logins."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from apps.activity.models import Asset, AssetLog, Job, Jobneed
from apps.core.access.roles import Role
from apps.core.testing import InjectedFault
from apps.demo import seeding
from apps.onboarding.models import Bt
from apps.peoples.models import People, PeopleOrganizational, PeopleProfile
from apps.work_order_management.models import Approver, PermitApproval, Vendor, WomDetails, WorkOrder, WorkPermit

MODELS = [Bt, People, PeopleProfile, PeopleOrganizational, Asset, AssetLog, Job, Jobneed, WorkOrder, WorkPermit,
          PermitApproval, WomDetails, Approver, Vendor]  # fmt: skip
LOGIN_ROW = re.compile(r"^\s+(\S+)\s{2,}(.+?)\s{2,}(\S+)\s{2,}(\S+)$")


@pytest.fixture(autouse=True)
def demo_secret(settings, tmp_path):
    settings.DEMO_PASSWORD = "a-demo-secret-for-tests"
    settings.DEMO_ENV_FILE = tmp_path / ".env"
    return settings


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def logins(*args):
    out = StringIO()
    call_command("create_demo_staff", *args, stdout=out)
    rows = [LOGIN_ROW.match(line) for line in out.getvalue().splitlines()]
    found = [match.groups() for match in rows if match]
    assert found[0] == ("username", "role", "client", "password"), out.getvalue()
    return found[1:], out.getvalue()


def test_seed_demo_creates_everything_once(db, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        out = seed()
    first = counts()
    assert "record(s) created" in out
    assert first["Bt"] == 3
    assert first["People"] == 5
    assert first["PeopleProfile"] == first["PeopleOrganizational"] == 5
    assert first["Approver"] == 2 and first["Vendor"] == 1
    assert first["Jobneed"] >= 4
    assert first["WorkOrder"] == 2
    assert first["WorkPermit"] == 1 and first["WomDetails"] == 3
    assert WorkOrder.objects.filter(number__startswith="WO-").count() == 2
    assert any("verifier" in ",".join(message.to) for message in mailoutbox)

    assert "nothing to do" in seed()
    assert counts() == first


def test_each_client_gets_one_login_per_role_written_by_that_role(db):
    seed()
    client = Bt.objects.get(bucode="DEMO")
    people = People.objects.filter(client=client)
    for role, expected in [(Role.CLIENT_ADMIN, 1), (Role.SUPERVISOR, 1), (Role.TECHNICIAN, 3)]:
        assert people.filter(groups__name=role).count() == expected, role
    admin = people.get(groups__name=Role.CLIENT_ADMIN)
    supervisor = people.get(groups__name=Role.SUPERVISOR)
    assert set(Approver.objects.values_list("cuser", flat=True)) == {admin.pk}
    assert not Approver.objects.filter(people=admin).exists()
    assert set(WorkOrder.objects.values_list("cuser", flat=True)) == {supervisor.pk}
    permit = WorkPermit.objects.get()
    assert permit.cuser.groups.filter(name=Role.TECHNICIAN).exists()
    assert not Approver.objects.filter(people=permit.cuser).exists()


def test_a_further_client_gets_the_same_shape_with_codes_of_its_own(db):
    seed()
    demo = counts()
    out = seed("--client", "acme2")
    assert "Demo client ACME2: " in out
    both = counts()
    assert {name: both[name] - demo[name] for name in demo} == demo

    other = Bt.objects.get(bucode="ACME2")
    assert set(Bt.objects.filter(parent=other).values_list("bucode", flat=True)) == {"ACME2-HQ", "ACME2-PLANT"}
    mine = People.objects.filter(client=other)
    assert sorted(mine.values_list("username", flat=True)) == [
        "acme2.clientadmin", "acme2.supervisor", "acme2.tech1", "acme2.tech2", "acme2.verifier",
    ]  # fmt: skip
    assert all(code.startswith("ACME2-") for code in mine.values_list("peoplecode", flat=True))
    for model in (Asset, WorkOrder, WorkPermit, Vendor, Approver):
        assert model.objects.filter(client=other).count() == model.objects.filter(client__bucode="DEMO").count()
    assert not Approver.objects.filter(client=other).exclude(people__client=other).exists()

    assert "nothing to do" in seed("--client", "ACME2")
    assert counts() == both


def test_create_demo_staff_prints_every_login_and_each_one_signs_in(db):
    seed()
    seed("--client", "OTHER")
    rows, _out = logins()
    by_username = {username: (role, client, password) for username, role, client, password in rows}
    assert by_username["demo.admin"][:2] == ("Platform staff", "all")
    for code in ("DEMO", "OTHER"):
        prefix = code.lower()
        assert by_username[f"{prefix}.clientadmin"][:2] == ("Client admin", code)
        assert by_username[f"{prefix}.supervisor"][:2] == ("Supervisor", code)
        assert by_username[f"{prefix}.tech1"][:2] == ("Technician", code)
        assert {f"{prefix}.verifier", f"{prefix}.tech2"} <= set(by_username)
    assert len(rows) == 11
    assert len({password for _role, _client, password in by_username.values()}) == 11

    api = APIClient()
    for username, (_role, _client, password) in by_username.items():
        answer = api.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
        assert answer.status_code == 200, (username, answer.content)
    staff = get_user_model().objects.get(username="demo.admin")
    assert staff.is_staff and staff.is_superuser


def test_running_the_commands_again_prints_the_same_logins(db):
    seed()
    first, _ = logins()
    seed()
    again, _ = logins()
    assert again == first


def test_the_demo_secret_is_made_once_and_kept_in_the_env_file(db, settings):
    settings.DEMO_PASSWORD = ""
    settings.DEMO_ENV_FILE.write_text("DJANGO_SECRET_KEY=kept")
    out = seed()
    assert "DEMO_PASSWORD was not set" in out
    env_text = settings.DEMO_ENV_FILE.read_text()
    assert env_text.startswith("DJANGO_SECRET_KEY=kept\n")
    [secret] = re.findall(r"^DEMO_PASSWORD=(\S{20,})$", env_text, re.MULTILINE)
    first, _ = logins()

    settings.DEMO_PASSWORD = secret  # what the next process reads from .env
    again, out = logins()
    assert again == first
    assert "DEMO_PASSWORD was not set" not in out
    assert settings.DEMO_ENV_FILE.read_text() == env_text


def test_create_demo_staff_takes_a_password_for_the_staff_login(db):
    rows, out = logins("--password", "another-long-password")
    assert rows == [("demo.admin", "Platform staff", "all", "another-long-password")]
    assert "seed_demo" in out
    assert get_user_model().objects.get(username="demo.admin").check_password("another-long-password")
    logins()
    assert get_user_model().objects.filter(username="demo.admin").count() == 1


@pytest.mark.parametrize("code", ["", "a b", "1ACME", "X", "DEMO-HQ", "ÄCME"])
def test_a_bad_client_code_is_refused_with_what_a_code_looks_like(db, code):
    with pytest.raises(CommandError, match="letters and digits"):
        seed("--client", code)
    assert sum(counts().values()) == 0


def test_database_option_refuses_an_alias_writes_do_not_go_to(db):
    with pytest.raises(CommandError, match="monitoring connection"):
        seed("--database", "monitoring")
    with pytest.raises(CommandError, match="Unknown database alias"):
        logins("--database", "nowhere")
    assert sum(counts().values()) == 0


def test_a_person_whose_role_cannot_be_given_is_not_left_behind(db, monkeypatch):
    def fail(person, role):
        raise InjectedFault("role")

    monkeypatch.setattr(seeding, "_give_role", fail)
    with pytest.raises(InjectedFault):
        seed()
    assert People.objects.count() == PeopleProfile.objects.count() == PeopleOrganizational.objects.count() == 0
    assert Bt.objects.count() == 3  # the client and its sites are whole records of their own
