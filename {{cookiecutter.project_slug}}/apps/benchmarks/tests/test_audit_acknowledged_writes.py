"""Every answer tells what the database holds, also while the servers behind it fail.

The heavy test runs ``manage.py audit_acknowledged_writes`` whole: its own PostgreSQL, two Redis
servers, a Celery worker and gunicorn, a write load under five faults, and every answer compared
with the database. The others show, without servers, that the comparison finds each kind of lie.
"""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from apps.benchmarks.audit.figures import compare
from apps.benchmarks.audit.load import Attempt, Request

FIGURES = (
    "acknowledged (2xx) but missing",
    "answered as an error but written",
    "lost answers whose retry disagrees with the database",
    "written more than once",
    "committed records' tasks without a delivery receipt",
)


def request(marker, *statuses, kind="permit"):
    made = Request(kind, "/api/v1/work-permits/", {}, "token", marker, "broker stopped")
    made.attempts = [Attempt(status, {"detail": "..."}) for status in statuses]
    return made


def figures_of(requests, written, tasks_missing=(), tasks_expected=0):
    return {figure.name: figure.count for figure in compare(requests, written, list(tasks_missing), tasks_expected)}


def test_truthful_answers_give_zero_everywhere():
    requests = [request("a", 201), request("b", 400), request("c", 0, 201), request("d", 502, 409)]
    figures = figures_of(requests, {"a": 1, "c": 1}, tasks_expected=2)
    assert figures == dict.fromkeys(FIGURES, 0)


def test_an_acknowledged_write_that_is_not_there_is_counted():
    assert figures_of([request("a", 201)], {})["acknowledged (2xx) but missing"] == 1


def test_an_error_answer_for_a_committed_write_is_counted():
    figures = figures_of([request("a", 500), request("b", 503)], {"a": 1, "b": 1})
    assert figures["answered as an error but written"] == 2


def test_a_retry_that_wrote_again_or_answers_an_error_for_a_written_record_is_counted():
    twice, refused, unanswered = request("a", 0, 201), request("b", 0, 400), request("c", 0, 0, 0)
    figures = figures_of([twice, refused, unanswered], {"a": 2, "b": 1})
    assert figures["lost answers whose retry disagrees with the database"] == 3
    assert figures["written more than once"] == 1


def test_tasks_without_receipt_fail():
    figures = compare([], {}, [("notify_vendor", 7, "published")], 3)
    tasks = figures[-1]
    assert (tasks.count, tasks.of, tasks.ok) == (1, 3, False)
    assert tasks.examples == ["notify_vendor of record 7: published"]


@pytest.mark.heavy
@pytest.mark.timeout(300)
def test_every_answer_under_faults_says_what_the_database_holds(tmp_path):
    path = tmp_path / "audit.json"
    out = io.StringIO()
    try:
        call_command("audit_acknowledged_writes", wait=40, json_path=str(path), logs=str(tmp_path / "logs"), stdout=out)
    except CommandError as error:
        pytest.fail(f"{error}\n{out.getvalue()}")
    report = json.loads(path.read_text())
    assert len(report["faults"]) == 5, out.getvalue()
    assert report["requests"] >= 100, out.getvalue()
    assert report["figures"]["committed records' tasks without a delivery receipt"]["of"] > 0
    assert {name: figure["count"] for name, figure in report["figures"].items()} == dict.fromkeys(FIGURES, 0)
    assert report["passed"]
