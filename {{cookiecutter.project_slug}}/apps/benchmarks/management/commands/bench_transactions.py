"""``manage.py bench_transactions``: what the atomic machinery costs, against floors of the same run.

Prints one line per figure (R1 to R5, see ``apps.benchmarks.bench``): the measured value, the
floor measured in the same run, their ratio, the target and PASS or MISS. A missed target is a
finding, not an error: the command exits 0. A figure this configuration cannot measure is
printed "n/a" with what to set; asked for by name (``--figures``) or with ``--strict``, it
stops the command with that fix instead.

Everything it writes goes to a ``BENCH-`` client made for the run and deleted at its end; the
counts the monitoring took of these operations are dropped from this process, so they never
reach the transaction metrics.

A command runs as the system, for every client: nothing it reads or writes is scoped
(``apps.core.access`` scopes the requests of people).
"""

import json
import os
import platform
import sys
from pathlib import Path

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from apps.benchmarks import bench
from apps.benchmarks.fixtures import make_bench_data, remove_bench_data
from apps.core.services import monitoring_metrics
from apps.core.services.transaction_manager import get_current_db_name


def _positive(value):
    number = int(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _not_negative(value):
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _number(value, unit):
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.3f} ms"
    return f"{value:g} {unit}"


class Command(BaseCommand):
    help = "Benchmark the transaction machinery against floors measured in the same run (R1-R5)."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=_positive, default=15, help="measured rounds (median taken); default 15")
        parser.add_argument("--warmup", type=_not_negative, default=3, help="rounds run first and discarded; default 3")
        parser.add_argument("--ops", type=_positive, default=10, help="operations per path per round; default 10")
        parser.add_argument(
            "--figures",
            default="",
            help=f"comma-separated subset of {', '.join(bench.FIGURES)}; naming one that cannot be measured here "
            "is an error",
        )
        parser.add_argument("--strict", action="store_true", help="fail instead of printing n/a for any figure")
        parser.add_argument("--json", dest="json_path", default="", help="also write the figures to this JSON file")

    def handle(self, *args, **options):
        alias = get_current_db_name()
        keys, named = self._keys(options["figures"])
        for key in keys:
            reason = bench.why_not_measurable(key, alias)
            if reason and (options["strict"] or key in named):
                raise CommandError(f"{key} cannot be measured here: {reason}.")
        data = make_bench_data("BENCH")
        try:
            figures, raw = bench.run(
                keys=keys,
                rounds=options["rounds"],
                warmup=options["warmup"],
                ops=options["ops"],
                data=data,
                alias=alias,
            )
        except bench.NotMeasurable as exc:
            raise CommandError(str(exc)) from exc
        finally:
            remove_bench_data(data)
            monitoring_metrics.drain()
        context = self._context(alias, options)
        self._print(figures, keys, context)
        if options["json_path"]:
            report = {
                **context,
                "figures": {key: figures[key].as_dict() for key in keys},
                "raw": raw,
            }
            Path(options["json_path"]).write_text(json.dumps(report, indent=2, default=str) + "\n")
            self.stdout.write(f"figures written to {options['json_path']}")

    def _keys(self, text):
        if not text:
            return list(bench.FIGURES), set()
        named = [key.strip() for key in text.split(",") if key.strip()]
        unknown = [key for key in named if key not in bench.FIGURES]
        if unknown:
            raise CommandError(f"unknown figure {', '.join(unknown)}; choose from {', '.join(bench.FIGURES)}")
        return [key for key in bench.FIGURES if key in named], set(named)

    def _context(self, alias, options):
        connection = connections[alias]
        engine = connection.vendor
        if engine == "postgresql":
            connection.ensure_connection()
            engine = f"PostgreSQL {connection.pg_version // 10000}"
        redis = "Redis" if getattr(settings, "REDIS_URL", "") else "no Redis"
        return {
            "engine": engine,
            "redis": bool(getattr(settings, "REDIS_URL", "")),
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": sys.version.split()[0],
                "django": django.get_version(),
            },
            "rounds": options["rounds"],
            "warmup": options["warmup"],
            "ops": options["ops"],
            "summary": f"{engine} + {redis} on {os.cpu_count()} CPUs; median of {options['rounds']} rounds after "
            f"{options['warmup']} warm-up rounds, {options['ops']} operations per path per round",
        }

    def _print(self, figures, keys, context):
        write = self.stdout.write
        write(f"bench_transactions: {context['summary']}")
        write("ratio: median over the rounds of the ratio within a round; task sends are stubbed in every path alike.")
        write(
            f"{'figure':<12} {'measured':>18} {'floor (same run)':>18}  {'ratio':>6}  {'target':<12} {'result':<6} note"
        )
        for key in keys:
            figure = figures[key]
            if figure.unavailable:
                write(
                    f"{key:<12} {'-':>18} {'-':>18}  {'-':>6}  {self._target(figure):<12} {'n/a':<6} "
                    f"{figure.unavailable}"
                )
                continue
            ratio = "-" if figure.ratio is None else f"{figure.ratio:.2f}"
            line = (
                f"{key:<12} {_number(figure.measured, figure.unit):>18} {_number(figure.floor, figure.unit):>18}  "
                f"{ratio:>6}  {self._target(figure):<12} {figure.status:<6} {figure.note}"
            )
            style = self.style.SUCCESS if figure.status == "PASS" else self.style.WARNING
            write(style(line))
        write(f"floors: {'; '.join(f'{key} {figures[key].floor_name}' for key in keys)}")

    @staticmethod
    def _target(figure):
        if figure.judged == "ratio":
            return f"ratio <= {figure.target:g}"
        return f"<= {figure.target:g}"
