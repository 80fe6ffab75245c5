"""Django's own error answers are JSON under /api/ (as DRF's are) and pages everywhere else."""

import json

import pytest
from django.test import RequestFactory

from apps.core.views import errors


@pytest.mark.parametrize("path", ["/api/v1/people/1.5/", "/api/v1/work-permits/-3.5/verify/", "/api/nothing/"])
def test_a_path_no_route_matches_is_a_json_404_under_the_api(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_path_no_route_matches_is_a_page_elsewhere(client):
    response = client.get("/peoples/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_request_refused_before_any_view_is_a_json_400_under_the_api(client):
    response = client.get("/api/v1/people/", HTTP_HOST="not-an-allowed-host.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}
    assert client.get("/", HTTP_HOST="not-an-allowed-host.example")["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("handler", "status"), [(errors.permission_denied, 403), (errors.server_error, 500)], ids=["403", "500"]
)
def test_the_other_handlers_answer_json_under_the_api(handler, status):
    request = RequestFactory().get("/api/v1/people/")
    response = handler(request) if status == 500 else handler(request, Exception())
    assert response.status_code == status
    assert set(json.loads(response.content)) == {"detail"}
    page = RequestFactory().get("/peoples/")
    answer = handler(page) if status == 500 else handler(page, Exception())
    assert answer["Content-Type"].startswith("text/html")
