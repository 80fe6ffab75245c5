"""seed_demo makes a complete, consistent demo and is idempotent; create_demo_staff prints a login."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.activity.models import Asset, AssetLog, Job, Jobneed
from apps.onboarding.models import Bt
from apps.peoples.models import People, PeopleOrganizational, PeopleProfile
from apps.work_order_management.models import PermitApproval, WomDetails, WorkOrder, WorkPermit

MODELS = [Bt, People, PeopleProfile, PeopleOrganizational, Asset, AssetLog, Job, Jobneed, WorkOrder, WorkPermit,
          PermitApproval, WomDetails]  # fmt: skip


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_creates_everything_once(db, django_capture_on_commit_callbacks, mailoutbox):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    first = counts()
    assert "record(s) created" in out.getvalue()
    assert first["Bt"] == 3
    assert first["People"] == 4
    assert first["PeopleProfile"] == first["PeopleOrganizational"] == 4
    assert first["Jobneed"] >= 4
    assert first["WorkOrder"] == 2
    assert first["WorkPermit"] == 1 and first["WomDetails"] == 3
    assert WorkOrder.objects.filter(number__startswith="WO-").count() == 2
    assert any("verifier" in ",".join(message.to) for message in mailoutbox)

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert counts() == first
    assert "nothing to do" in again.getvalue()


def test_create_demo_staff_prints_working_credentials(db):
    out = StringIO()
    call_command("create_demo_staff", stdout=out)
    lines = dict(line.strip().split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
    user = get_user_model().objects.get(username=lines["username"])
    assert user.is_staff and user.is_superuser
    assert user.check_password(lines["password"])

    call_command("create_demo_staff", "--password", "another-long-password", stdout=StringIO())
    user.refresh_from_db()
    assert user.check_password("another-long-password")
    assert get_user_model().objects.filter(username=lines["username"]).count() == 1
