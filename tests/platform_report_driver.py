"""Run the platform report's snippets inside a baked project; print what they did as JSON.

Started by ``test_platform_report.py`` with the baked project as the working directory and the
snippets file as the only argument. The snippets run unchanged; this script only prepares data
for them (a slow operation, a failure record, a staff login) and records their output.
"""

import ast
import contextlib
import inspect
import io
import json
import os
import re
import sys

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import path, reverse  # noqa: E402


def snippets(text):
    """``{name: code}`` of the snippets file; a shell line that starts Python is not Python."""
    found = {}
    for name, code in re.findall(r"<!-- snippet: (\w+) -->.*?```\w*\n(.*?)```", text, re.DOTALL):
        found[name] = "\n".join(line for line in code.splitlines() if line.strip() != "python manage.py shell")
    return found


def run(code, namespace):
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "<report snippet>", "exec"), namespace)  # noqa: S102 - the point of this script
    return output.getvalue()


def parameters(code):
    """``{function name: [parameter names]}`` of the functions a snippet defines."""
    return {
        node.name: [argument.arg for argument in node.args.args]
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.FunctionDef) and node.name not in ("decorator", "wrapper")
    }


def accepts(function, names, *, positional):
    signature = inspect.signature(function)
    try:
        if positional:
            signature.bind(*names)
        else:
            signature.bind(**dict.fromkeys(names))
    except TypeError as error:
        return str(error)
    return "ok"


def main():
    from apps.core.services import monitoring_metrics, transaction_manager
    from apps.core.services.transaction_monitoring_service import TransactionMonitoringService
    from apps.peoples.models import People
    from django.contrib.auth.models import Group

    found = snippets(open(sys.argv[1], encoding="utf-8").read())
    result = {"snippets": sorted(found)}

    # The transaction manager: the report's functions exist here and take the report's parameters.
    signatures = parameters(found["transaction_manager"])
    result["transaction_manager"] = {
        name: accepts(getattr(transaction_manager, name), names, positional=False) for name, names in signatures.items()
    }
    from apps.core.services.transaction_manager import (
        TransactionManager,
        atomic_view_operation,
        signal_aware_transaction,
        transactional_batch_operation,
    )

    @atomic_view_operation(using=None)
    def create(name):
        return Group.objects.create(name=name)

    create("report-decorated")
    with signal_aware_transaction(using=None):
        Group.objects.create(name="report-context")
    batch = transactional_batch_operation(
        ["b1", "b2", "b3"], lambda name: Group.objects.create(name=name), batch_size=2
    )
    saga = TransactionManager("report saga")
    saga.add_step("group", lambda context: context.update(pk=Group.objects.create(name="report-saga").pk))
    saga.execute()
    # The groups the snippets made (the project's role groups exist from its migrations).
    from apps.core.access.roles import Role

    result["groups"] = sorted(Group.objects.exclude(name__in=Role.values).values_list("name", flat=True))
    result["batch_ok"] = bool(batch.ok)

    # The monitoring service: the report's methods, called as the report defines them.
    service_signatures = parameters(found["monitoring_service"])
    classes = {
        "log_transaction_failure": TransactionMonitoringService,
        "get_transaction_health_summary": TransactionMonitoringService,
        "get_top_failing_operations": TransactionMonitoringService,
        "audit_transaction_coverage": __import__(
            "apps.core.services.transaction_monitoring_service", fromlist=["TransactionAuditService"]
        ).TransactionAuditService,
        "get_slow_transactions": None,
    }
    classes["get_slow_transactions"] = classes["audit_transaction_coverage"]
    result["monitoring_service"] = {
        name: [
            accepts(getattr(classes[name], name), names, positional=True),
            accepts(getattr(classes[name], name), names, positional=False),
        ]
        for name, names in service_signatures.items()
    }
    record = TransactionMonitoringService.log_transaction_failure(
        "report.failing_operation", RuntimeError("disk full"), "ReportView", None
    )
    monitoring_metrics.record("report.slow_operation", monitoring_metrics.COMMIT, 1.5)
    monitoring_metrics.fold()

    # The monitoring snippets, unchanged, in one shell session as the report runs them.
    namespace = {}
    result["printed"] = "".join(
        run(found[name], namespace) for name in ("health_metrics", "coverage_audit", "slow_transactions")
    )

    summary = TransactionMonitoringService.get_transaction_health_summary(hours=24)
    result["summary"] = {key: summary[key] for key in ("success_rate", "failure_rate", "failures", "commits")}

    # The URL configuration of the report, unchanged, and the same names in the project's own.
    urls = {"path": path, "urlpatterns": []}
    run(found["urls"], urls)
    result["report_url_names"] = [pattern.name for pattern in urls["urlpatterns"]]
    result["project_reverse"] = {
        "transaction_health_dashboard": reverse("transaction_health_dashboard"),
        "transaction_health_api": reverse("transaction_health_api"),
        "transaction_failure_detail": reverse("transaction_failure_detail", kwargs={"id": record.pk}),
    }
    setup_test_environment()
    staff = People.objects.create_superuser("report.staff", "staff@example.com", "report-staff-password-1")
    client = Client()
    client.force_login(staff)
    result["status"] = {
        "dashboard": client.get(reverse("transaction_health_dashboard")).status_code,
        "api": client.get(reverse("transaction_health_api"), {"action": "health_summary"}).status_code,
        "failure": client.get(reverse("transaction_failure_detail", kwargs={"id": record.pk})).json()["operation"],
    }
    print(json.dumps(result))


main()
