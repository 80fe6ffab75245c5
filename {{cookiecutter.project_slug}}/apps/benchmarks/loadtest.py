"""The load test: gunicorn on loopback, concurrent API clients, then a check of every row they made.

Only 127.0.0.1 is ever addressed. The server is a gunicorn started for the run (its own process
group, stopped in a ``finally``), on a free port, with ``config.settings.loadtest``. The clients
are threads of this process, each sending one request at a time until its phase ends, with a cap
on the number of requests and a timeout on each.

The two sides, the real API (``machinery``) and the bare endpoints (``bare``), each work for a
client of their own, and are driven in alternating phases (machinery, bare, bare, machinery, ...),
so a drift of the machine's speed during the run falls on both alike.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from django.db.models import Count, Q

from apps.work_order_management.models import PermitApproval, WomDetails, WorkOrder, WorkOrderHistory, WorkPermit

from .fixtures import permit_details
from .timing import percentile

HOST = "127.0.0.1"
SIDES = {
    "machinery": {"work_order": "/api/v1/work-orders/", "permit": "/api/v1/work-permits/"},
    "bare": {"work_order": "/bench/bare/work-orders/", "permit": "/bench/bare/work-permits/"},
}
REQUEST_TIMEOUT = 5.0
MAX_REQUESTS_PER_CLIENT_PHASE = 5000


@dataclass
class Sample:
    side: str
    kind: str
    status: int
    seconds: float
    measured: bool
    body: dict | None = None
    error: str = ""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn serving the project on ``127.0.0.1:port``; ``stop()`` ends it and its workers."""

    def __init__(self, *, base_dir, port, workers, env):
        self.port = port
        self.log = tempfile.NamedTemporaryFile(prefix="load_test_gunicorn_", suffix=".log", delete=False)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "30",
            "--graceful-timeout",
            "3",
            "--no-control-socket",
            "--log-level",
            "warning",
            "--chdir",
            str(base_dir),
        ]
        self.process = subprocess.Popen(
            command, cwd=base_dir, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log_tail(self, lines=30):
        self.log.flush()
        with open(self.log.name, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])

    def wait_until_ready(self, deadline):
        """Poll ``/health/live`` until it answers 200; False when the server died or time ran out."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
                connection.request("GET", "/health/live")
                ready = connection.getresponse().status == 200
                connection.close()
                if ready:
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        return False

    def stop(self):
        """SIGTERM to the master, then SIGKILL to the process group it leads if it lingers."""
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if self.process.poll() is None:
                self.process.wait(timeout=5)
        finally:
            self.log.close()
            os.unlink(self.log.name)


def post(port, path, token, body):
    """One POST to the server on loopback; a Sample with status 0 when the connection failed."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}", "Connection": "close"},
        )
        response = connection.getresponse()
        payload = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return time.perf_counter() - started, 0, None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = None
    return elapsed, status, parsed, ""


@dataclass
class Target:
    """What one side's clients send: its paths, its token, its site and permit type."""

    side: str
    token: str
    site_id: int
    permit_type_id: int
    paths: dict = field(default_factory=dict)

    def body(self, kind, number):
        if kind == "work_order":
            return {"description": f"Load test work order {number}", "site": self.site_id}
        return {"site": self.site_id, "permit_type": self.permit_type_id, "details": permit_details()}


def run_phase(port, target, *, clients, seconds, measured, hard_stop):
    """``clients`` threads send requests to ``target`` for ``seconds``; returns (samples, wall seconds).

    No thread is waited for past ``hard_stop`` (a ``time.monotonic()`` value); each stops starting
    requests when the phase ends, so at most one request per thread is still under way then.
    """
    samples, guard = [], threading.Lock()
    deadline = min(time.monotonic() + seconds, hard_stop)

    def client(index):
        for number in range(MAX_REQUESTS_PER_CLIENT_PHASE):
            if time.monotonic() >= deadline:
                break
            kind = "work_order" if (number + index) % 2 == 0 else "permit"
            elapsed, status, body, error = post(port, target.paths[kind], target.token, target.body(kind, number))
            with guard:
                samples.append(Sample(target.side, kind, status, elapsed, measured, body, error))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(
            timeout=max(0.0, min(deadline + REQUEST_TIMEOUT + 1, hard_stop + REQUEST_TIMEOUT) - time.monotonic())
        )
    with guard:
        return list(samples), time.perf_counter() - started


def summarize(samples, wall_seconds):
    """Requests per second and latency percentiles of one side's measured requests."""
    measured = [sample for sample in samples if sample.measured]
    latencies = [sample.seconds * 1000 for sample in measured]
    statuses = {}
    for sample in measured:
        statuses[str(sample.status)] = statuses.get(str(sample.status), 0) + 1
    by_kind = {}
    for kind in ("work_order", "permit"):
        times = [sample.seconds * 1000 for sample in measured if sample.kind == kind]
        by_kind[kind] = {"requests": len(times), "p50_ms": percentile(times, 0.5), "p99_ms": percentile(times, 0.99)}
    return {
        "requests": len(measured),
        "seconds": wall_seconds,
        "requests_per_second": len(measured) / wall_seconds if wall_seconds else 0.0,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "statuses": statuses,
        "by_kind": by_kind,
    }


def check_integrity(data, samples):
    """Compare what the database holds for the side's client with what its 201 answers announced."""
    checks = {}

    def check(name, ok, detail):
        checks[name] = {"ok": bool(ok), "detail": detail}

    server_errors = [sample for sample in samples if sample.status >= 500]
    transport = [sample for sample in samples if sample.status == 0]
    check("no_5xx", not server_errors, f"{len(server_errors)} responses 5xx")
    check(
        "no_transport_errors",
        not transport,
        f"{len(transport)} failed connections" + (f" (first: {transport[0].error})" if transport else ""),
    )

    created = [sample.body for sample in samples if sample.status == 201 and sample.kind == "permit"]
    announced = {body["id"] for body in created}
    permits = WorkPermit.objects.filter(client=data.client)
    stored = set(permits.values_list("pk", flat=True))
    check(
        "permits_match_responses",
        announced == stored,
        f"{len(stored)} stored, {len(announced)} answered 201; missing {sorted(announced - stored)[:5]}, "
        f"unanswered {sorted(stored - announced)[:5]}",
    )
    incomplete = permits.annotate(
        answers=Count("details", distinct=True),
        approvers=Count("approvals", filter=Q(approvals__role=PermitApproval.Role.APPROVER), distinct=True),
        verifiers=Count("approvals", filter=Q(approvals__role=PermitApproval.Role.VERIFIER), distinct=True),
    ).exclude(answers=len(permit_details()), approvers__gte=1, verifiers__gte=1)
    check(
        "every_permit_whole",
        not incomplete.exists(),
        f"{incomplete.count()} permits without their 5 details, approver and verifier",
    )
    orphans = WomDetails.objects.filter(client=data.client).exclude(permit_id__in=announced).count()
    orphans += PermitApproval.objects.filter(permit__client=data.client).exclude(permit_id__in=announced).count()
    check("no_orphaned_details", orphans == 0, f"{orphans} details or approvals of no announced permit")
    names = list(permits.values_list("permit_name", flat=True))
    check("permit_names_unique", None not in names and len(set(names)) == len(names), f"{len(names)} names")

    orders = [sample.body for sample in samples if sample.status == 201 and sample.kind == "work_order"]
    announced_orders = {body["id"]: body["number"] for body in orders}
    rows = list(WorkOrder.objects.filter(client=data.client).values_list("pk", "number", "sequence"))
    check(
        "work_orders_match_responses",
        set(announced_orders) == {pk for pk, _, _ in rows},
        f"{len(rows)} stored, {len(announced_orders)} answered 201",
    )
    numbers = [number for _, number, _ in rows]
    check(
        "work_order_numbers_unique",
        None not in numbers and len(set(numbers)) == len(numbers),
        f"{len(numbers)} numbers, {len(set(numbers))} distinct",
    )
    sequences = sorted(sequence for _, _, sequence in rows if sequence is not None)
    check(
        "work_order_numbers_contiguous",
        sequences == list(range(1, len(rows) + 1)),
        f"sequences 1..{len(rows)} expected; gaps or repeats: "
        f"{sorted(set(range(1, len(rows) + 1)) ^ set(sequences))[:5]}",
    )
    check(
        "numbers_match_responses",
        all(dict((pk, number) for pk, number, _ in rows).get(pk) == number for pk, number in announced_orders.items()),
        "each 201 answer's number is the stored one",
    )
    histories = (
        WorkOrder.objects.filter(client=data.client)
        .annotate(created=Count("history", filter=Q(history__action=WorkOrderHistory.Action.CREATED)))
        .exclude(created=1)
        .count()
    )
    check("every_work_order_has_its_history", histories == 0, f"{histories} orders without exactly one CREATED entry")
    return {"passed": all(item["ok"] for item in checks.values()), "checks": checks}
