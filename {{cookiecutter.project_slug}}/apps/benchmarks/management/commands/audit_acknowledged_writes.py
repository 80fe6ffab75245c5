"""``manage.py audit_acknowledged_writes``: does every answer tell the truth, under faults?

Starts its own PostgreSQL, two Redis servers (locks and cache; the Celery broker), a Celery
worker and gunicorn with 2 workers, all on loopback (``apps.benchmarks.audit.processes``), and
drives a mixed write load through the API (``apps.benchmarks.audit.load``) while each fault of
``apps.benchmarks.audit.faults`` happens in turn: the broker stopped, the Redis of locks stopped
under a lock-holding transaction, PostgreSQL restarted, a gunicorn worker and the Celery worker
killed with SIGKILL. Then it sends again, with the same idempotency key, what got no answer,
relays the task outbox and waits (bounded) for the worker, and compares every answer with the
database (``apps.benchmarks.audit.figures``). It prints the figures and exits non-zero unless
each is 0.

It never touches the database, Redis or broker it is configured with: only servers it started,
which it stops at the end, also after a failure.
"""

import json
import os
import time
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.benchmarks.audit.faults import FAULTS
from apps.benchmarks.audit.figures import compare
from apps.benchmarks.audit.load import LOST, Load
from apps.benchmarks.audit.processes import AuditError, Stack
from apps.benchmarks.audit.records import AuditData

STOP_SECONDS = 15


def _bounded(low, high, kind=int):
    def parse(value):
        number = kind(value)
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    parse.__name__ = f"number from {low} to {high}"
    return parse


class Command(BaseCommand):
    help = "Fault-inject a write load on servers of its own and check every answer against the database."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=_bounded(1, 8), default=4, help="concurrent clients; default 4")
        parser.add_argument(
            "--fault-seconds", type=_bounded(1, 20, float), default=4.0, help="load under each fault; default 4"
        )
        parser.add_argument(
            "--calm-seconds", type=_bounded(0, 20, float), default=2.0, help="load before each fault; default 2"
        )
        parser.add_argument(
            "--wait", type=_bounded(0, 300, float), default=60.0, help="seconds to wait for task receipts; default 60"
        )
        parser.add_argument(
            "--pause",
            type=_bounded(0, 5, float),
            default=0.25,
            help="each client's pause between requests; default 0.25",
        )
        parser.add_argument("--logs", default="", help="copy the logs of every process it started to this folder")
        parser.add_argument("--json", dest="json_path", default="", help="also write the figures to this JSON file")

    def handle(self, *args, **options):
        started = time.monotonic()
        stack = Stack(gunicorn_workers=2)
        try:
            self._step("starting PostgreSQL, two Redis servers, migrating", started)
            stack.start()
            data = AuditData.from_json(stack.child("setup", "--seats", str(options["clients"] + 1)))
            self._step("starting the Celery worker and gunicorn (2 workers)", started)
            port = stack.serve()
            load = Load(port, data, clients=options["clients"], pause=options["pause"])
            events = self._run_faults(stack, load, options, started)
            self._step("sending again, with their keys, the requests still without an answer", started)
            load.retry_unanswered()
            self._step("relaying the outbox and waiting for the task receipts", started)
            result = stack.child("verify", "--wait", str(options["wait"]))
        except AuditError as error:
            raise CommandError(str(error)) from error
        finally:
            stack.stop(logs_to=options["logs"] or None)
        figures = compare(load.requests, result["written"], result["tasks_missing"], result["tasks_expected"])
        self._report(load.requests, events, figures, started)
        if options["json_path"]:
            report = {
                "requests": len(load.requests),
                "faults": events,
                "figures": {
                    figure.name: {"count": figure.count, "of": figure.of, "by_fault": dict(figure.by_phase)}
                    for figure in figures
                },
                "examples": {figure.name: figure.examples for figure in figures if figure.examples},
                "passed": all(figure.ok for figure in figures),
            }
            Path(options["json_path"]).write_text(json.dumps(report, indent=2) + "\n")
        if not all(figure.ok for figure in figures):
            raise CommandError("the answers and the database disagree: see the figures marked FAIL above")

    def _step(self, text, started):
        self.stdout.write(f"[{time.monotonic() - started:5.1f} s] {text}")
        self.stdout.flush()

    def _run_faults(self, stack, load, options, started):
        events = []
        load.start()
        try:
            for name, fault in FAULTS:
                load.phase = f"before: {name}"
                time.sleep(options["calm_seconds"])
                load.phase = name
                self._step(f"fault: {name}", started)
                events.append(fault(stack, load, options["fault_seconds"]))
            load.phase = "after the faults"
            time.sleep(options["calm_seconds"])
        finally:
            load.stop(timeout=STOP_SECONDS)
        return events

    def _report(self, requests, events, figures, started):
        write = self.stdout.write
        kinds = Counter(request.kind for request in requests)
        lost = sum(1 for request in requests if request.first_lost)
        write(
            f"audit_acknowledged_writes: {len(requests)} write requests through gunicorn (2 workers) on 127.0.0.1, "
            f"{os.cpu_count()} CPUs; {', '.join(f'{kind} {count}' for kind, count in sorted(kinds.items()))}; "
            f"{lost} answers lost and asked again with their key"
        )
        for event in events:
            write(f"  fault: {event}")
        write(f"{'while':<34} {'requests':>8} {'2xx':>5} {'4xx':>5} {'5xx':>5} {'lost':>5}")
        phases = list(dict.fromkeys(request.phase for request in requests))
        for phase in phases:
            batch = [request for request in requests if request.phase == phase]
            first = [request.attempts[0].status for request in batch]
            write(
                f"{phase:<34} {len(batch):>8} {sum(200 <= s < 300 for s in first):>5} "
                f"{sum(400 <= s < 500 for s in first):>5} {sum(s >= 500 and s not in LOST for s in first):>5} "
                f"{sum(s in LOST for s in first):>5}"
            )
        for figure in figures:
            mark = "ok  " if figure.ok else "FAIL"
            style = self.style.SUCCESS if figure.ok else self.style.ERROR
            phases = ", ".join(f"{phase}: {count}" for phase, count in figure.by_phase.items())
            where = f" [{phases}]" if phases else ""
            write(style(f"{mark} {figure.name}: {figure.count} (of {figure.of}; must be 0){where}"))
            for example in figure.examples:
                write(f"       {example}")
        passed = all(figure.ok for figure in figures)
        write(f"audit: {'PASS' if passed else 'FAIL'}; finished in {time.monotonic() - started:.1f} s")
