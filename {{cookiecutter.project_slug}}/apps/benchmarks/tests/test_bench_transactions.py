"""``bench_transactions`` runs end to end and reports every figure; no timing is asserted."""

import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from apps.benchmarks import bench
from apps.benchmarks.fixtures import make_bench_data, remove_bench_data
from apps.onboarding.models import Bt

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
WITH_REDIS = bool(settings.REDIS_URL)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def run_bench(tmp_path, **options):
    out = io.StringIO()
    path = tmp_path / "bench.json"
    call_command("bench_transactions", rounds=1, warmup=0, ops=1, json_path=str(path), stdout=out, **options)
    return out.getvalue(), json.loads(path.read_text())


def test_the_benchmark_prints_a_line_and_writes_a_json_entry_for_every_figure(tmp_path):
    output, report = run_bench(tmp_path)
    first_words = [line.split()[0] for line in output.splitlines() if line.strip()]
    for key in bench.FIGURES:
        assert key in first_words, f"no line for {key}:\n{output}"
    assert set(report["figures"]) == set(bench.FIGURES)
    for key, figure in report["figures"].items():
        assert {"measured", "floor", "ratio", "target", "status", "note"} <= set(figure), key
    assert {"engine", "machine", "rounds", "warmup", "ops"} <= set(report)


def test_figures_that_need_another_backend_are_n_a_with_the_fix_and_the_others_are_judged(tmp_path):
    output, report = run_bench(tmp_path)
    figures = report["figures"]
    expected_na = {key for key, present in (("R3_postgres", ON_POSTGRES), ("R3_redis", WITH_REDIS)) if not present}
    assert {key for key, figure in figures.items() if figure["status"] == "n/a"} == expected_na
    if not ON_POSTGRES:
        assert "n/a on SQLite" in output and "DATABASE_URL=postgres://" in figures["R3_postgres"]["note"]
    if not WITH_REDIS:
        assert "REDIS_URL=redis://" in figures["R3_redis"]["note"]
    for key, figure in figures.items():
        if key not in expected_na:
            assert figure["status"] in ("PASS", "MISS"), key
            assert figure["measured"] is not None and figure["floor"] is not None, key


def test_monitoring_adds_no_query_and_a_permit_creation_no_savepoint(tmp_path):
    """Counted, not timed: these two figures are exact on every engine."""
    _, report = run_bench(tmp_path, figures="R4_queries,R5")
    assert report["figures"]["R4_queries"]["measured"] == 0
    assert report["figures"]["R4_queries"]["details"]["monitoring_queries"] == []
    assert report["figures"]["R5"]["measured"] == 0
    assert set(report["figures"]) == {"R4_queries", "R5"}


def test_the_benchmark_leaves_no_row_behind(tmp_path):
    before = Bt.objects.count()
    run_bench(tmp_path, figures="R1,R5")
    assert Bt.objects.count() == before
    assert not Bt.objects.filter(bucode__startswith="BENCH-").exists()


def _shape(sql):
    """A statement without its values: its verb and table (BEGIN/COMMIT as they are)."""
    match = re.match(r'\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT .*? FROM|BEGIN|COMMIT)\s*"?(\w*)', sql, re.DOTALL)
    return (match.group(1).split()[0], match.group(2)) if match else (sql[:20], "")


def test_the_bare_floor_issues_the_same_statements_as_the_service():
    data = make_bench_data("TEST")
    try:
        paths = bench.PermitPaths(data, "default")
        shapes = {}
        with bench.stubbed_side_effects():
            for name in ("service", "monitoring_bypassed", "bare_atomic"):
                with bench.capture_every_alias() as captured:
                    getattr(paths, name)()
                shapes[name] = [_shape(sql) for _, sql in bench.statements(captured)]
        assert shapes["service"] == shapes["bare_atomic"] == shapes["monitoring_bypassed"]
        assert any(table == "work_order_management_womdetails" for _, table in shapes["service"])
    finally:
        remove_bench_data(data)


@pytest.mark.skipif(ON_POSTGRES, reason="on PostgreSQL the advisory-lock figure can be measured")
def test_asking_for_the_postgres_figure_on_sqlite_fails_with_the_fix(tmp_path):
    with pytest.raises(CommandError, match="DATABASE_URL=postgres://"):
        run_bench(tmp_path, figures="R3_postgres")


@pytest.mark.skipif(WITH_REDIS, reason="with REDIS_URL set the Redis figure can be measured")
def test_asking_for_the_redis_figure_without_redis_fails_with_the_fix(tmp_path):
    with pytest.raises(CommandError, match="REDIS_URL=redis://"):
        run_bench(tmp_path, figures="R3_redis")


def test_strict_refuses_whatever_cannot_be_measured_here(tmp_path):
    if ON_POSTGRES and WITH_REDIS:
        output, _ = run_bench(tmp_path, figures="R5", strict=True)
        assert "R5" in output
    else:
        with pytest.raises(CommandError, match="cannot be measured here"):
            run_bench(tmp_path, strict=True)


def test_an_unknown_figure_is_refused(tmp_path):
    with pytest.raises(CommandError, match="unknown figure R9"):
        run_bench(tmp_path, figures="R1,R9")
    assert connection.vendor in ("sqlite", "postgresql")
