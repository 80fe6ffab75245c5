"""``manage.py transaction_health``: the transaction health summary, for cron jobs and CI.

Prints the status, rates and the operations that fail most; exits 2 when the status is Critical
(1 is Django's code for a command error), 0 otherwise. ``--json`` prints the summary as JSON,
``--snapshot`` also stores it as a ``TransactionHealthCheck``.

A command runs as the system, for every client: nothing it reads or writes is scoped
(``apps.core.access`` scopes the requests of people).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from apps.core.models import TransactionHealthCheck
from apps.core.services import monitoring_metrics
from apps.core.services.transaction_monitoring_service import TransactionMonitoringService

CRITICAL_EXIT_CODE = 2


class Command(BaseCommand):
    help = "Print the transaction health summary; exit 2 when it is Critical."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="the window, 1 to 720 hours (default 24)")
        parser.add_argument("--limit", type=int, default=5, help="how many failing operations to list")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the summary as JSON")
        parser.add_argument("--snapshot", action="store_true", help="also store a health snapshot")

    def handle(self, *args, hours, limit, as_json, snapshot, **options):
        if not 1 <= hours <= 720:
            raise CommandError(f"--hours must be between 1 and 720, not {hours}")
        monitoring_metrics.fold_quietly()
        service = TransactionMonitoringService
        summary = service.get_transaction_health_summary(hours=hours)
        top = service.get_top_failing_operations(limit=max(1, limit), hours=hours)
        if snapshot:
            service.take_health_snapshot(hours=hours)
        if as_json:
            self.stdout.write(_json({**summary, "top_failing": top}))
        else:
            self._print(summary, top)
        if summary["status"] == TransactionHealthCheck.Status.CRITICAL:
            raise CommandError(
                f"transactions are Critical: {'; '.join(summary['reasons'])}", returncode=CRITICAL_EXIT_CODE
            )

    def _print(self, summary, top):
        style = {
            TransactionHealthCheck.Status.HEALTHY: self.style.SUCCESS,
            TransactionHealthCheck.Status.DEGRADED: self.style.WARNING,
            TransactionHealthCheck.Status.CRITICAL: self.style.ERROR,
        }[summary["status"]]
        write = self.stdout.write
        write(style(f"Transaction health (last {summary['hours']} h): {summary['status_label']}"))
        for reason in summary["reasons"]:
            write(f"  - {reason}")
        average = summary["average_duration_ms"]
        write(
            f"  transactions {summary['total_transactions']}: {summary['commits']} committed, "
            f"{summary['rejections']} rejected, {summary['failures']} failed"
        )
        write(
            f"  success rate {summary['success_rate']:.2f}%, failure rate {summary['failure_rate']:.2f}% "
            f"(rejections are the callers' mistakes and do not count as failures: {summary['rejection_rate']:.2f}%)"
        )
        incidents = summary["after_commit_incidents_by_kind"]
        write(
            f"  after-commit incidents {summary['after_commit_incidents']}: "
            + ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in incidents.items())
        )
        write(
            f"  average duration {'-' if average is None else f'{average:.1f} ms'}, "
            f"{summary['slow_transactions']} slow, {summary['deadlocks']} deadlocks, "
            f"{summary['lock_timeouts']} lock timeouts"
        )
        outbox = summary["outbox"]
        oldest = outbox["oldest_age_seconds"]
        write(
            f"  task outbox: {outbox['pending']} pending"
            + ("" if oldest is None else f", the oldest for {oldest:.0f} s")
        )
        if top:
            write("  failing most:")
            for row in top:
                rate, error = row["failure_rate"], row["last_error_class"]
                write(f"    {row['failures']:>5}  {rate:6.2f}%  {row['operation']}  ({error})")


def _json(data):
    return json.dumps(data, indent=2, default=str)
