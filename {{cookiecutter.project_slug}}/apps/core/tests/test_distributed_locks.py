"""Distributed locks: owner-only release, TTL, bounded waits, lock before transaction.

The Redis tests run against the Redis in ``REDIS_URL`` and the advisory-lock tests against the
PostgreSQL in ``DATABASE_URL``; without those services configured they are skipped (the
template's CI runs the suite with both).
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import override_settings

from apps.core.services import distributed_locks
from apps.core.services.distributed_locks import (
    LockAcquisitionError,
    LockBackendUnavailable,
    LockRegistry,
    with_lock_and_transaction,
)

FAST = {"TEST_LOCK": (1.0, 0.2), "SLOW_WAIT": (5.0, 3.0)}
needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")
needs_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="DATABASE_URL is not PostgreSQL"
)


@pytest.fixture(params=[pytest.param("redis", marks=needs_redis), "inprocess"])
def backend(request):
    with override_settings(DISTRIBUTED_LOCK_BACKEND=request.param, DISTRIBUTED_LOCK_TYPES=FAST):
        if request.param == "redis":
            from django_redis import get_redis_connection

            get_redis_connection("default").delete(*[f"lock:TEST_LOCK:{name}" for name in ("r1", "r2", "a", "b")])
        yield request.param


def test_unknown_lock_type_is_an_error():
    with pytest.raises(ValueError, match="unknown lock type 'NOPE'"):
        LockRegistry.get_lock("NOPE", 1)


def test_platform_lock_types_exist():
    for name in ["ATTENDANCE_UPDATE", "FACE_VERIFICATION", "BEHAVIORAL_PROFILE_UPDATE", "JOB_WORKFLOW_UPDATE",
                 "PARENT_CHILD_UPDATE", "JOBNEED_STATUS_UPDATE"]:  # fmt: skip
        assert LockRegistry.get_lock(name, 1).spec.ttl > 0


def test_second_acquirer_waits_a_bounded_time_then_gets_a_clear_error(backend):
    holder = LockRegistry.get_lock("TEST_LOCK", "r1").acquire()
    started = time.monotonic()
    with pytest.raises(LockAcquisitionError) as refused:
        LockRegistry.get_lock("TEST_LOCK", "r1").acquire()
    waited = time.monotonic() - started
    assert 0.15 < waited < 1.5
    assert refused.value.retry_after >= 1
    assert holder.release() is True
    assert LockRegistry.get_lock("TEST_LOCK", "r1").acquire().release() is True


def test_only_the_owner_can_release_or_extend(backend):
    owner = LockRegistry.get_lock("TEST_LOCK", "r2").acquire()
    intruder = LockRegistry.get_lock("TEST_LOCK", "r2")
    intruder.acquired = True  # pretend: a caller that thinks it holds the lock
    assert intruder.release() is False
    assert intruder.extend(10) is False
    with pytest.raises(LockAcquisitionError):
        LockRegistry.get_lock("TEST_LOCK", "r2").acquire()
    assert owner.extend(10) is True
    assert owner.release() is True


def test_an_expired_lock_goes_to_the_next_acquirer_and_the_late_release_is_counted(backend):
    counter = distributed_locks.LOCK_EXPIRED_UNDER_HOLDER.labels("TEST_LOCK")
    before = counter._value.get()
    slow = LockRegistry.get_lock("TEST_LOCK", "a").acquire()
    time.sleep(1.1)  # past the 1 s TTL
    successor = LockRegistry.get_lock("TEST_LOCK", "a").acquire()
    assert slow.release() is False
    assert counter._value.get() == before + 1
    assert successor.release() is True


@pytest.mark.django_db(transaction=True)
def test_lock_is_taken_before_the_transaction_and_released_after_it(backend):
    seen = {}

    @with_lock_and_transaction("TEST_LOCK", resource_id_param="name")
    def create(name):
        seen["in_transaction"] = connection.in_atomic_block
        with pytest.raises(LockAcquisitionError):
            LockRegistry.get_lock("TEST_LOCK", name).acquire()
        Group.objects.create(name=name)

    create("b")
    assert seen["in_transaction"] is True
    assert LockRegistry.get_lock("TEST_LOCK", "b").acquire().release(), "released after commit"

    @with_lock_and_transaction("TEST_LOCK", resource_id_param="name")
    def fail(name):
        Group.objects.create(name="lost")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail("b")
    assert not Group.objects.filter(name="lost").exists()
    assert LockRegistry.get_lock("TEST_LOCK", "b").acquire().release(), "released after rollback"


@pytest.mark.django_db(transaction=True)
def test_a_lock_cannot_be_taken_inside_an_open_transaction(backend):
    @with_lock_and_transaction("TEST_LOCK", resource_id_param="name")
    def create(name):
        Group.objects.create(name=name)

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        create("inside")


def test_decorator_refuses_a_parameter_the_function_does_not_have():
    with pytest.raises(TypeError, match="no parameter 'uuid'"):

        @with_lock_and_transaction("TEST_LOCK")
        def operation(pk):
            pass


@pytest.mark.django_db(transaction=True)
def test_operations_locking_two_resources_in_crossing_order_all_complete(backend):
    with override_settings(DISTRIBUTED_LOCK_TYPES={"TEST_LOCK": (5.0, 5.0)}):
        done = []

        @with_lock_and_transaction("TEST_LOCK", resource_id_param="pair")
        def move(pair, label):
            time.sleep(0.05)
            Group.objects.create(name=label)

        def run(pair, label):
            try:
                move(pair, label)
                done.append(label)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=run, args=(pair, f"op{n}"))
            for n, pair in enumerate([["x", "y"], ["y", "x"], ["x", "y"], ["y", "x"]])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert sorted(done) == ["op0", "op1", "op2", "op3"]
        assert Group.objects.count() == 4


@needs_redis
@override_settings(
    DISTRIBUTED_LOCK_BACKEND="redis",
    CACHES={"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}}},
)  # fmt: skip
@pytest.mark.django_db(transaction=True)
def test_unreachable_redis_fails_closed_and_writes_nothing():
    @with_lock_and_transaction("ATTENDANCE_UPDATE", resource_id_param="name")
    def create(name):
        Group.objects.create(name=name)

    with pytest.raises(LockBackendUnavailable, match="unreachable"):
        create("never")
    assert Group.objects.count() == 0


@needs_redis
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_holder_killed_with_sigkill_loses_its_lock_after_the_ttl_and_leaves_no_partial_data():
    """A separate process takes the lock, writes inside its transaction, and is killed mid-operation."""
    holder_script = (
        "import time, django\n"
        "from django.conf import settings\n"
        "settings.DISTRIBUTED_LOCK_TYPES = {'TEST_LOCK': (2.0, 0.2)}\n"
        "django.setup()\n"
        "from django.contrib.auth.models import Group\n"
        "from apps.core.services.distributed_locks import with_lock_and_transaction\n"
        "@with_lock_and_transaction('TEST_LOCK', resource_id_param='name')\n"
        "def half_done(name):\n"
        "    Group.objects.create(name=name)\n"
        "    print('written', flush=True)\n"
        "    time.sleep(60)\n"
        "half_done('killed')\n"
    )
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DISTRIBUTED_LOCK_BACKEND": "redis",
        "DATABASE_URL": "postgres://{}:{}@{}:{}/{}".format(
            quote(database["USER"] or ""),
            quote(database["PASSWORD"] or ""),
            database["HOST"] or "localhost",
            database["PORT"] or 5432,
            database["NAME"],
        ),
    }
    with override_settings(DISTRIBUTED_LOCK_BACKEND="redis", DISTRIBUTED_LOCK_TYPES={"TEST_LOCK": (2.0, 0.2)}):
        from django_redis import get_redis_connection

        get_redis_connection("default").delete("lock:TEST_LOCK:killed")
        holder = subprocess.Popen(
            [sys.executable, "-c", holder_script],
            cwd=Path(__file__).resolve().parents[3],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "written"
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
        with pytest.raises(LockAcquisitionError):
            LockRegistry.get_lock("TEST_LOCK", "killed").acquire()
        time.sleep(2.0)
        assert LockRegistry.get_lock("TEST_LOCK", "killed").acquire().release() is True
    deadline = time.monotonic() + 10
    while Group.objects.filter(name="killed").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the server rolls the dead connection's transaction back when it notices
    assert not Group.objects.filter(name="killed").exists()


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_advisory_lock_is_held_until_the_transaction_ends():
    with override_settings(DISTRIBUTED_LOCK_BACKEND="postgres", DISTRIBUTED_LOCK_TYPES=FAST):
        inside = threading.Event()
        finish = threading.Event()
        outcome = {}

        @with_lock_and_transaction("TEST_LOCK", resource_id_param="name")
        def slow(name):
            Group.objects.create(name=name)
            inside.set()
            finish.wait(5)

        def holder():
            try:
                slow("pg")
            finally:
                connection.close()

        def contender():
            try:
                slow("pg")
            except LockAcquisitionError as exc:
                outcome["error"] = exc
            finally:
                connection.close()

        first = threading.Thread(target=holder)
        first.start()
        assert inside.wait(5)
        second = threading.Thread(target=contender)
        second.start()
        second.join(5)
        finish.set()
        first.join(5)
        assert isinstance(outcome.get("error"), LockAcquisitionError)
        assert list(Group.objects.values_list("name", flat=True)) == ["pg"]


@pytest.fixture
def read_only_redis(tmp_path):
    """A real Redis that refuses writes: a replica whose primary is gone, as after a failover."""
    import shutil
    import socket

    if shutil.which("redis-server") is None:
        pytest.skip("a read-only Redis needs the redis-server program (Debian: apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--replicaof", "127.0.0.1", "1", "--replica-read-only", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "the read-only Redis did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_read_only_redis_after_a_failover_fails_closed_with_503_and_writes_nothing(read_only_redis):
    from apps.core.views.responses import describe_write_failure

    @with_lock_and_transaction("ATTENDANCE_UPDATE", resource_id_param="name")
    def create(name):
        Group.objects.create(name=name)

    caches = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": read_only_redis}}
    with override_settings(DISTRIBUTED_LOCK_BACKEND="redis", CACHES=caches):
        with pytest.raises(LockBackendUnavailable, match="ReadOnlyError") as raised:
            create("never")
    assert Group.objects.count() == 0
    status, _, headers = describe_write_failure(raised.value, "group")
    assert (status, headers["Retry-After"]) == (503, "5")


@pytest.mark.django_db(transaction=True)
def test_one_lock_type_over_two_kinds_of_record_keeps_them_apart(settings):
    """JOB_WORKFLOW_UPDATE guards assets (planning) and jobs (re-planning): asset 7 is not job 7."""
    settings.DISTRIBUTED_LOCK_BACKEND = "inprocess"
    settings.DISTRIBUTED_LOCK_TYPES = {"JOB_WORKFLOW_UPDATE": (10, 0.2)}

    @with_lock_and_transaction("JOB_WORKFLOW_UPDATE", resource_id_param="job", resource_kind="job")
    def replan(job):
        Group.objects.create(name=f"replanned {job}")

    held = LockRegistry.get_lock("JOB_WORKFLOW_UPDATE", "asset:7").acquire()
    try:
        replan(7)  # not blocked by the asset's planning
        blocker = LockRegistry.get_lock("JOB_WORKFLOW_UPDATE", "job:7").acquire()
        try:
            with pytest.raises(LockAcquisitionError):
                replan(7)
        finally:
            blocker.release()
    finally:
        held.release()
    assert list(Group.objects.values_list("name", flat=True)) == ["replanned 7"]
