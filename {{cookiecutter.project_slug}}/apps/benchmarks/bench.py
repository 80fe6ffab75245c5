"""What the transaction machinery costs, as ratios against floors measured in the same run.

Each figure compares the project's path with the cheapest way to do the same work, measured in
the same rounds (see ``timing.interleaved``):

- R1: a permit with five checklist answers through ``create_work_permit`` (one transaction)
  against the same statements in autocommit, each committing on its own.
- R2: the same service call (write guard watching, monitoring, user info, step functions)
  against the same statements by hand with the bare ORM in one ``transaction.atomic``.
- R3: what ``with_lock_and_transaction`` adds to a bare transaction doing the same query,
  in round trips of the lock's own service: a Redis PING (R3_redis) and a PostgreSQL
  ``SELECT 1`` (R3_postgres, advisory-lock backend), both timed in the same run.
- R4: the monitoring of a committed operation: the queries it adds on every database alias, and
  its wall time, against the service's own body run in a plain ``transaction.atomic``
  (``create_work_permit.__wrapped__``: identical work, the boundary's instrumentation bypassed).
- R5: the SAVEPOINT statements a permit creation issues, through the service and through the
  API view, whose boundaries nest three deep.

Sending the notification task is stubbed out in every path alike (the task is a broker call,
the same in all of them, and not part of the machinery); its ``on_commit`` registration stays.
"""

import functools
import re
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from apps.core.services.distributed_locks import with_lock_and_transaction
from apps.core.services.transaction_manager import get_current_db_name
from apps.core.services.write_guard import unit_of_work
from apps.work_order_management import services as permit_services
from apps.work_order_management.tasks import notify_vendor, notify_verifiers

from . import bare
from .fixtures import permit_details
from .timing import interleaved, median, paired_ratio

FIGURES = ("R1", "R2", "R3_redis", "R3_postgres", "R4_queries", "R4_wall", "R5")
LOCK_TYPE = "WORK_ORDER_NUMBERING"
_SAVEPOINT = re.compile(r"^\s*SAVEPOINT\b", re.IGNORECASE)
_MONITORING_TABLES = re.compile(r"core_transaction|core_saga", re.IGNORECASE)


class NotMeasurable(Exception):
    """A figure cannot be measured with this configuration; the message says how to make it so."""


@dataclass
class Figure:
    """One line of the report. ``judged`` says whether the target applies to the ratio or the value."""

    key: str
    title: str
    target: float
    judged: str = "ratio"
    unit: str = "ms"
    floor_name: str = ""
    measured: float | None = None
    floor: float | None = None
    ratio: float | None = None
    note: str = ""
    unavailable: str = ""
    details: dict = field(default_factory=dict)

    @property
    def status(self):
        if self.unavailable:
            return "n/a"
        value = self.ratio if self.judged == "ratio" else self.measured
        return "PASS" if value is not None and value <= self.target + 1e-12 else "MISS"

    def as_dict(self):
        return {
            "title": self.title,
            "measured": self.measured,
            "floor": self.floor,
            "floor_name": self.floor_name,
            "ratio": self.ratio,
            "target": self.target,
            "target_applies_to": self.judged,
            "unit": self.unit,
            "status": self.status,
            "note": self.unavailable or self.note,
            "details": self.details,
        }


def new_figures():
    return {
        "R1": Figure(
            "R1",
            "permit (5 details): service, one transaction / same writes in autocommit",
            0.6,
            floor_name="autocommit, each statement commits",
        ),
        "R2": Figure(
            "R2",
            "permit (5 details): service path / bare ORM in one transaction.atomic",
            1.10,
            floor_name="bare ORM, one transaction.atomic",
        ),
        "R3_redis": Figure(
            "R3_redis",
            "with_lock_and_transaction minus bare transaction, Redis round trips",
            3.0,
            floor_name="Redis PING",
        ),
        "R3_postgres": Figure(
            "R3_postgres",
            "with_lock_and_transaction minus bare transaction, PostgreSQL round trips",
            1.5,
            floor_name="PostgreSQL SELECT 1",
        ),
        "R4_queries": Figure(
            "R4_queries",
            "monitoring: extra queries of a committed permit creation, all aliases",
            0,
            judged="measured",
            unit="queries",
            floor_name="queries with monitoring bypassed",
        ),
        "R4_wall": Figure(
            "R4_wall",
            "monitoring: wall time of a committed permit creation / bypassed",
            1.03,
            floor_name="monitoring bypassed",
        ),
        "R5": Figure(
            "R5",
            "SAVEPOINT statements of one permit creation (service and API view)",
            0,
            judged="measured",
            unit="statements",
            floor_name="bare ORM, one transaction.atomic",
        ),
    }


def why_not_measurable(key, alias):
    """None when figure ``key`` can be measured here, else what to set to make it measurable."""
    if key == "R3_postgres" and connections[alias].vendor != "postgresql":
        return "n/a on SQLite: the advisory-lock backend needs PostgreSQL (set DATABASE_URL=postgres://...)"
    if key == "R3_redis" and not getattr(settings, "REDIS_URL", ""):
        return "n/a without Redis: the Redis lock backend needs REDIS_URL (set REDIS_URL=redis://127.0.0.1:6379/0)"
    return None


def redis_client():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def check_redis():
    """Fail with the fix when REDIS_URL is set but Redis does not answer."""
    from redis.exceptions import RedisError

    try:
        redis_client().ping()
    except RedisError as exc:
        raise NotMeasurable(
            f"Redis at REDIS_URL does not answer ({type(exc).__name__}): start it, or unset REDIS_URL to skip R3_redis"
        ) from exc


@contextmanager
def stubbed_side_effects():
    """Sending a notification task does nothing, in every path alike; scheduling it still happens."""
    with ExitStack() as stack:
        for task in (notify_verifiers, notify_vendor):
            stack.enter_context(mock.patch.object(task, "delay"))
            stack.enter_context(mock.patch.object(task, "apply_async"))
        yield


@contextmanager
def capture_every_alias():
    """Capture the queries of every database alias that can be connected to: ``{alias: context}``."""
    captured = {}
    with ExitStack() as stack:
        for alias in settings.DATABASES:
            try:
                connections[alias].ensure_connection()
            except Exception:  # noqa: BLE001 - an alias that cannot connect runs no query either
                continue
            captured[alias] = stack.enter_context(CaptureQueriesContext(connections[alias]))
        yield captured


def statements(captured):
    return [(alias, query["sql"]) for alias, context in captured.items() for query in context.captured_queries]


class PermitPaths:
    """The four ways of creating the same permit that R1, R2 and R4 compare."""

    def __init__(self, data, alias):
        self.data = data
        self.alias = alias

    def _args(self):
        return {
            "author": self.data.author,
            "site": self.data.site,
            "permit_type": self.data.permit_type,
            "details": permit_details(),
        }

    def service(self):
        with unit_of_work("bench_transactions service"):
            return permit_services.create_work_permit(**self._args())

    def monitoring_bypassed(self):
        """The service's own body in a plain ``transaction.atomic``: everything but the boundary's monitoring."""
        with unit_of_work("bench_transactions bypassed"), transaction.atomic(using=self.alias):
            return permit_services.create_work_permit.__wrapped__(**self._args())

    def bare_atomic(self):
        with transaction.atomic(using=self.alias):
            return bare.create_work_permit(**self._args())

    def autocommit(self):
        return bare.create_work_permit(**self._args(), autocommit=True)

    def api_view(self):
        """One POST through ``WorkPermitViewSet`` (viewset, serializer and service boundaries nested)."""
        from rest_framework.test import APIRequestFactory, force_authenticate

        from apps.work_order_management.api import WorkPermitViewSet

        body = {"site": self.data.site.pk, "permit_type": self.data.permit_type.pk, "details": permit_details()}
        request = APIRequestFactory().post("/api/v1/work-permits/", body, format="json")
        force_authenticate(request, user=self.data.author)
        with unit_of_work("bench_transactions api"):
            response = WorkPermitViewSet.as_view({"post": "create"})(request)
        if response.status_code != 201:
            raise RuntimeError(f"the permit API answered {response.status_code}: {getattr(response, 'data', '')}")
        return response


def measure_permits(figures, data, alias, *, rounds, warmup, ops):
    """R1, R2, R4 and R5: the permit paths, interleaved; query counts and savepoints from one call of each."""
    paths = PermitPaths(data, alias)
    counted, savepoints, watched = {}, {}, set()
    for name in ("service", "monitoring_bypassed", "bare_atomic", "autocommit", "api_view"):
        with capture_every_alias() as captured:
            getattr(paths, name)()
        watched.update(captured)
        queries = statements(captured)
        counted[name] = queries
        savepoints[name] = sum(1 for _, sql in queries if _SAVEPOINT.match(sql))
    samples = interleaved(
        {
            "service": paths.service,
            "autocommit": paths.autocommit,
            "bare_atomic": paths.bare_atomic,
            "monitoring_bypassed": paths.monitoring_bypassed,
        },
        rounds=rounds,
        warmup=warmup,
        ops=ops,
    )
    medians = {name: median(values) for name, values in samples.items()}
    query_counts = {name: len(queries) for name, queries in counted.items()}
    for key, floor_path in (("R1", "autocommit"), ("R2", "bare_atomic"), ("R4_wall", "monitoring_bypassed")):
        figure = figures[key]
        figure.measured, figure.floor = medians["service"] * 1000, medians[floor_path] * 1000
        figure.ratio = paired_ratio(samples["service"], samples[floor_path])
        figure.details = {"queries": {"service": query_counts["service"], floor_path: query_counts[floor_path]}}
    figures["R4_wall"].note = f"{(figures['R4_wall'].ratio - 1) * 100:+.1f} % (target <= +3 %)"
    service_count, autocommit_count = query_counts["service"], query_counts["autocommit"]
    figures["R1"].note = f"{service_count} statements in one transaction vs {autocommit_count} committing one by one"
    r4 = figures["R4_queries"]
    r4.measured = query_counts["service"] - query_counts["monitoring_bypassed"]
    r4.floor = query_counts["monitoring_bypassed"]
    monitoring_queries = [
        sql
        for alias_, sql in counted["service"]
        if alias_ == settings.MONITORING_DB_ALIAS or _MONITORING_TABLES.search(sql)
    ]
    r4.details = {"aliases_watched": sorted(watched), "monitoring_queries": monitoring_queries}
    if monitoring_queries:
        r4.measured = max(r4.measured, len(monitoring_queries))
    r4.note = f"{query_counts['service']} queries with monitoring, {query_counts['monitoring_bypassed']} without"
    r5 = figures["R5"]
    r5.measured = max(savepoints["service"], savepoints["api_view"])
    r5.floor = savepoints["bare_atomic"]
    r5.details = {"service": savepoints["service"], "api_view": savepoints["api_view"]}
    r5.note = f"service {savepoints['service']}, API view {savepoints['api_view']}"
    return {
        "medians_ms": {name: value * 1000 for name, value in medians.items()},
        "query_counts": query_counts,
        "rounds_ms": {name: [value * 1000 for value in values] for name, values in samples.items()},
    }


def _select_one(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")


def _select_one_on(alias):
    return functools.partial(_select_one, alias)


@with_lock_and_transaction(LOCK_TYPE, resource_id_param="resource")
def _locked_query(*, resource, alias):
    """One query in a transaction taken under the resource's lock (the path R3 measures)."""
    _select_one(alias)


def _bare_query(*, resource, alias):
    """The same query in a bare transaction (the floor R3 subtracts)."""
    with transaction.atomic(using=alias):
        _select_one(alias)


def measure_locks(figures, keys, alias, *, rounds, warmup, ops):
    """R3_redis and R3_postgres: the lock's extra time divided by one round trip of its service.

    Each backend is measured in rounds of its own, under its setting, interleaved with the bare
    transaction and with the round trip it is expressed in.
    """
    resource = f"bench-{uuid.uuid4().hex}"
    raw = {}
    trips = {
        "R3_redis": ("redis", lambda: redis_client().ping),
        "R3_postgres": ("postgres", lambda: _select_one_on(alias)),
    }
    for key in ("R3_redis", "R3_postgres"):
        if key not in keys:
            continue
        backend, round_trip = trips[key]
        with override_settings(DISTRIBUTED_LOCK_BACKEND=backend):
            samples = interleaved(
                {
                    "lock_and_transaction": lambda: _locked_query(resource=resource, alias=alias),
                    "bare_transaction": lambda: _bare_query(resource=resource, alias=alias),
                    "round_trip": round_trip(),
                },
                rounds=rounds,
                warmup=warmup,
                ops=ops * 10,
            )
        medians = {name: median(values) for name, values in samples.items()}
        extras = [
            lock - plain
            for lock, plain in zip(samples["lock_and_transaction"], samples["bare_transaction"], strict=True)
        ]
        figure = figures[key]
        figure.measured, figure.floor = median(extras) * 1000, medians["round_trip"] * 1000
        figure.ratio = paired_ratio(extras, samples["round_trip"])
        figure.note = (
            f"lock+transaction {medians['lock_and_transaction'] * 1e3:.3f} ms - bare transaction "
            f"{medians['bare_transaction'] * 1e3:.3f} ms, in round trips of {medians['round_trip'] * 1e3:.3f} ms"
        )
        raw[key] = {
            "medians_ms": {name: value * 1000 for name, value in medians.items()},
            "rounds_ms": {name: [value * 1000 for value in values] for name, values in samples.items()},
        }
    return raw


def run(*, keys, rounds, warmup, ops, data, alias=None):
    """Measure the figures in ``keys``; unmeasurable ones are marked n/a with the reason."""
    alias = alias or get_current_db_name()
    figures = new_figures()
    for key in FIGURES:
        reason = why_not_measurable(key, alias)
        if key not in keys:
            figures[key].unavailable = "not requested"
        elif reason:
            figures[key].unavailable = reason
    measurable = {key for key in keys if not figures[key].unavailable}
    raw = {}
    with override_settings(DEBUG=False), stubbed_side_effects():
        if measurable & {"R1", "R2", "R4_queries", "R4_wall", "R5"}:
            raw["permits"] = measure_permits(figures, data, alias, rounds=rounds, warmup=warmup, ops=ops)
        if measurable & {"R3_redis", "R3_postgres"}:
            if "R3_redis" in measurable:
                check_redis()
            raw["locks"] = measure_locks(figures, measurable, alias, rounds=rounds, warmup=warmup, ops=ops)
    return figures, raw
