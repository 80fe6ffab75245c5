"""Who may do what, route by route: every URL the project serves, every user kind, both clients.

``ROUTES`` is the table. Each row names a route (its URL name), a method, the roles that may use
it and what a success answers; the outcome of every cell follows from the row by the rules of
``expected()``:

- anonymous: 401 from the API, a redirect to the sign-in page from a page;
- platform staff: the success status, whichever client the object belongs to;
- a role the row allows: the success status on its own client's object; another client's object
  is a 404 (it is not revealed), and a key to another client's record in the input a 400;
- any other signed-in user: 403 on its own client's objects, 404 on another client's; a person
  without a client gets 403, and 404 for any object (shared lookup data included).

``OVERRIDES`` holds the cells where a service's own rule decides (a permit is decided only by a
person appointed to it). A route the project serves that is not in the table fails
``test_every_route_is_in_the_table``. Every refused write is checked to leave the database as
it was: the row counts of every model and the target row, before and after.

The two clients' data are built once for the module and each cell runs in its own rolled-back
transaction, so the matrix stays fast; it is marked ``heavy`` all the same.
"""

import datetime
import itertools
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.activity.models import Asset, Job
from apps.activity.services import create_asset, create_job
from apps.attendance.models import PeopleEventlog
from apps.attendance.services import check_in
from apps.core.tests.pages import list_page_names
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

pytestmark = pytest.mark.heavy

ANONYMOUS, TECHNICIAN, SUPERVISOR, CLIENT_ADMIN, NO_CLIENT, STAFF = (
    "anonymous", "technician", "supervisor", "client_admin", "no_client", "staff",
)  # fmt: skip
USERS = (ANONYMOUS, TECHNICIAN, SUPERVISOR, CLIENT_ADMIN, NO_CLIENT, STAFF)
OWN, OTHER = "own", "other"
T, S, C = TECHNICIAN, SUPERVISOR, CLIENT_ADMIN
ALL_ROLES = {T, S, C}

# Kinds of route: a list or a form page (no object), one object (detail), or a creation whose
# input names records of the target client (create).
LIST, DETAIL, CREATE = "list", "detail", "create"
SHARED = "shared"  # one object that every client reads (shared lookup data)
API, PAGE = "api", "page"

DETAILS = [{"question": "Area isolated?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True}]
WHEN = datetime.datetime(2031, 3, 3, 8, 0, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    allowed: frozenset
    success: int
    kind: str
    target: str = ""  # the world's key of the object (detail) or of the records the input names
    body: object = None  # world, client key -> request data
    surface: str = API


def row(route, method, allowed, success, kind, target="", body=None, surface=API):
    return Row(route, method, frozenset(allowed), success, kind, target, body, surface)


def _unique():
    return next(_COUNTER)


_COUNTER = itertools.count(1)


# The table
# ------------------------------------------------------------------------------

LIST_PAGES = list_page_names()  # every page built on RecordListView

ROUTES = [
    row("api:api-root", "get", ALL_ROLES, 200, LIST),
    # The OpenAPI schema and its Swagger UI: anyone signed in (they describe the API, not data).
    row("api-schema", "get", ALL_ROLES, 200, LIST),
    row("api-docs", "get", ALL_ROLES, 200, LIST, surface=PAGE),
    # People
    row("api:people-list", "get", ALL_ROLES, 200, LIST, "worker"),
    row(
        "api:people-list",
        "post",
        {C},
        201,
        CREATE,
        "site",
        lambda w, k: {
            "username": f"new{_unique()}",
            "peoplecode": f"N{_unique()}",
            "peoplename": "New",
            "client": w[k]["client"].pk,
            "site": w[k]["site"].pk,
        },
    ),  # fmt: skip
    row("api:people-detail", "get", ALL_ROLES, 200, DETAIL, "worker"),
    row("api:people-detail", "patch", {C}, 200, DETAIL, "worker", lambda w, k: {"peoplename": "Renamed"}),
    row(
        "api:people-detail",
        "put",
        {C},
        200,
        DETAIL,
        "worker",
        lambda w, k: {
            "username": w[k]["worker"].username,
            "peoplecode": w[k]["worker"].peoplecode,
            "peoplename": "Renamed",
            "client": w[k]["client"].pk,
            "site": w[k]["site"].pk,
        },
    ),  # fmt: skip
    row("api:people-password", "post", {C}, 204, DETAIL, "worker", lambda w, k: {"password": "a-new-long-password"}),
    # Clients, sites, lookup values
    row("api:client-list", "get", ALL_ROLES, 200, LIST, "client"),
    row("api:client-list", "post", set(), 201, LIST, "", lambda w, k: {"bucode": f"NEW{_unique()}", "buname": "New"}),
    row("api:client-detail", "get", ALL_ROLES, 200, DETAIL, "client"),
    row("api:client-detail", "patch", set(), 200, DETAIL, "client", lambda w, k: {"buname": "Renamed"}),
    row(
        "api:client-detail",
        "put",
        set(),
        200,
        DETAIL,
        "client",
        lambda w, k: {
            "bucode": w[k]["client"].bucode,
            "buname": "Renamed",
        },
    ),  # fmt: skip
    row("api:site-list", "get", ALL_ROLES, 200, LIST, "site"),
    row(
        "api:site-list",
        "post",
        {C},
        201,
        CREATE,
        "client",
        lambda w, k: {
            "bucode": f"S{_unique()}",
            "buname": "New site",
            "client": w[k]["client"].pk,
        },
    ),  # fmt: skip
    row("api:site-detail", "get", ALL_ROLES, 200, DETAIL, "site"),
    row("api:site-detail", "patch", {C}, 200, DETAIL, "site", lambda w, k: {"buname": "Renamed"}),
    row(
        "api:site-detail",
        "put",
        {C},
        200,
        DETAIL,
        "site",
        lambda w, k: {
            "bucode": w[k]["site"].bucode,
            "buname": "Renamed",
            "client": w[k]["client"].pk,
        },
    ),  # fmt: skip
    row("api:supertypeassist-list", "get", ALL_ROLES, 200, LIST),
    row("api:supertypeassist-list", "post", set(), 201, LIST, "", lambda w, k: {"code": f"G{_unique()}", "name": "G"}),
    row("api:supertypeassist-detail", "get", ALL_ROLES, 200, SHARED),
    row("api:typeassist-list", "get", ALL_ROLES, 200, LIST, "typeassist"),
    row(
        "api:typeassist-list",
        "post",
        {C},
        201,
        CREATE,
        "client",
        lambda w, k: {
            "tatype": w["group"].pk,
            "tacode": f"TA{_unique()}",
            "taname": "New",
            "client": w[k]["client"].pk,
        },
    ),  # fmt: skip
    row("api:typeassist-detail", "get", ALL_ROLES, 200, DETAIL, "typeassist"),
    # Assets and maintenance
    row("api:asset-list", "get", ALL_ROLES, 200, LIST, "asset"),
    row(
        "api:asset-list",
        "post",
        {S},
        201,
        CREATE,
        "site",
        lambda w, k: {
            "assetcode": f"A{_unique()}",
            "assetname": "New",
            "site": w[k]["site"].pk,
        },
    ),  # fmt: skip
    row("api:asset-detail", "get", ALL_ROLES, 200, DETAIL, "asset"),
    row("api:asset-detail", "patch", {S}, 200, DETAIL, "asset", lambda w, k: {"assetname": "Renamed"}),
    row(
        "api:asset-detail",
        "put",
        {S},
        200,
        DETAIL,
        "asset",
        lambda w, k: {
            "assetcode": w[k]["asset"].assetcode,
            "assetname": "Renamed",
            "site": w[k]["site"].pk,
            "status": w[k]["asset"].status,
        },
    ),  # fmt: skip
    row("api:asset-status", "post", {S}, 200, DETAIL, "asset", lambda w, k: {"status": "STANDBY"}),
    row("api:asset-history", "get", ALL_ROLES, 200, DETAIL, "asset"),
    row("api:job-list", "get", ALL_ROLES, 200, LIST, "job"),
    row(
        "api:job-list",
        "post",
        {S},
        201,
        CREATE,
        "asset",
        lambda w, k: {
            "jobname": "New job",
            "asset": w[k]["asset"].pk,
            "frequency": "WEEKLY",
            "fromdate": WHEN.isoformat(),
            "uptodate": (WHEN + datetime.timedelta(days=20)).isoformat(),
        },
    ),  # fmt: skip
    row("api:job-detail", "get", ALL_ROLES, 200, DETAIL, "job"),
    row("api:job-detail", "patch", {S}, 200, DETAIL, "job", lambda w, k: {"jobname": "Renamed"}),
    row(
        "api:job-detail",
        "put",
        {S},
        200,
        DETAIL,
        "job",
        lambda w, k: {
            "jobname": "Renamed",
            "asset": w[k]["asset"].pk,
            "frequency": "WEEKLY",
            "fromdate": WHEN.isoformat(),
            "uptodate": (WHEN + datetime.timedelta(days=20)).isoformat(),
        },
    ),  # fmt: skip
    row("api:jobneed-list", "get", ALL_ROLES, 200, LIST, "jobneed"),
    row("api:jobneed-detail", "get", ALL_ROLES, 200, DETAIL, "jobneed"),
    row("api:jobneed-transition", "post", {T, S}, 200, DETAIL, "jobneed", lambda w, k: {"to_status": "INPROGRESS"}),
    # Attendance: checking in someone else takes a supervisor
    row("api:attendance-list", "get", ALL_ROLES, 200, LIST, "event"),
    row("api:attendance-detail", "get", ALL_ROLES, 200, DETAIL, "event"),
    row("api:attendance-check-in", "post", {S}, 201, CREATE, "idle", lambda w, k: {"people": w[k]["idle"].pk}),
    row("api:attendance-check-out", "post", {S}, 200, CREATE, "worker", lambda w, k: {"people": w[k]["worker"].pk}),
    # Vendors, approvers, work orders, permits
    row("api:vendor-list", "get", ALL_ROLES, 200, LIST, "vendor"),
    row("api:vendor-list", "post", {C}, 201, LIST, "", lambda w, k: {"code": f"V{_unique()}", "name": "New"}),
    row("api:vendor-detail", "get", ALL_ROLES, 200, DETAIL, "vendor"),
    row("api:vendor-detail", "patch", {C}, 200, DETAIL, "vendor", lambda w, k: {"name": "Renamed"}),
    row(
        "api:vendor-detail",
        "put",
        {C},
        200,
        DETAIL,
        "vendor",
        lambda w, k: {
            "code": w[k]["vendor"].code,
            "name": "Renamed",
        },
    ),  # fmt: skip
    row("api:approver-list", "get", ALL_ROLES, 200, LIST, "approver"),
    row(
        "api:approver-list",
        "post",
        {C},
        201,
        CREATE,
        "idle",
        lambda w, k: {
            "people": w[k]["idle"].pk,
            "identifier": "APPROVER",
            "approverfor": "WORK_PERMIT",
            "site": w[k]["site"].pk,
        },
    ),  # fmt: skip
    row("api:approver-detail", "get", ALL_ROLES, 200, DETAIL, "approver"),
    row("api:workorder-list", "get", ALL_ROLES, 200, LIST, "workorder"),
    row(
        "api:workorder-list",
        "post",
        {S},
        201,
        CREATE,
        "site",
        lambda w, k: {
            "description": "New order",
            "site": w[k]["site"].pk,
            "vendor": w[k]["vendor"].pk,
        },
    ),  # fmt: skip
    row("api:workorder-detail", "get", ALL_ROLES, 200, DETAIL, "workorder"),
    row("api:workorder-detail", "patch", {S}, 200, DETAIL, "workorder", lambda w, k: {"description": "Changed"}),
    row(
        "api:workorder-detail",
        "put",
        {S},
        200,
        DETAIL,
        "workorder",
        lambda w, k: {
            "description": "Changed",
            "site": w[k]["site"].pk,
            "vendor": w[k]["vendor"].pk,
            "priority": "HIGH",
            "workstatus": "ASSIGNED",
        },
    ),  # fmt: skip
    row("api:workorder-dispatch-to-vendor", "post", {S}, 200, DETAIL, "workorder", lambda w, k: {}),
    row("api:workpermit-list", "get", ALL_ROLES, 200, LIST, "permit"),
    row(
        "api:workpermit-list",
        "post",
        {T},
        201,
        CREATE,
        "site",
        lambda w, k: {
            "site": w[k]["site"].pk,
            "permit_type": w[k]["typeassist"].pk,
            "details": DETAILS,
        },
    ),  # fmt: skip
    row("api:workpermit-detail", "get", ALL_ROLES, 200, DETAIL, "permit"),
    # Everyone who sees a permit may ask; only the person appointed to it decides (see OVERRIDES).
    row("api:workpermit-approve", "post", ALL_ROLES, 200, DETAIL, "permit", lambda w, k: {"decision": "APPROVED"}),
    row("api:workpermit-verify", "post", ALL_ROLES, 200, DETAIL, "permit", lambda w, k: {"decision": "APPROVED"}),
    # Staff release a dispatch a crash left half-done; this order is not being dispatched (400).
    row("api:workorder-release-dispatch", "post", set(), 400, DETAIL, "workorder", lambda w, k: {}),
    # Monitoring: platform staff only
    row("transaction-health-api", "get", set(), 200, LIST),
    row("transaction-failure-api", "get", set(), 200, LIST, "failure"),
    row("transaction-health-dashboard", "get", set(), 200, LIST, surface=PAGE),
    row("transaction-failure-page", "get", set(), 200, LIST, "failure", surface=PAGE),
    # The same pages under the names the platform's report reverses.
    row("transaction_health_api", "get", set(), 200, LIST),
    row("transaction_failure_detail", "get", set(), 200, LIST, "failure"),
    row("transaction_health_dashboard", "get", set(), 200, LIST, surface=PAGE),
    # Pages
    row("home", "get", ALL_ROLES, 200, LIST, surface=PAGE),
    row("peoples:people-create", "get", {C}, 200, LIST, surface=PAGE),
    row(
        "peoples:people-create",
        "post",
        {C},
        201,
        CREATE,
        "site",
        lambda w, k: {
            "username": f"new{_unique()}",
            "peoplecode": f"N{_unique()}",
            "peoplename": "New",
            "client": w[k]["client"].pk,
            "site": w[k]["site"].pk,
        },
        surface=PAGE,
    ),  # fmt: skip
    row("peoples:people-update", "get", {C}, 200, DETAIL, "worker", surface=PAGE),
    row(
        "peoples:people-update",
        "post",
        {C},
        200,
        DETAIL,
        "worker",
        lambda w, k: {
            "username": w[k]["worker"].username,
            "peoplecode": w[k]["worker"].peoplecode,
            "peoplename": "Renamed",
            "client": w[k]["client"].pk,
            "site": w[k]["site"].pk,
        },
        surface=PAGE,
    ),  # fmt: skip
    row("onboarding:client-create", "get", set(), 200, LIST, surface=PAGE),
    row(
        "onboarding:client-create",
        "post",
        set(),
        201,
        LIST,
        "",
        lambda w, k: {
            "bucode": f"NEW{_unique()}",
            "buname": "New",
            "enable": "on",
        },
        surface=PAGE,
    ),  # fmt: skip
    row("onboarding:site-create", "get", {C}, 200, LIST, surface=PAGE),
    row(
        "onboarding:site-create",
        "post",
        {C},
        201,
        CREATE,
        "client",
        lambda w, k: {
            "client": w[k]["client"].pk,
            "bucode": f"S{_unique()}",
            "buname": "New site",
            "enable": "on",
        },
        surface=PAGE,
    ),  # fmt: skip
    row("onboarding:supertypeassist-create", "get", set(), 200, LIST, surface=PAGE),
    row(
        "onboarding:supertypeassist-create",
        "post",
        set(),
        201,
        LIST,
        "",
        lambda w, k: {
            "code": f"G{_unique()}",
            "name": "G",
        },
        surface=PAGE,
    ),  # fmt: skip
    row("onboarding:typeassist-create", "get", {C}, 200, LIST, surface=PAGE),
    row(
        "onboarding:typeassist-create",
        "post",
        {C},
        201,
        CREATE,
        "client",
        lambda w, k: {
            "tatype": w["group"].pk,
            "tacode": f"TA{_unique()}",
            "taname": "New",
            "client": w[k]["client"].pk,
        },
        surface=PAGE,
    ),  # fmt: skip
    row("activity:asset-create", "get", {S}, 200, LIST, surface=PAGE),
    row(
        "activity:asset-create",
        "post",
        {S},
        201,
        CREATE,
        "site",
        lambda w, k: {
            "assetcode": f"A{_unique()}",
            "assetname": "New",
            "status": "WORKING",
            "enable": "on",
            "site": w[k]["site"].pk,
        },
        surface=PAGE,
    ),  # fmt: skip
    row("activity:asset-status", "get", {S}, 200, DETAIL, "asset", surface=PAGE),
    row("activity:asset-status", "post", {S}, 200, DETAIL, "asset", lambda w, k: {"status": "STANDBY"}, surface=PAGE),
    row("activity:job-create", "get", {S}, 200, LIST, surface=PAGE),
    row(
        "activity:job-create",
        "post",
        {S},
        201,
        CREATE,
        "asset",
        lambda w, k: {
            "jobname": "New job",
            "asset": w[k]["asset"].pk,
            "frequency": "WEEKLY",
            "fromdate": "2031-04-01 08:00",
            "uptodate": "2031-04-20 08:00",
            "planduration": 60,
            "gracetime": 0,
        },
        surface=PAGE,
    ),  # fmt: skip
    row("attendance:event-create", "get", {T, S}, 200, LIST, surface=PAGE),
    row(
        "attendance:event-create",
        "post",
        {S},
        201,
        CREATE,
        "idle",
        lambda w, k: {
            "event_type": "CHECKIN",
            "people": w[k]["idle"].pk,
        },
        surface=PAGE,
    ),  # fmt: skip
    row("work_order_management:vendor-create", "get", {C}, 200, LIST, surface=PAGE),
    row(
        "work_order_management:vendor-create",
        "post",
        {C},
        201,
        LIST,
        "",
        lambda w, k: {
            "code": f"V{_unique()}",
            "name": "New",
            "enable": "on",
        },
        surface=PAGE,
    ),  # fmt: skip
    row("work_order_management:workorder-create", "get", {S}, 200, LIST, surface=PAGE),
    row(
        "work_order_management:workorder-create",
        "post",
        {S},
        201,
        CREATE,
        "site",
        lambda w, k: {
            "site": w[k]["site"].pk,
            "description": "New order",
            "vendor": w[k]["vendor"].pk,
            "priority": "LOW",
        },
        surface=PAGE,
    ),  # fmt: skip
    row("work_order_management:workpermit-create", "get", {T}, 200, LIST, surface=PAGE),
    row(
        "work_order_management:workpermit-create",
        "post",
        {T},
        201,
        CREATE,
        "site",
        lambda w, k: {
            "site": w[k]["site"].pk,
            "permit_type": w[k]["typeassist"].pk,
            "details": '[{"question": "Ok?"}]',
        },
        surface=PAGE,
    ),  # fmt: skip
    # Read pages: lists show the user's client's records (none for a person without a client),
    # details are found among them.
    *[row(name, "get", ALL_ROLES, 200, LIST, surface=PAGE) for name in LIST_PAGES],
    *[
        row(name, "get", ALL_ROLES, 200, DETAIL, target, surface=PAGE)
        for name, target in (
            ("activity:asset-detail", "asset"),
            ("activity:job-detail", "job"),
            ("activity:jobneed-detail", "jobneed"),
            ("attendance:event-detail", "event"),
            ("onboarding:businessunit-detail", "site"),
            ("peoples:people-detail", "worker"),
            ("work_order_management:vendor-detail", "vendor"),
            ("work_order_management:workorder-detail", "workorder"),
            ("work_order_management:workpermit-detail", "permit"),
        )
    ],  # fmt: skip
    # Workflow buttons (a JSON caller gets 200; a browser a redirect with a message).
    row(
        "activity:jobneed-transition",
        "post",
        {T, S},
        200,
        DETAIL,
        "jobneed",
        lambda w, k: {"to_status": "INPROGRESS"},
        surface=PAGE,
    ),  # fmt: skip
    row(
        "work_order_management:workorder-status",
        "post",
        {S},
        200,
        DETAIL,
        "workorder",
        lambda w, k: {"workstatus": "INPROGRESS"},
        surface=PAGE,
    ),  # fmt: skip
    row(
        "work_order_management:workorder-dispatch",
        "post",
        {S},
        200,
        DETAIL,
        "workorder",
        lambda w, k: {},
        surface=PAGE,
    ),  # fmt: skip
    row(
        "work_order_management:workpermit-decide",
        "post",
        ALL_ROLES,
        200,
        DETAIL,
        "permit",
        lambda w, k: {"role": "APPROVER", "decision": "APPROVED"},
        surface=PAGE,
    ),  # fmt: skip
    row("work_order_management:vendor-update", "get", {C}, 200, DETAIL, "vendor", surface=PAGE),
    row(
        "work_order_management:vendor-update",
        "post",
        {C},
        200,
        DETAIL,
        "vendor",
        lambda w, k: {"code": w[k]["vendor"].code, "name": "Renamed", "enable": "on"},
        surface=PAGE,
    ),  # fmt: skip
    # Edit pages: the roles of the API's PATCH of the same record.
    row("work_order_management:workorder-update", "get", {S}, 200, DETAIL, "workorder", surface=PAGE),
    row(
        "work_order_management:workorder-update",
        "post",
        {S},
        200,
        DETAIL,
        "workorder",
        lambda w, k: {"description": "Changed", "vendor": w[k]["vendor"].pk, "priority": "HIGH"},
        surface=PAGE,
    ),  # fmt: skip
    row("activity:asset-update", "get", {S}, 200, DETAIL, "asset", surface=PAGE),
    row(
        "activity:asset-update",
        "post",
        {S},
        200,
        DETAIL,
        "asset",
        lambda w, k: {"assetname": "Renamed", "location": "Roof", "enable": "on"},
        surface=PAGE,
    ),  # fmt: skip
    row("activity:job-update", "get", {S}, 200, DETAIL, "job", surface=PAGE),
    row(
        "activity:job-update",
        "post",
        {S},
        200,
        DETAIL,
        "job",
        lambda w, k: {
            "jobname": "Renamed",
            "frequency": "WEEKLY",
            "fromdate": WHEN.isoformat(),
            "uptodate": (WHEN + datetime.timedelta(days=20)).isoformat(),
            "planduration": 45,
            "gracetime": 0,
        },
        surface=PAGE,
    ),  # fmt: skip
    row("onboarding:site-update", "get", {C}, 200, DETAIL, "site", surface=PAGE),
    row(
        "onboarding:site-update",
        "post",
        {C},
        200,
        DETAIL,
        "site",
        lambda w, k: {"client": w[k]["client"].pk, "bucode": "HQ", "buname": "Renamed", "enable": "on"},
        surface=PAGE,
    ),  # fmt: skip
    # A client is changed by platform staff alone; its own people see it (403), others do not (404).
    row("onboarding:client-update", "get", set(), 200, DETAIL, "client", surface=PAGE),
    row(
        "onboarding:client-update",
        "post",
        set(),
        200,
        DETAIL,
        "client",
        lambda w, k: {"bucode": w[k]["client"].bucode, "buname": "Renamed", "enable": "on"},
        surface=PAGE,
    ),  # fmt: skip
]


def _both(route, method, user, status):
    return {(route, method, user, OWN): status, (route, method, user, OTHER): status}


#: Cells that the rules above do not decide, as ``(route, method, user, target): status``.
OVERRIDES = {
    # The start page and the API's index are open to everyone signed in (the start page to all).
    **_both("home", "get", ANONYMOUS, 200),
    **_both("home", "get", NO_CLIENT, 200),
    **_both("api:api-root", "get", NO_CLIENT, 200),
    **_both("api-schema", "get", NO_CLIENT, 200),
    **_both("api-docs", "get", NO_CLIENT, 200),
    # A permit is decided by the approver appointed to it (the supervisor), by nobody else,
    # platform staff included.
    ("api:workpermit-approve", "post", TECHNICIAN, OWN): 403,
    ("api:workpermit-approve", "post", CLIENT_ADMIN, OWN): 403,
    **_both("api:workpermit-approve", "post", STAFF, 403),
    # The permit's only verifier has verified it: nobody of the acting users is its verifier.
    ("api:workpermit-verify", "post", TECHNICIAN, OWN): 403,
    ("api:workpermit-verify", "post", SUPERVISOR, OWN): 403,
    ("api:workpermit-verify", "post", CLIENT_ADMIN, OWN): 403,
    **_both("api:workpermit-verify", "post", STAFF, 403),
    # The same decision from the permit's page.
    ("work_order_management:workpermit-decide", "post", TECHNICIAN, OWN): 403,
    ("work_order_management:workpermit-decide", "post", CLIENT_ADMIN, OWN): 403,
    **_both("work_order_management:workpermit-decide", "post", STAFF, 403),
    # A person without a client may open a list page: it is empty.
    **{key: 200 for name in LIST_PAGES for key in _both(name, "get", NO_CLIENT, 200)},
    # A technician checks themselves in: someone else of their client is a 403 (the service's
    # rule), someone of another client is not even a valid choice (400).
    ("api:attendance-check-in", "post", TECHNICIAN, OTHER): 400,
    ("api:attendance-check-out", "post", TECHNICIAN, OTHER): 400,
    ("attendance:event-create", "post", TECHNICIAN, OTHER): 400,
    # Platform staff belong to no client and no site: their vendor has no site to go to.
    **_both("api:vendor-list", "post", STAFF, 400),
    **_both("work_order_management:vendor-create", "post", STAFF, 400),
    # The failure record asked for does not exist: staff get the 404 of a missing record.
    **_both("transaction-failure-api", "get", STAFF, 404),
    **_both("transaction-failure-page", "get", STAFF, 404),
    **_both("transaction_failure_detail", "get", STAFF, 404),
}

#: Routes whose access is proven by their own tests, with the reason they are not cells here.
OWN_TESTS = {
    "api-token": "sign-in: open to everyone by design; its limits on guessing have their own tests",
    "health-live": "public liveness probe, see the health tests",
    "health-ready": "public readiness probe, see the health tests",
    "metrics": "Prometheus scrape endpoint, see the metrics tests",
    "admin:login": "the sign-in page of the admin",
    "admin:logout": "signing out",
    **{
        name: "Django's sign-in, sign-out and password views: see apps/peoples/tests/test_sign_in.py"
        for name in (
            "login",
            "logout",
            "password_change",
            "password_change_done",
            "password_reset",
            "password_reset_done",
            "password_reset_confirm",
            "password_reset_complete",
        )
    },  # fmt: skip
}

#: The admin is for platform staff only: everyone else is sent to its sign-in page.
ADMIN_NAMESPACE = "admin"


# The rules
# ------------------------------------------------------------------------------


def expected(r, user, target):
    override = OVERRIDES.get((r.route, r.method, user, target))
    if override is not None:
        return override
    if user == ANONYMOUS:
        return 401 if r.surface == API else 302
    if user == STAFF:
        return r.success
    if r.kind in (DETAIL, SHARED) and user == NO_CLIENT:
        return 404
    if r.kind == DETAIL and target == OTHER:
        return 404
    if user == NO_CLIENT or user not in r.allowed:
        return 403
    if r.kind == CREATE and target == OTHER:
        return 400
    return r.success


def cells():
    return [
        pytest.param(r, user, target, id=f"{r.route}-{r.method}-{user}-{target}")
        for r in ROUTES
        for user in USERS
        for target in (OWN, OTHER)
    ]


# The two clients
# ------------------------------------------------------------------------------


def _person(username, client, site, role, **extra):
    return create_person(
        author=None,
        username=username,
        peoplecode=username.upper(),
        peoplename=username.title(),
        password="correct horse battery staple",
        email=f"{username}@example.com",
        client=client,
        site=site,
        roles=[role] if role else None,
        **extra,
    )


def _client_world(key, group):
    client = create_client(author=None, bucode=f"CL{key}", buname=f"Client {key}")
    site = create_site(author=None, client=client, bucode="HQ", buname=f"{key} HQ")  # the same code in both
    world = {"client": client, "site": site}
    world["worker"] = _person(f"worker{key}", client, site, TECHNICIAN)
    world["idle"] = _person(f"idle{key}", client, site, TECHNICIAN)
    world["approver_person"] = _person(f"approver{key}", client, site, SUPERVISOR)
    world["verifier_person"] = _person(f"verifier{key}", client, site, TECHNICIAN)
    world["approver"] = create_approver(author=None, people=world["approver_person"], identifier="APPROVER", site=site)
    create_approver(author=None, people=world["verifier_person"], identifier="VERIFIER", site=site)
    world["typeassist"] = create_type_assist(author=None, tatype=group, tacode="HOT", taname="Hot", client=client)
    world["asset"] = create_asset(author=None, assetcode="P-1", assetname="Pump", site=site)
    world["job"] = create_job(
        author=None, jobname="Inspect", asset=world["asset"], fromdate=WHEN, uptodate=WHEN + datetime.timedelta(days=20)
    )
    world["jobneed"] = world["job"].jobneeds.order_by("plandatetime").first()
    world["vendor"] = create_vendor(author=None, code="FIX", name="Fix-It", site=site, email="fix@example.com")
    world["workorder"] = create_work_order(author=None, description="Fix", site=site, vendor=world["vendor"])
    world["permit"] = create_work_permit(
        author=world["worker"], site=site, permit_type=world["typeassist"], details=[dict(d) for d in DETAILS]
    )
    # Verified, so that its approver may decide it (verifiers first, then approvers).
    decide_permit(author=world["verifier_person"], permit=world["permit"], decision="APPROVED", role="VERIFIER")
    world["event"] = check_in(author=None, people=world["worker"])
    world["failure"] = None
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Client A (the acting users' own) and client B (another client), committed once for the module."""
    with django_db_blocker.unblock():
        group = get_or_create_type_assist(
            author=None, group_code="PERMITTYPE", group_name="Permit type", tacode="GEN", taname="General"
        ).tatype
        w = {"group": group, "shared": group, OWN: _client_world("A", group), OTHER: _client_world("B", group)}
        own = w[OWN]
        w["users"] = {
            TECHNICIAN: _person("tech", own["client"], own["site"], TECHNICIAN),
            SUPERVISOR: own["approver_person"],  # the appointed approver of the site's permits
            CLIENT_ADMIN: _person("cadmin", own["client"], own["site"], CLIENT_ADMIN),
            NO_CLIENT: _person("nobody", None, None, TECHNICIAN),
            STAFF: _person("ops", None, None, None, is_staff=True, is_superuser=True),
        }
        Token.objects.get_or_create(user=own["worker"])
        yield w
        call_command("flush", interactive=False, verbosity=0)


def _signed_in(user, surface):
    client = APIClient() if surface == API else APIClient(enforce_csrf_checks=False)
    if user is not None:
        client.force_login(user)
    return client


def _path(r, w, target):
    if r.route == "api:supertypeassist-detail":
        return reverse(r.route, kwargs={"pk": w["shared"].pk})
    if r.target == "failure":  # a failure record that does not exist (the report's name calls its key "id")
        return reverse(r.route, args=[987654])
    if r.kind != DETAIL:
        return reverse(r.route)
    obj = w[target][r.target]
    return reverse(r.route, kwargs={"pk": obj.pk if obj is not None else 987654})


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize(("r", "user", "target"), cells())
def test_cell(r, user, target, world):
    w = world
    client = _signed_in(w["users"].get(user), r.surface)
    data = r.body(w, target) if r.body else None
    target_obj = w[target].get(r.target) if r.target and r.kind != LIST else None
    before = database_snapshot(target_obj)
    if r.surface == API:
        response = getattr(client, r.method)(_path(r, w, target), data, format="json")
    else:
        response = getattr(client, r.method)(_path(r, w, target), data)
    want = expected(r, user, target)
    assert response.status_code == want, (r.route, r.method, user, target, getattr(response, "content", b"")[:300])
    if want == 302:
        assert "login" in response["Location"]
    if response.status_code >= 300 and r.method not in ("get", "head", "options"):
        assert database_snapshot(target_obj) == before, "a refused write changed the database"
    if r.kind == LIST and r.method == "get" and r.surface == API and r.target in w[OWN] and response.status_code == 200:
        ids = {item["id"] for item in response.json()["results"]}
        assert w[OWN][r.target].pk in ids
        if user != STAFF:
            assert w[OTHER][r.target].pk not in ids, "a list showed another client's record"


# The admin: platform staff only
# ------------------------------------------------------------------------------


def _admin_object(w, model):
    known = {
        People: w[OWN]["worker"], Bt: w[OWN]["site"], TypeAssist: w[OWN]["typeassist"], Asset: w[OWN]["asset"],
        Job: w[OWN]["job"], Vendor: w[OWN]["vendor"], Approver: w[OWN]["approver"], WorkOrder: w[OWN]["workorder"],
        WorkPermit: w[OWN]["permit"], PeopleEventlog: w[OWN]["event"], SuperTypeAssist: w["shared"],
        Group: Group.objects.order_by("pk").first(),
    }  # fmt: skip
    if model in known:
        return known[model]
    return model._base_manager.first()


def _admin_routes():
    routes = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        for view in ("changelist", "add", "change", "history", "delete"):
            routes.append((f"admin:{info[0]}_{info[1]}_{view}", model, model_admin, view))
    return routes


ADMIN_PAGES = ["admin:index", "admin:jsi18n", "admin:password_change", "admin:password_change_done"]


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("user", USERS)
def test_the_admin_is_for_platform_staff_alone(user, world):
    w = world
    client = _signed_in(w["users"].get(user), PAGE)
    for name, model, model_admin, view in _admin_routes():
        obj = _admin_object(w, model)
        kwargs = {}
        if view in ("change", "history", "delete"):
            kwargs = {"object_id": obj.pk if obj is not None else 987654}
        url = reverse(name, kwargs=kwargs)
        before = database_snapshot(obj)
        response = client.get(url)
        if user != STAFF:
            assert response.status_code == 302 and "login" in response["Location"], (name, user)
            refused = client.post(url, {"name": "x"})
            assert refused.status_code == 302 and "login" in refused["Location"], (name, user)
            assert database_snapshot(obj) == before, f"a refused admin write changed the database ({name})"
            continue
        request = response.wsgi_request
        allowed = {
            "changelist": model_admin.has_view_or_change_permission(request),
            "add": model_admin.has_add_permission(request),
            "change": model_admin.has_view_or_change_permission(request, obj),
            "history": model_admin.has_view_or_change_permission(request, obj),
            "delete": model_admin.has_delete_permission(request, obj),
        }[view]
        missing = obj is None and view not in ("changelist", "add")  # the admin sends a missing object home
        want = 403 if not allowed else (302 if missing else 200)
        assert response.status_code == want, (name, response.status_code)
    for name in [*ADMIN_PAGES, "admin:app_list"]:
        kwargs = {"app_label": "peoples"} if name == "admin:app_list" else {}
        response = client.get(reverse(name, kwargs=kwargs))
        if user == STAFF:
            assert response.status_code == 200, name
        else:
            assert response.status_code == 302 and "login" in response["Location"], (name, user)
    worker = w[OWN]["worker"]
    password_url = reverse("admin:auth_user_password_change", kwargs={"id": worker.pk})
    response = client.post(password_url, {"password1": "x-new-long-one", "password2": "x-new-long-one"})
    if user == STAFF:
        assert response.status_code == 302 and "login" not in response["Location"]
    else:
        assert response.status_code == 302 and "login" in response["Location"]
        assert People.objects.get(pk=worker.pk).check_password("correct horse battery staple")


def test_admin_related_field_choices_offer_every_client_to_staff(world, client, db):
    client.force_login(world["users"][STAFF])
    page = client.get(reverse("admin:activity_asset_change", kwargs={"object_id": world[OWN]["asset"].pk}))
    assert page.status_code == 200
    choices = {str(c[0].value) for c in page.context["adminform"].form.fields["site"].choices if c[0]}
    assert {str(world[OWN]["site"].pk), str(world[OTHER]["site"].pk)} <= choices


# Completeness
# ------------------------------------------------------------------------------


def _served_routes():
    names, unnamed = set(), []

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, namespace + (f"{pattern.namespace}:" if pattern.namespace else ""))
            elif isinstance(pattern, URLPattern):
                if pattern.name is None:
                    unnamed.append(namespace)
                else:
                    names.add(namespace + pattern.name)

    walk(get_resolver())
    return names, unnamed


def test_every_route_is_in_the_table():
    names, unnamed = _served_routes()
    covered = {r.route for r in ROUTES} | set(OWN_TESTS) | {name for name, *_ in _admin_routes()}
    covered |= {*ADMIN_PAGES, "admin:app_list", "admin:auth_user_password_change", "admin:autocomplete"}
    covered |= {"admin:view_on_site"}
    assert sorted(names - covered) == [], "routes without an expected outcome in the authorization matrix"
    assert set(unnamed) <= {f"{ADMIN_NAMESPACE}:"}, "only the admin's own redirects may be unnamed"


def test_every_method_a_route_serves_is_in_the_table():
    from config.api_router import router

    table = {(r.route, r.method) for r in ROUTES}
    missing = []
    for _prefix, viewset, basename in router.registry:
        allowed = set(viewset.http_method_names) - {"head", "options"}
        for route in router.get_routes(viewset):
            name = f"api:{route.name.format(basename=basename)}"
            for method in router.get_method_map(viewset, route.mapping):
                if method in allowed and (name, method) not in table:
                    missing.append((name, method))
    assert missing == []


def test_admin_autocomplete_and_view_on_site_refuse_everyone_but_staff(world, client, db):
    for user in (TECHNICIAN, CLIENT_ADMIN, NO_CLIENT):
        client.force_login(world["users"][user])
        for url in (reverse("admin:autocomplete"), reverse("admin:view_on_site", args=[1, 1])):
            response = client.get(url)
            assert response.status_code == 302 and "login" in response["Location"]
