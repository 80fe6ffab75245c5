"""Every bad input is a 4xx that says what is wrong, on every write route, and writes nothing.

The API's write routes are found by walking its router (as the authorization matrix does); the
form views by walking the URL patterns for the form and workflow-button bases. On each one:

- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (3 MB) is 413 naming the limit, and so is a form
  with more fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``; a browser gets the form again;
- JSON nested 100,000 deep is 400 (the API's parser, the permit's ``details`` field);
- a NUL byte or a lone surrogate in a text field is 400 naming that field.

The caller is platform staff, who may use every route, so that each answer comes from the body
and not from access control. Every request leaves every table as it was.
"""

import datetime
import json

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from apps.activity.services import create_asset, create_job
from apps.attendance.services import check_in
from apps.core.views.actions import RecordActionView
from apps.core.views.forms import AtomicFormView
from apps.onboarding.services import create_client, create_site, create_type_assist, get_or_create_type_assist
from apps.peoples.services import create_person
from apps.work_order_management.services import (
    create_approver,
    create_vendor,
    create_work_order,
    create_work_permit,
)

pytestmark = pytest.mark.django_db(databases="__all__")

WHEN = datetime.datetime(2031, 3, 3, 8, 0, tzinfo=datetime.UTC)
THREE_MB = 3 * 1024 * 1024
DEEP = "[" * 100_000 + "]" * 100_000
NUL, SURROGATE = "a\x00b", "a\ud800b"
WRITE_METHODS = ("post", "put", "patch", "delete")

#: The text field each API write route takes, where a NUL or a lone surrogate must be refused.
API_TEXT_FIELDS = {
    "api:people-list": "peoplename",
    "api:people-detail": "location",
    "api:people-password": "password",
    "api:client-list": "buname",
    "api:client-detail": "buname",
    "api:site-list": "buname",
    "api:site-detail": "buname",
    "api:supertypeassist-list": "name",
    "api:typeassist-list": "taname",
    "api:asset-list": "assetname",
    "api:asset-detail": "location",
    "api:asset-status": "remarks",
    "api:job-list": "jobname",
    "api:job-detail": "jobdesc",
    "api:jobneed-transition": "remarks",
    "api:attendance-check-in": "remarks",
    "api:attendance-check-out": "remarks",
    "api:vendor-list": "name",
    "api:vendor-detail": "address",
    "api:approver-list": "identifier",  # no free text: a choice, refused as one
    "api:workorder-list": "description",
    "api:workorder-detail": "description",
    "api:workpermit-list": "remarks",
    "api:workpermit-approve": "remarks",
    "api:workpermit-verify": "remarks",
}
#: API write routes that take no input at all: nothing in the body is read.
API_WITHOUT_INPUT = {"api:workorder-dispatch-to-vendor", "api:workorder-release-dispatch"}

#: The object a detail route is called on, by the route's basename.
OBJECT_OF = {
    "people": "worker", "client": "client", "site": "site", "asset": "asset", "job": "job", "jobneed": "jobneed",
    "vendor": "vendor", "workorder": "workorder", "workpermit": "permit",
}  # fmt: skip

#: The form views and workflow buttons: the object of the route (None: a creation) and a text field.
FORM_ROUTES = {
    "peoples:people-create": (None, "peoplename"),
    "peoples:people-update": ("worker", "location"),
    "onboarding:client-create": (None, "buname"),
    "onboarding:site-create": (None, "buname"),
    "onboarding:supertypeassist-create": (None, "name"),
    "onboarding:typeassist-create": (None, "taname"),
    "activity:asset-create": (None, "location"),
    "activity:asset-update": ("asset", "location"),
    "activity:job-update": ("job", "jobname"),
    "onboarding:site-update": ("site", "buname"),
    "onboarding:client-update": ("client", "buname"),
    "work_order_management:workorder-update": ("workorder", "description"),
    "activity:asset-status": ("asset", "remarks"),
    "activity:job-create": (None, "jobname"),
    "activity:jobneed-transition": ("jobneed", "remarks"),
    "attendance:event-create": (None, "remarks"),
    "work_order_management:workorder-create": (None, "description"),
    "work_order_management:workorder-status": ("workorder", "workstatus"),
    "work_order_management:workorder-dispatch": ("workorder", "remarks"),
    "work_order_management:vendor-create": (None, "name"),
    "work_order_management:vendor-update": ("vendor", "address"),
    "work_order_management:workpermit-create": (None, "remarks"),
    "work_order_management:workpermit-decide": ("permit", "remarks"),
}


# The routes
# ------------------------------------------------------------------------------


def api_write_routes():
    """``(url name, method, basename, detail)`` of every write the API's router serves."""
    from config.api_router import router

    routes = []
    for _prefix, viewset, basename in router.registry:
        allowed = set(viewset.http_method_names)
        for route in router.get_routes(viewset):
            name = f"api:{route.name.format(basename=basename)}"
            for method in router.get_method_map(viewset, route.mapping):
                if method in WRITE_METHODS and method in allowed:
                    routes.append((name, method, basename, route.detail))
    return routes


def form_routes():
    """URL names of every form view and workflow button the project serves."""
    names = set()

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, namespace + (f"{pattern.namespace}:" if pattern.namespace else ""))
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "view_class", None)
                if view_class and issubclass(view_class, (AtomicFormView, RecordActionView)):
                    names.add(namespace + pattern.name)

    walk(get_resolver())
    return names


API_ROUTES = api_write_routes()


def api_params(*, with_text=False):
    return [
        pytest.param(name, method, basename, detail, id=f"{name}-{method}")
        for name, method, basename, detail in API_ROUTES
        if not with_text or name not in API_WITHOUT_INPUT
    ]


def form_params():
    return [pytest.param(name, id=name) for name in sorted(FORM_ROUTES)]


def test_every_write_route_is_covered():
    assert len(API_ROUTES) >= 24
    named = set(API_TEXT_FIELDS) | API_WITHOUT_INPUT
    assert sorted({name for name, *_ in API_ROUTES} - named) == [], "API write routes without a text field here"
    assert sorted(form_routes() ^ set(FORM_ROUTES)) == [], "form views missing here (or gone)"


# The data
# ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One record of every kind the write routes act on, committed once for the module."""
    with django_db_blocker.unblock():
        group = get_or_create_type_assist(
            author=None, group_code="PERMITTYPE", group_name="Permit type", tacode="GEN", taname="General"
        ).tatype
        client = create_client(author=None, bucode="BAD", buname="Bad input")
        site = create_site(author=None, client=client, bucode="HQ", buname="HQ")
        w = {"client": client, "site": site}
        w["staff"] = create_person(
            author=None, username="ops", peoplecode="OPS", peoplename="Ops", password="a long staff password",
            is_staff=True, is_superuser=True,
        )  # fmt: skip
        w["worker"] = create_person(
            author=None, username="worker", peoplecode="W1", peoplename="Worker", client=client, site=site
        )
        for role in ("VERIFIER", "APPROVER"):
            person = create_person(
                author=None, username=role.lower(), peoplecode=role, peoplename=role.title(), client=client, site=site
            )
            create_approver(author=None, people=person, identifier=role, site=site)
        permit_type = create_type_assist(author=None, tatype=group, tacode="HOT", taname="Hot", client=client)
        w["asset"] = create_asset(author=None, assetcode="P-1", assetname="Pump", site=site)
        w["job"] = create_job(
            author=None, jobname="Inspect", asset=w["asset"], fromdate=WHEN, uptodate=WHEN + datetime.timedelta(days=20)
        )
        w["jobneed"] = w["job"].jobneeds.order_by("plandatetime").first()
        w["vendor"] = create_vendor(author=None, code="FIX", name="Fix-It", site=site, email="fix@example.com")
        w["workorder"] = create_work_order(author=None, description="Fix", site=site, vendor=w["vendor"])
        w["permit"] = create_work_permit(
            author=w["worker"], site=site, permit_type=permit_type, details=[{"question": "Isolated?"}]
        )
        w["event"] = check_in(author=None, people=w["worker"])
        yield w
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)


def _snapshot():
    """Every row of every table (the world is small): a refused write must leave all as it was."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label != "sessions"
    }


@pytest.fixture
def staff_api(world):
    client = APIClient()
    client.force_login(world["staff"])
    return client


def _api_path(world, name, basename, detail):
    if detail:
        return reverse(name, kwargs={"pk": world[OBJECT_OF[basename]].pk})
    return reverse(name)


def _send_json(client, method, path, text):
    return getattr(client, method)(path, text, content_type="application/json")


# The API
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "basename", "detail"), api_params())
def test_api_refuses_a_body_over_the_limit_with_413(name, method, basename, detail, world, staff_api):
    before = _snapshot()
    body = json.dumps({"remarks": "x" * THREE_MB})
    response = _send_json(staff_api, method, _api_path(world, name, basename, detail), body)
    assert response.status_code == 413, response.content[:300]
    answer = response.json()
    assert answer["error"] == "request_too_large"
    assert answer["limit"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert answer["setting"] == "DATA_UPLOAD_MAX_MEMORY_SIZE"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in answer["detail"]
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "method", "basename", "detail"), api_params())
def test_api_refuses_json_nested_100000_deep_with_400(name, method, basename, detail, world, staff_api):
    before = _snapshot()
    response = _send_json(staff_api, method, _api_path(world, name, basename, detail), DEEP)
    assert response.status_code == 400, response.content[:300]
    assert f"deeper than {settings.JSON_MAX_DEPTH} levels" in response.json()["detail"]
    assert _snapshot() == before


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize(("name", "method", "basename", "detail"), api_params(with_text=True))
def test_api_refuses_unstorable_text_naming_the_field(name, method, basename, detail, text, world, staff_api):
    field = API_TEXT_FIELDS[name]
    before = _snapshot()
    # ensure_ascii: the lone surrogate travels as the JSON escape \ud800, as a client would send it.
    body = json.dumps({field: text}, ensure_ascii=True)
    response = _send_json(staff_api, method, _api_path(world, name, basename, detail), body)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json(), response.json()
    assert _snapshot() == before


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
def test_api_refuses_unstorable_text_in_a_permit_question(text, world, staff_api):
    before = _snapshot()
    body = {"site": world["site"].pk, "permit_type": world["permit"].permit_type_id, "details": [{"question": text}]}
    response = _send_json(staff_api, "post", reverse("api:workpermit-list"), json.dumps(body, ensure_ascii=True))
    assert response.status_code == 400, response.content[:300]
    assert "question" in response.json()["details"]["0"], response.json()  # keyed by the item's index
    assert _snapshot() == before


def test_a_person_s_location_over_its_model_length_is_a_field_error(world, staff_api):
    path = reverse("api:people-detail", kwargs={"pk": world["worker"].pk})
    response = staff_api.patch(path, {"location": "x" * 121}, format="json")
    assert response.status_code == 400
    assert "120" in response.json()["location"][0]


def test_too_many_fields_in_an_api_form_body_is_413(world, staff_api):
    fields = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = staff_api.post(reverse("api:vendor-list"), fields, format="multipart")
    assert response.status_code == 413
    assert response.json()["setting"] == "DATA_UPLOAD_MAX_NUMBER_FIELDS"


@pytest.mark.parametrize("body_format", ["multipart", "urlencoded"])
def test_form_encoded_api_bodies_still_work_once_the_middleware_has_read_them(body_format, world, staff_api):
    code = f"G-{body_format}"
    if body_format == "multipart":
        response = staff_api.post(reverse("api:supertypeassist-list"), {"code": code, "name": "G"}, format="multipart")
    else:
        body = f"code={code}&name=G"
        response = staff_api.post(
            reverse("api:supertypeassist-list"), body, content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 201, response.content[:300]
    assert response.json()["code"] == code


# The form views
# ------------------------------------------------------------------------------


def _form_path(world, name):
    key, _ = FORM_ROUTES[name]
    return reverse(name, kwargs={"pk": world[key].pk}) if key else reverse(name)


def _browser(world):
    client = APIClient(HTTP_ACCEPT="text/html,application/xhtml+xml")
    client.force_login(world["staff"])
    return client


def _script(world):
    client = APIClient(HTTP_ACCEPT="application/json")
    client.force_login(world["staff"])
    return client


def _is_form_view(name):
    """A form view shows its form again; a workflow button has no form of its own."""
    return issubclass(
        resolve(reverse(name, kwargs={"pk": 1}) if FORM_ROUTES[name][0] else reverse(name)).func.view_class,
        AtomicFormView,
    )


@pytest.mark.parametrize("name", form_params())
def test_form_refuses_a_body_over_the_limit_with_413(name, world):
    browser, script = _browser(world), _script(world)
    before = _snapshot()
    response = browser.post(_form_path(world, name), {"remarks": "x" * THREE_MB})
    assert response.status_code == 413
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in response.content.decode()
    if _is_form_view(name):
        form = response.context["form"]
        assert any(str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in error for error in form.non_field_errors())
        assert b'<form method="post"' in response.content
    answer = script.post(_form_path(world, name), {"remarks": "x" * THREE_MB})
    assert answer.status_code == 413
    assert answer.json()["limit"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert _snapshot() == before


@pytest.mark.parametrize("name", form_params())
def test_form_refuses_too_many_fields_with_413(name, world):
    browser = _browser(world)
    before = _snapshot()
    fields = {f"f{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = browser.post(_form_path(world, name), fields)
    assert response.status_code == 413
    assert str(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS) in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("name", form_params())
def test_form_refuses_a_nul_byte_by_its_field(name, world):
    _, field = FORM_ROUTES[name]
    browser, script = _browser(world), _script(world)
    before = _snapshot()
    answer = script.post(_form_path(world, name), {field: NUL})
    assert answer.status_code == 400, answer.content[:300]
    assert field in answer.json()["errors"]
    if _is_form_view(name):
        page = browser.post(_form_path(world, name), {field: NUL})
        assert page.status_code == 400
        assert "Null characters are not allowed." in page.context["form"].errors[field]
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("details", "message"),
    [
        (DEEP, f"JSON nested deeper than {settings.JSON_MAX_DEPTH} levels."),
        (json.dumps([{"question": NUL}]), "Null characters are not allowed."),
        (json.dumps([{"question": SURROGATE}], ensure_ascii=True), "Surrogate characters are not allowed: U+D800."),
    ],
    ids=["deep", "nul", "lone-surrogate"],
)
def test_permit_form_refuses_bad_details_by_their_field(details, message, world):
    browser, script = _browser(world), _script(world)
    before = _snapshot()
    data = {"site": world["site"].pk, "permit_type": world["permit"].permit_type_id, "details": details}
    page = browser.post(reverse("work_order_management:workpermit-create"), data)
    assert page.status_code == 400
    assert page.context["form"].errors["details"] == [message]
    answer = script.post(reverse("work_order_management:workpermit-create"), data)
    assert answer.status_code == 400
    assert answer.json()["errors"]["details"][0]["message"] == message
    assert _snapshot() == before
