"""Distributed locks that combine safely with transactions: lock first, then transaction.

A lock is acquired before the transaction begins and released after it has committed or rolled
back, so no other process can start the same operation on the same resource in between. Every
lock has a TTL (a crashed holder's lock expires), only its owner can release or extend it (token
check), and waiting for it is bounded: ``LockAcquisitionError`` when the wait runs out, which
views answer with HTTP 409 and ``Retry-After``.

Backends, chosen by ``DISTRIBUTED_LOCK_BACKEND``:

- ``redis``: ``SET key token NX PX ttl``; release and extend are Lua scripts that check the token.
  Redis unreachable: ``LockBackendUnavailable`` (fail closed, HTTP 503), nothing is written.
- ``postgres``: a transaction-level advisory lock taken as the first statement of the transaction
  (``pg_try_advisory_xact_lock``, retried within the bounded wait); the database releases it when
  the transaction ends.
- ``inprocess``: threads of one process only, for the SQLite default (refused by ``check --deploy``).

A lock is never the only guard of correctness: the rows a locked operation changes are also
protected in the database (``select_for_update``, constraints), so a lock lost to expiry or a
failover cannot lose an update. A release that finds another owner is logged and counted.
"""

import functools
import hashlib
import inspect
import logging
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections
from django.dispatch import receiver
from django_redis import get_redis_connection
from prometheus_client import Counter, Histogram
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from apps.core.exceptions import LockAcquisitionError, LockBackendUnavailable

from .transaction_manager import atomic_view_operation, get_current_db_name

__all__ = [
    "LockAcquisitionError",
    "LockBackendUnavailable",
    "LockRegistry",
    "LockSpec",
    "with_lock_and_transaction",
]

logger = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = Histogram("distributed_lock_wait_seconds", "Time spent waiting for a lock", ["lock_type"])
LOCK_TIMEOUTS = Counter("distributed_lock_timeouts_total", "Lock waits that ran out", ["lock_type"])
LOCK_EXPIRED_UNDER_HOLDER = Counter(
    "distributed_lock_expired_under_holder_total", "Releases that found the lock expired or taken over", ["lock_type"]
)


@dataclass(frozen=True)
class LockSpec:
    """How long a lock of one type lives (``ttl``) and how long an acquirer waits (``wait``), in seconds."""

    ttl: float
    wait: float


DEFAULT_LOCK_TYPES = {
    "ATTENDANCE_UPDATE": LockSpec(ttl=15, wait=5),
    "FACE_VERIFICATION": LockSpec(ttl=30, wait=10),
    "BEHAVIORAL_PROFILE_UPDATE": LockSpec(ttl=30, wait=10),
    "JOB_WORKFLOW_UPDATE": LockSpec(ttl=30, wait=10),
    "PARENT_CHILD_UPDATE": LockSpec(ttl=30, wait=10),
    "JOBNEED_STATUS_UPDATE": LockSpec(ttl=15, wait=5),
    "PERMIT_APPROVAL": LockSpec(ttl=15, wait=5),
    "WORK_ORDER_NUMBERING": LockSpec(ttl=15, wait=10),
    "ASSET_STATUS_UPDATE": LockSpec(ttl=15, wait=5),
}


@functools.cache
def lock_types():
    """The lock types in force: the defaults, with ``DISTRIBUTED_LOCK_TYPES`` overrides ({name: (ttl, wait)}).

    Computed once, and again whenever the setting changes (tests override it).
    """
    overrides = {name: LockSpec(*values) for name, values in getattr(settings, "DISTRIBUTED_LOCK_TYPES", {}).items()}
    return {**DEFAULT_LOCK_TYPES, **overrides}


@receiver(setting_changed, dispatch_uid="core.distributed_locks.lock_types")
def _forget_lock_types(setting, **kwargs):
    if setting == "DISTRIBUTED_LOCK_TYPES":
        lock_types.cache_clear()


class BaseLock:
    """One lock on one resource. Use ``with lock:`` or ``acquire()`` / ``release()``."""

    def __init__(self, lock_type, resource_id, spec):
        self.lock_type = lock_type
        self.resource_id = str(resource_id)
        self.spec = spec
        self.key = f"lock:{lock_type}:{self.resource_id}"
        self.token = uuid.uuid4().hex
        self.acquired = False
        self.operation = ""  # the operation it guards, named in an incident of its release

    def acquire(self):
        started = time.monotonic()
        deadline = started + self.spec.wait
        delay = 0.005
        while True:
            if self._try_acquire():
                self.acquired = True
                LOCK_WAIT_SECONDS.labels(self.lock_type).observe(time.monotonic() - started)
                return self
            if time.monotonic() >= deadline:
                LOCK_TIMEOUTS.labels(self.lock_type).inc()
                raise LockAcquisitionError(
                    f"{self.lock_type} for {self.resource_id} is held by another operation; try again shortly.",
                    lock_key=self.key,
                    retry_after=max(1, round(self.spec.wait)),
                )
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.1)

    def release(self):
        """Release; return False (and log an incident) when the lock was no longer ours."""
        if not self.acquired:
            return False
        self.acquired = False
        if self._release():
            return True
        LOCK_EXPIRED_UNDER_HOLDER.labels(self.lock_type).inc()
        logger.error(
            "lock %s expired or was taken over before its holder released it (ttl %ss)",
            self.key,
            self.spec.ttl,
            extra={"lock_key": self.key, "lock_type": self.lock_type},
        )
        return False

    def extend(self, seconds=None):
        """Push the expiry ``seconds`` (default: the TTL) into the future; False when not the owner."""
        return self._extend(seconds or self.spec.ttl)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release_after_transaction()

    def release_after_transaction(self):
        """Release once the transaction has ended; never raise.

        The operation's outcome is settled by then (a commit has been answered as one), so a lock
        service that has gone away is an incident of its own ("lock release failed": logged,
        counted, recorded), not an error of the operation. The lock then expires after its TTL.
        """
        try:
            return self.release()
        except Exception as error:  # noqa: BLE001 - see above
            try:
                from .after_commit_incidents import Kind, record_incident

                record_incident(Kind.LOCK_RELEASE_FAILED, self.key, error, operation=self.operation)
            except Exception:  # noqa: BLE001 - the last resort: the answer must stand
                logger.exception("could not release lock %s after the transaction", self.key)
            return False

    def _try_acquire(self):
        raise NotImplementedError

    def _release(self):
        raise NotImplementedError

    def _extend(self, seconds):
        raise NotImplementedError


_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
_EXTEND_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


_scripts = {}


def _script(client, text):
    """A registered Lua script: sent by its SHA (EVALSHA), its text only when Redis lacks it."""
    script = _scripts.get(text)
    if script is None:
        script = _scripts[text] = client.register_script(text)
    return script


class RedisLock(BaseLock):
    """Owner-token lock in Redis, through the project's django-redis connection."""

    def _call(self, operation, consequence=None):
        try:
            return operation(get_redis_connection("default"))
        except RedisError as exc:
            # Unreachable, timed out, or a read-only replica after a failover (ReadOnlyError):
            # whatever Redis answers, the lock cannot be trusted, so the operation fails closed.
            unreachable = isinstance(exc, (RedisConnectionError, RedisTimeoutError))
            state = "unreachable" if unreachable else f"unavailable ({type(exc).__name__})"
            consequence = consequence or f"{self.lock_type} cannot be taken; nothing was changed."
            raise LockBackendUnavailable(
                f"the lock service (Redis) is {state}, so {consequence}",
                lock_key=self.key,
                retry_after=5,
            ) from exc

    def _try_acquire(self):
        return bool(self._call(lambda client: client.set(self.key, self.token, nx=True, px=int(self.spec.ttl * 1000))))

    def _release(self):
        def release(client):
            return _script(client, _RELEASE_SCRIPT)(keys=[self.key], args=[self.token], client=client)

        consequence = f"{self.lock_type} could not be released; it expires after its TTL ({self.spec.ttl}s)."
        return self._call(release, consequence) == 1

    def _extend(self, seconds):
        def extend(client):
            arguments = [self.token, int(seconds * 1000)]
            return _script(client, _EXTEND_SCRIPT)(keys=[self.key], args=arguments, client=client)

        return self._call(extend) == 1


class InProcessLock(BaseLock):
    """Owner-token lock with TTL among the threads of this process (the SQLite default)."""

    _guard = threading.Condition()
    _holders = {}  # key -> (token, expires_at)

    def _try_acquire(self):
        with self._guard:
            holder = self._holders.get(self.key)
            if holder is None or holder[1] <= time.monotonic():
                self._holders[self.key] = (self.token, time.monotonic() + self.spec.ttl)
                return True
            return False

    def _release(self):
        with self._guard:
            holder = self._holders.get(self.key)
            if holder is None or holder[0] != self.token or holder[1] <= time.monotonic():
                return False
            del self._holders[self.key]
            return True

    def _extend(self, seconds):
        with self._guard:
            holder = self._holders.get(self.key)
            if holder is None or holder[0] != self.token or holder[1] <= time.monotonic():
                return False
            self._holders[self.key] = (self.token, time.monotonic() + seconds)
            return True


def advisory_key(key):
    """A stable signed 64-bit number for ``key``, as ``pg_advisory_xact_lock`` wants."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class PostgresAdvisoryLock(BaseLock):
    """A transaction-level advisory lock, released by the database when the transaction ends.

    ``pg_try_advisory_xact_lock`` answers at once, so an uncontended lock costs one round trip;
    under contention it is retried with the same bounded, backed-off wait as the other backends.
    """

    def acquire_in_transaction(self, using):
        connection = connections[using]
        if connection.vendor != "postgresql":
            raise LockBackendUnavailable("the postgres lock backend needs a PostgreSQL database", lock_key=self.key)
        self._connection = connection
        return self.acquire()

    def _try_acquire(self):
        with self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [advisory_key(self.key)])
            return cursor.fetchone()[0]

    def _release(self):
        return True  # the transaction's end releases it

    def _extend(self, seconds):
        return self.acquired  # held until the transaction ends; there is no expiry to push back


_BACKENDS = {"redis": RedisLock, "inprocess": InProcessLock, "postgres": PostgresAdvisoryLock}


class LockRegistry:
    """Where locks come from: ``LockRegistry.get_lock("ATTENDANCE_UPDATE", person.pk)``."""

    @staticmethod
    def backend_name():
        return getattr(settings, "DISTRIBUTED_LOCK_BACKEND", "inprocess")

    @classmethod
    def get_lock(cls, lock_type, resource_id):
        types = lock_types()
        if lock_type not in types:
            raise ValueError(f"unknown lock type {lock_type!r}; known types: {', '.join(sorted(types))}")
        backend = cls.backend_name()
        if backend not in _BACKENDS:
            raise ValueError(f"DISTRIBUTED_LOCK_BACKEND {backend!r} is not one of {', '.join(_BACKENDS)}")
        return _BACKENDS[backend](lock_type, resource_id, types[lock_type])


def _resource_ids(value):
    """The ids to lock for an argument: one id, an instance (its pk) or several, sorted and unique."""
    values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    ids = {str(getattr(item, "pk", item)) for item in values if item is not None}
    return sorted(ids)


@contextmanager
def lock_and_transaction(lock_type, resource_ids, database=None, name=None):
    """Acquire the locks (in sorted order), then open the transaction; release after it has ended.

    Several resources are always locked in one order, so two operations crossing the same pair
    of resources cannot deadlock. With the postgres backend the advisory locks are the first
    statements of the transaction and end with it. ``name`` names the operation in the
    transaction metrics and failure log.
    """
    alias = database or get_current_db_name()
    locks = [LockRegistry.get_lock(lock_type, resource_id) for resource_id in sorted(set(map(str, resource_ids)))]
    if LockRegistry.backend_name() == "postgres":
        with atomic_view_operation(alias, durable=True, name=name):
            for lock in locks:
                lock.acquire_in_transaction(alias)
            yield locks
        return
    with ExitStack() as held:
        for lock in locks:
            lock.operation = name or ""
            held.enter_context(lock)
        with atomic_view_operation(alias, durable=True, name=name):
            yield locks


def with_lock_and_transaction(lock_type, resource_id_param="uuid", database=None, resource_kind=None):
    """Decorator: lock the resource named by argument ``resource_id_param``, then run in a transaction.

    The argument may be an id, a model instance (its pk is used) or a collection of them. The
    transaction is durable: the operation must be the outermost one, since a lock taken inside
    an open transaction would be released before that transaction commits. ``resource_kind``
    (``"asset"``, ``"job"``) goes into the lock key when one lock type guards several kinds of
    record, so that asset 7 and job 7 are two resources, not one.
    """

    def decorator(func):
        signature = inspect.signature(func)
        if resource_id_param not in signature.parameters:
            raise TypeError(f"{func.__qualname__} has no parameter {resource_id_param!r} to lock on")

        operation_name = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if resource_id_param in kwargs:
                value = kwargs[resource_id_param]
            else:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                value = bound.arguments[resource_id_param]
            ids = _resource_ids(value)
            if resource_kind is not None:
                ids = [f"{resource_kind}:{resource_id}" for resource_id in ids]
            with lock_and_transaction(lock_type, ids, database=database, name=operation_name):
                return func(*args, **kwargs)

        return wrapper

    return decorator
