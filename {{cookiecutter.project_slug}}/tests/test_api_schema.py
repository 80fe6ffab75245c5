"""The OpenAPI 3 schema of the whole API (drf-spectacular) and its Swagger UI page.

The schema is generated without a single warning or error and validates against the OpenAPI 3
specification; it names every route of the API's router. ``/api/schema/`` and ``/api/docs/`` are
for signed-in users (anyone signed in, whatever their role: the schema describes the API, not
anyone's data). The docs page takes its script and styles from the sidecar's static files and a
script URL of its own, so the Content-Security-Policy needs no ``unsafe-inline``.
"""

import re

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

STATIC = re.compile(r'(?:src|href)="/static/([^"?]+)"')


@pytest.fixture
def person(db):
    return get_user_model().objects.create_user(
        username="reader", password="a-long-reader-password", peoplecode="READ", peoplename="Reader"
    )


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn: any warning or error of the generator fails the command (and this test).
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for expected in (
        "/api/v1/people/",
        "/api/v1/people/{id}/password/",
        "/api/v1/work-permits/{id}/approve/",
        "/api/v1/attendance/check-in/",
        "/api/transaction-health/",
    ):
        assert expected in paths


def test_every_router_route_is_in_the_schema(tmp_path):
    from config.api_router import router

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    paths = set(yaml.safe_load(target.read_text())["paths"])
    for prefix, viewset, _basename in router.registry:
        for route in router.get_routes(viewset):
            url = route.url.replace("{prefix}", prefix).replace("{trailing_slash}", "/").replace("{lookup}", "{id}")
            url = url.replace("^", "").replace("$", "")
            assert f"/api/v1/{url}" in paths, url


def test_the_action_bodies_are_their_own_serializers(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]

    def request_schema(path):
        return paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    assert request_schema("/api/v1/assets/{id}/status/").endswith("/AssetStatusRequest")
    assert request_schema("/api/v1/work-permits/{id}/approve/").endswith("/DecisionRequest")
    assert request_schema("/api/v1/people/{id}/password/").endswith("/PasswordRequest")
    assert "requestBody" not in paths["/api/v1/work-orders/{id}/dispatch/"]["post"]


def test_anyone_signed_in_reads_the_schema(client, person):
    assert client.get(reverse("api-schema")).status_code == 401
    client.force_login(person)
    response = client.get(reverse("api-schema") + "?format=json")
    assert response.status_code == 200
    assert response.json()["info"]["title"].endswith(" API")
    assert client.get(reverse("api-schema")).content.startswith(b"openapi: 3.")


def test_the_docs_page_is_served_from_static_files_under_the_policy(client, person):
    anonymous = client.get(reverse("api-docs"))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    client.force_login(person)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    html = page.content.decode()
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html), "inline code the CSP refuses"
    files = STATIC.findall(html)
    assert {"drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js", "core/api-docs.css"} <= set(files)
    for name in files:
        assert finders.find(name), f"{name} is not among the static files"
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api-schema") in script.content.decode()
