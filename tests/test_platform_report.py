"""The platform report's code snippets run unchanged against a freshly baked project."""

import json
from pathlib import Path

SNIPPETS = Path(__file__).with_name("platform_report_snippets.md")
DRIVER = Path(__file__).with_name("platform_report_driver.py")


def test_the_reports_snippets_run_against_a_baked_project(bake, tmp_path):
    project = bake()
    url = f"sqlite:///{tmp_path / 'report.sqlite3'}"
    project.manage("migrate", "--verbosity", "0", DATABASE_URL=url)
    result = project.run("python", str(DRIVER), str(SNIPPETS), DATABASE_URL=url)
    figures = json.loads(result.stdout.strip().splitlines()[-1])

    assert figures["snippets"] == [
        "coverage_audit",
        "health_metrics",
        "monitoring_service",
        "slow_transactions",
        "transaction_manager",
        "urls",
    ]
    assert figures["transaction_manager"] == {
        "atomic_view_operation": "ok",
        "signal_aware_transaction": "ok",
        "transactional_batch_operation": "ok",
    }
    assert figures["groups"] == ["b1", "b2", "b3", "report-context", "report-decorated", "report-saga"]
    assert figures["batch_ok"] is True
    assert all(forms == ["ok", "ok"] for forms in figures["monitoring_service"].values()), figures
    assert set(figures["monitoring_service"]) == {
        "log_transaction_failure",
        "get_transaction_health_summary",
        "get_top_failing_operations",
        "audit_transaction_coverage",
        "get_slow_transactions",
    }

    printed = figures["printed"].splitlines()
    summary = figures["summary"]
    assert summary["failures"] == 1 and summary["commits"] >= 6, summary
    assert printed[0] == f"Success Rate: {summary['success_rate']}%", printed
    assert printed[1] == f"Failure Rate: {summary['failure_rate']}%", printed
    assert 0 < summary["failure_rate"] < 100
    assert printed[2].startswith("Coverage: ") and printed[2].endswith("%")
    assert float(printed[2][len("Coverage: ") : -1]) > 90
    assert printed[3].startswith("Methods without transaction: [")
    assert printed[4] == "report.slow_operation: 1500.0ms", printed

    assert figures["report_url_names"] == [
        "transaction_health_dashboard",
        "transaction_health_api",
        "transaction_failure_detail",
    ]
    assert figures["project_reverse"]["transaction_health_dashboard"] == "/admin/transaction-health/"
    assert figures["project_reverse"]["transaction_health_api"] == "/api/transaction-health/"
    assert figures["project_reverse"]["transaction_failure_detail"].startswith("/api/transaction-failure/")
    assert figures["status"] == {"dashboard": 200, "api": 200, "failure": "report.failing_operation"}
