"""``manage.py load_test``: gunicorn on loopback under concurrent API clients, then an integrity check.

Starts gunicorn (several workers, ``config.settings.loadtest``) on a free port of 127.0.0.1,
drives ``--clients`` concurrent clients creating work orders and permits through the API for
``--seconds``, and the same load against bare endpoints doing the same writes without the
machinery. Then it checks the database: every 201 answer's rows are there and whole, nothing
else is (no orphaned details), work-order numbers are unique and without gaps, no answer was
a 5xx. It prints requests per second and p50/p99 latency of both sides and their ratio.

The whole command ends by itself within about a minute: the server gets 20 seconds to come
up, the measured time is capped at 30 seconds, every request times out after 10 seconds, and
gunicorn is stopped in a ``finally``. It needs PostgreSQL (several processes write at once)
and a lock backend that works across processes (Redis, or PostgreSQL advisory locks). The rows
it made are deleted afterwards unless ``--keep-data`` is given.

A command runs as the system, for every client: nothing it reads or writes is scoped
(``apps.core.access`` scopes the requests of people).
"""

import json
import os
import time
from importlib.util import find_spec
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from apps.benchmarks import loadtest
from apps.benchmarks.fixtures import make_bench_data, remove_bench_data
from apps.core.services import monitoring_metrics
from apps.core.services.transaction_manager import get_current_db_name

RATIO_TARGET = 0.9
BOOT_SECONDS = 20
#: The order of the measured phases: any drift of the machine's speed falls on both sides alike.
PHASES = ("machinery", "bare", "bare", "machinery", "bare", "machinery", "machinery", "bare")
#: No request is started later than this many seconds after the command began.
HARD_STOP_SECONDS = 40


def _bounded(low, high):
    def parse(value):
        number = float(value) if "." in str(value) else int(value)
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    parse.__name__ = f"number from {low} to {high}"
    return parse


def _ms(value):
    return "-" if value is None else f"{value:.1f}"


class Command(BaseCommand):
    help = "Load-test the API under gunicorn on 127.0.0.1 against bare endpoints, then check the database."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=_bounded(1, 30), default=15, help="measured time, both sides; default 15")
        parser.add_argument("--clients", type=_bounded(1, 32), default=4, help="concurrent clients; default 4")
        parser.add_argument("--workers", type=_bounded(1, 8), default=3, help="gunicorn workers; default 3")
        parser.add_argument("--json", dest="json_path", default="", help="also write the results to this JSON file")
        parser.add_argument("--keep-data", action="store_true", help="keep the rows the run made (BENCH- clients)")

    def handle(self, *args, **options):
        started = time.monotonic()
        alias = get_current_db_name()
        connection = connections[alias]
        self._refuse_what_cannot_work(connection)
        sides = {side: make_bench_data("LOAD" + side[:2].upper()) for side in loadtest.SIDES}
        server = None
        try:
            try:
                server = loadtest.Server(
                    base_dir=settings.BASE_DIR,
                    port=loadtest.free_port(),
                    workers=options["workers"],
                    env=self._server_env(connection),
                )
                if not server.wait_until_ready(time.monotonic() + BOOT_SECONDS):
                    raise CommandError(f"gunicorn did not come up within {BOOT_SECONDS} s:\n{server.log_tail()}")
                samples, walls = self._drive(server.port, sides, options, hard_stop=started + HARD_STOP_SECONDS)
            finally:
                if server is not None:
                    server.stop()
            report = self._report(sides, samples, walls, options, started)
        finally:
            if not options["keep_data"]:
                for data in sides.values():
                    remove_bench_data(data)
            monitoring_metrics.drain()
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(report, indent=2, default=str) + "\n")
            self.stdout.write(f"results written to {options['json_path']}")
        if not report["integrity_passed"]:
            raise CommandError("the integrity checks failed: see the lines marked FAIL above")

    def _refuse_what_cannot_work(self, connection):
        if connection.vendor != "postgresql":
            raise CommandError(
                "load_test needs PostgreSQL: several gunicorn workers write at once. "
                "Set DATABASE_URL=postgres://user@127.0.0.1:5432/name and run migrate."
            )
        if settings.DISTRIBUTED_LOCK_BACKEND not in ("redis", "postgres"):
            raise CommandError(
                f"load_test needs a lock backend shared by the gunicorn workers, not "
                f"{settings.DISTRIBUTED_LOCK_BACKEND!r}: set REDIS_URL=redis://127.0.0.1:6379/0 "
                "or DISTRIBUTED_LOCK_BACKEND=postgres."
            )
        if find_spec("gunicorn") is None:
            raise CommandError("gunicorn is not installed: pip install -r requirements/test.txt")

    def _server_env(self, connection):
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.loadtest",
                "LOAD_TEST_DATABASE_NAME": str(connection.settings_dict["NAME"]),
                "DISTRIBUTED_LOCK_BACKEND": settings.DISTRIBUTED_LOCK_BACKEND,
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.pop("PYTEST_XDIST_WORKER", None)
        return env

    def _drive(self, port, sides, options, hard_stop):
        """Warm both sides up, then measure them in alternating phases (``PHASES``)."""
        targets = {
            side: loadtest.Target(side, data.token, data.site.pk, data.permit_type.pk, loadtest.SIDES[side])
            for side, data in sides.items()
        }
        samples = {side: [] for side in sides}
        walls = dict.fromkeys(sides, 0.0)
        self.phases = []
        warmup = min(2.0, options["seconds"] / 10 + 0.5)
        for side in sides:
            phase, _ = loadtest.run_phase(
                port, targets[side], clients=options["clients"], seconds=warmup, measured=False, hard_stop=hard_stop
            )
            samples[side].extend(phase)
        order = PHASES if options["seconds"] >= 8 else PHASES[:4]
        for side in order:
            phase, wall = loadtest.run_phase(
                port,
                targets[side],
                clients=options["clients"],
                seconds=options["seconds"] / len(order),
                measured=True,
                hard_stop=hard_stop,
            )
            samples[side].extend(phase)
            walls[side] += wall
            self.phases.append({"side": side, "requests": len(phase), "seconds": wall})
        return samples, walls

    def _report(self, sides, samples, walls, options, started):
        results = {side: loadtest.summarize(samples[side], walls[side]) for side in sides}
        integrity = {side: loadtest.check_integrity(sides[side], samples[side]) for side in sides}
        bare_rate = results["bare"]["requests_per_second"]
        ratio = results["machinery"]["requests_per_second"] / bare_rate if bare_rate else None
        status = "PASS" if ratio is not None and ratio >= RATIO_TARGET else "MISS"
        write = self.stdout.write
        write(
            f"load_test: gunicorn with {options['workers']} workers on {loadtest.HOST}, {options['clients']} clients, "
            f"{options['seconds']} s measured in alternating phases, "
            f"locks: {settings.DISTRIBUTED_LOCK_BACKEND}, {os.cpu_count()} CPUs shared by server, database and clients"
        )
        write(f"{'':<20} {'machinery':>10} {'bare':>10} {'ratio':>7}  target")
        machinery, bare = results["machinery"], results["bare"]
        line = (
            f"{'requests/s':<20} {machinery['requests_per_second']:>10.1f} {bare['requests_per_second']:>10.1f} "
            f"{'-' if ratio is None else f'{ratio:.2f}':>7}  >= {RATIO_TARGET} {status}"
        )
        write((self.style.SUCCESS if status == "PASS" else self.style.WARNING)(line))
        for key, label in (("p50_ms", "p50 latency (ms)"), ("p99_ms", "p99 latency (ms)")):
            write(f"{label:<20} {_ms(machinery[key]):>10} {_ms(bare[key]):>10}")
        for kind in ("work_order", "permit"):
            for key in ("p50_ms", "p99_ms"):
                label = f"  {kind} {key[:3]} (ms)"
                write(f"{label:<20} {_ms(machinery['by_kind'][kind][key]):>10} {_ms(bare['by_kind'][kind][key]):>10}")
        write(f"{'requests':<20} {machinery['requests']:>10} {bare['requests']:>10}")
        rates = ", ".join(f"{phase['side'][0]} {phase['requests'] / phase['seconds']:.0f}" for phase in self.phases)
        write(f"{'phases (req/s)':<20} {rates}  (m: machinery, b: bare)")
        write(f"{'statuses':<20} {json.dumps(machinery['statuses']):>10} {json.dumps(bare['statuses']):>10}")
        for side in sides:
            for name, check in integrity[side]["checks"].items():
                mark = "ok  " if check["ok"] else "FAIL"
                style = self.style.SUCCESS if check["ok"] else self.style.ERROR
                write(style(f"integrity {side:<9} {mark} {name}: {check['detail']}"))
        passed = all(item["passed"] for item in integrity.values())
        no_5xx = all(item["checks"]["no_5xx"]["ok"] for item in integrity.values())
        write(f"integrity: {'PASS' if passed else 'FAIL'}; finished in {time.monotonic() - started:.1f} s")
        return {
            "host": loadtest.HOST,
            "workers": options["workers"],
            "clients": options["clients"],
            "seconds": options["seconds"],
            "lock_backend": settings.DISTRIBUTED_LOCK_BACKEND,
            "cpus": os.cpu_count(),
            "sides": results,
            "phases": self.phases,
            "ratio": ratio,
            "ratio_target": RATIO_TARGET,
            "status": status,
            "integrity": integrity,
            "integrity_passed": passed,
            "no_5xx": no_5xx,
        }
