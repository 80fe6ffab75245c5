"""The whole API, fuzzed from its own OpenAPI schema (schemathesis): no input makes it fail.

The schema is fetched from ``/api/schema/`` through the project's WSGI application (no network),
and every operation in it is called with generated data, valid and invalid, by a client admin
and by a supervisor of a client built through the services. A path's ``{id}`` and a body's keys
to records (``site``, ``people``, ...), when generated as numbers, name that client's records,
so that the writes reach them; any other generated value is sent as it is.

Each answer is checked for what a user of the API relies on:

- never a server error (``not_a_server_error``), whatever the input;
- JSON, unless it has no body (204);
- a refused write (3xx, 4xx) leaves the database as it was: the row counts of every model and
  the target row, as the authorization matrix checks them;
- an accepted creation (201) added a row, and an accepted change of a record (PUT, PATCH) is
  what a read of that record answers next.

The documented status codes are not checked: the schema lists each operation's success, and the
refusals (400, 403, 404, 409) are the same on every route and described once in the README.

Runs are reproducible (a fixed seed, no example database) and bounded (``MAX_EXAMPLES`` per
operation and user); the test is marked ``heavy``. Each operation is one subtest driven by
Hypothesis from the operation's strategies (schemathesis's Python API): its pytest loaders
either build the schema while the tests are collected (in every run, heavy or not) or, loaded
from a fixture, do not run under pytest 9.
"""

import datetime
import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from apps.activity.models import Asset, Job, Jobneed
from apps.activity.services import create_asset, create_job
from apps.attendance.models import PeopleEventlog
from apps.attendance.services import check_in
from apps.core.access.roles import Role
from apps.onboarding.models import Bt, SuperTypeAssist, TypeAssist
from apps.onboarding.services import create_client, create_site, create_type_assist, get_or_create_type_assist
from apps.peoples.models import People
from apps.peoples.services import create_person
from apps.work_order_management.models import Approver, Vendor, WorkOrder, WorkPermit
from apps.work_order_management.services import (
    create_approver,
    create_vendor,
    create_work_order,
    create_work_permit,
    decide_permit,
)

from .snapshots import database_snapshot

pytestmark = [pytest.mark.heavy, pytest.mark.django_db(transaction=True, databases="__all__")]

MAX_EXAMPLES = 12
SEED = 20261130
BASE_URL = "http://testserver"  # the host Django's test environment allows in every variant
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
WHEN = datetime.datetime(2031, 3, 3, 8, 0, tzinfo=datetime.UTC)
PASSWORD = "correct horse battery staple"

#: The model of the object a path's ``{id}`` names, by the path's first segment after the version.
TARGETS = {
    "people": People, "clients": Bt, "sites": Bt, "super-type-assists": SuperTypeAssist,
    "type-assists": TypeAssist, "assets": Asset, "jobs": Job, "jobneeds": Jobneed, "attendance": PeopleEventlog,
    "vendors": Vendor, "approvers": Approver, "work-orders": WorkOrder, "work-permits": WorkPermit,
}  # fmt: skip
#: The record a body's key names, by the key: a generated number there becomes that record's id.
KEYS = {
    "client": "client", "site": Bt, "people": People, "asset": Asset, "vendor": Vendor, "tatype": SuperTypeAssist,
    "category": TypeAssist, "department": TypeAssist, "permit_type": TypeAssist,
}  # fmt: skip


def _person(username, client, site, role):
    return create_person(
        author=None,
        username=username,
        peoplecode=username.upper(),
        peoplename=username.title(),
        password=PASSWORD,
        email=f"{username}@example.com",
        client=client,
        site=site,
        roles=[role],
    )


@pytest.fixture
def world(transactional_db):
    """A client with one record of every kind the API serves, and its people of each role."""
    group = get_or_create_type_assist(
        author=None, group_code="PERMITTYPE", group_name="Permit type", tacode="GEN", taname="General"
    ).tatype
    client = create_client(author=None, bucode="FUZZ", buname="Fuzz client")
    site = create_site(author=None, client=client, bucode="HQ", buname="Fuzz HQ")
    worker = _person("worker", client, site, Role.TECHNICIAN)
    supervisor = _person("supervisor", client, site, Role.SUPERVISOR)
    verifier = _person("verifier", client, site, Role.TECHNICIAN)
    approver = create_approver(author=None, people=supervisor, identifier="APPROVER", site=site)
    create_approver(author=None, people=verifier, identifier="VERIFIER", site=site)
    asset = create_asset(author=None, assetcode="P-1", assetname="Pump", site=site)
    until = WHEN + datetime.timedelta(days=20)
    job = create_job(author=None, jobname="Inspect", asset=asset, fromdate=WHEN, uptodate=until)
    vendor = create_vendor(author=None, code="FIX", name="Fix-It", site=site, email="fix@example.com")
    details = [{"question": "Area isolated?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True}]
    permit = create_work_permit(
        author=worker,
        site=site,
        permit_type=create_type_assist(author=None, tatype=group, tacode="HOT", taname="Hot", client=client),
        details=details,
    )
    decide_permit(author=verifier, permit=permit, decision="APPROVED", role="VERIFIER")
    return {
        "users": {
            Role.CLIENT_ADMIN: _person("cadmin", client, site, Role.CLIENT_ADMIN),
            Role.SUPERVISOR: supervisor,  # the appointed approver of the site's permits
        },
        People: worker,
        Bt: site,
        SuperTypeAssist: group,
        TypeAssist: permit.permit_type,
        Asset: asset,
        Job: job,
        Jobneed: job.jobneeds.order_by("plandatetime").first(),
        PeopleEventlog: check_in(author=None, people=worker),
        Vendor: vendor,
        Approver: approver,
        WorkOrder: create_work_order(author=None, description="Fix the pump", site=site, vendor=vendor),
        WorkPermit: permit,
        "client": client,
    }


def _load_schema(headers):
    """The API's schema as ``/api/schema/`` serves it, read through the WSGI application."""
    config = SchemathesisConfig.from_dict({})  # explicit: no schemathesis.toml found on the way changes the run
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", WSGIHandler(), config=config, headers=headers, base_url=BASE_URL
    )


def _is_number(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _name_records(case, world):
    """Give the keys of the body that name records, when generated as numbers, the client's records."""
    if isinstance(case.body, dict):
        for key, record in KEYS.items():
            if _is_number(case.body.get(key)):
                case.body[key] = world[record].pk


def _target(case, world):
    """The object the case's path names (its ``id`` replaced by a real one when it is a number)."""
    if "id" not in (case.path_parameters or {}):
        return None
    model = TARGETS.get(case.path.split("/")[3])
    if model is None:  # a record that is not the API's (a transaction failure report)
        return None
    obj = world["client"] if case.path.startswith("/api/v1/clients/") else world[model]
    if _is_number(case.path_parameters["id"]):
        case.path_parameters["id"] = obj.pk
        return obj
    return None


def _json(response):
    return json.loads(response.content)


def _check(case, world, actor):
    _name_records(case, world)
    target = _target(case, world)
    method = case.method.upper()
    before = database_snapshot(target) if method in WRITES else None
    response = case.call(base_url=BASE_URL, headers=actor)
    case.validate_response(response, checks=[not_a_server_error], headers=actor)
    status, body = response.status_code, response.content[:300]
    if status != 204:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), (status, body)
        _json(response)
    if method not in WRITES:
        return
    after = database_snapshot(target)
    if status >= 300:
        assert after == before, f"a refused write ({status}) changed the database: {body}"
    elif status == 201:
        assert any(after[0][label] > count for label, count in before[0].items()), f"a 201 created no row: {body}"
    elif method in ("PUT", "PATCH") and target is not None:
        read = APIClient().get(case.formatted_path, HTTP_AUTHORIZATION=actor["Authorization"])
        assert read.status_code == 200 and read.json() == _json(response), "the answer is not what was stored"


def _fuzz(operation, check):
    """Run ``check`` on ``MAX_EXAMPLES`` cases of ``operation``, valid and invalid ones."""
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @seed(SEED)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        verbosity=Verbosity.quiet,
    )
    @given(case=cases)
    def run(case):
        check(case)

    run()


@pytest.mark.parametrize("role", [Role.CLIENT_ADMIN, Role.SUPERVISOR], ids=str)
def test_no_input_breaks_the_api(role, world, subtests):
    user = world["users"][role]
    actor = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
    operations = [result.ok() for result in _load_schema(actor).get_all_operations()]
    assert len(operations) > 50, "the schema lost its operations"
    for operation in operations:
        with subtests.test(operation.label):
            _fuzz(operation, lambda case: _check(case, world, actor))
