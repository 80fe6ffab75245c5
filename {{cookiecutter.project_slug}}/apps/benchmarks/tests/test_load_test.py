"""``load_test`` serves the project with gunicorn on loopback and checks every row its clients made.

No timing is asserted: only that the run completes, that the database holds exactly what the
201 answers announced, whole, and that no answer was a 5xx.
"""

import io
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import Resolver404, resolve

from apps.onboarding.models import Bt

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(
    not ON_POSTGRES, reason="load_test runs several gunicorn workers, which needs PostgreSQL: set DATABASE_URL"
)
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_short_load_test_leaves_whole_rows_and_answers_no_5xx(tmp_path):
    # Without Redis the workers share PostgreSQL advisory locks.
    backend = settings.DISTRIBUTED_LOCK_BACKEND if settings.REDIS_URL else "postgres"
    path = tmp_path / "load.json"
    out = io.StringIO()
    with override_settings(DISTRIBUTED_LOCK_BACKEND=backend):
        call_command("load_test", seconds=2, clients=2, workers=2, json_path=str(path), stdout=out)
    report = json.loads(path.read_text())
    assert report["host"] == "127.0.0.1"
    assert report["no_5xx"], out.getvalue()
    assert report["integrity_passed"], out.getvalue()
    for side, integrity in report["integrity"].items():
        failed = [name for name, check in integrity["checks"].items() if not check["ok"]]
        assert failed == [], f"{side}: {failed}\n{out.getvalue()}"
    for side in ("machinery", "bare"):
        assert report["sides"][side]["requests"] > 0
        assert report["sides"][side]["statuses"].keys() == {"201"}
    assert "requests/s" in out.getvalue() and "p99 latency" in out.getvalue()
    assert not Bt.objects.filter(bucode__startswith="BENCH-").exists()


@pytest.mark.skipif(ON_POSTGRES, reason="on PostgreSQL the load test runs")
@pytest.mark.django_db
def test_the_load_test_refuses_sqlite_with_the_fix():
    with pytest.raises(CommandError, match="DATABASE_URL=postgres://"):
        call_command("load_test", seconds=1, clients=1, stdout=io.StringIO())


def test_the_bare_endpoints_are_not_in_the_projects_urls():
    for path in ("/bench/bare/work-orders/", "/bench/bare/work-permits/"):
        with pytest.raises(Resolver404):
            resolve(path)
        assert resolve(path, urlconf="apps.benchmarks.urls").url_name.startswith("bare-")
