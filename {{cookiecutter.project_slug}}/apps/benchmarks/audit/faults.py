"""The faults of the audit, one after the other, each under the running load and then repaired.

Each fault is a function of the ``Stack`` and the ``Load``: it breaks something, lets the load run
into it for ``seconds``, repairs it, and returns a line saying what it did. The load is tagged
with the name of the fault under way, so the figures can be read per fault.
"""

import os
import signal
import time

from .load import REQUEST_TIMEOUT
from .processes import worker_pids
from .records import HOLD_SECONDS

#: How long after sending a held request the fault strikes: it is inside its transaction by then.
STRIKE_AFTER = HOLD_SECONDS / 2


def broker_stopped(stack, load, seconds):
    """The Celery broker goes away: writes that send tasks commit while nothing can be published."""
    stack.broker.halt()
    time.sleep(seconds)
    stack.broker.resume()
    return "broker Redis stopped, then started again"


def locks_stopped(stack, load, seconds):
    """The Redis of locks and cache goes away while a lock-holding transaction runs."""
    held = load.send_holding("check_in")
    time.sleep(STRIKE_AFTER)
    holders = load.lock_takers_under_way()
    stack.locks.halt(signal.SIGKILL)
    time.sleep(seconds)
    stack.locks.resume()
    held.join(REQUEST_TIMEOUT)
    return (
        f"locks-and-cache Redis killed while a check-in held its lock in its transaction "
        f"({holders} lock-taking requests under way), then started again"
    )


def postgres_restarted(stack, load, seconds):
    """PostgreSQL restarts (fast shutdown: open transactions roll back, connections drop)."""
    stack.postgres.halt()
    stack.postgres.resume()
    time.sleep(seconds)
    return "PostgreSQL restarted"


def gunicorn_worker_killed(stack, load, seconds):
    """A gunicorn worker dies mid-request (SIGKILL); its master starts another.

    Two permits held in their transactions keep both workers busy when one is killed.
    """
    held = [load.send_holding("permit") for _ in range(2)]
    time.sleep(STRIKE_AFTER)
    pids = worker_pids(stack.server.process.pid)
    if pids:
        os.kill(pids[0], signal.SIGKILL)
    time.sleep(seconds)
    for thread in held:
        thread.join(REQUEST_TIMEOUT)
    killed = pids[0] if pids else "(none found)"
    return f"gunicorn worker {killed} killed with SIGKILL while two permits were held in their transactions"


def celery_worker_killed(stack, load, seconds):
    """The Celery worker dies (SIGKILL); a new one starts and gets what the dead one had not acknowledged."""
    pid = stack.worker.process.pid
    stack.worker.kill()
    time.sleep(seconds / 2)
    stack.worker.start()
    time.sleep(seconds / 2)
    return f"Celery worker {pid} killed with SIGKILL, a new one started"


FAULTS = (
    ("broker stopped", broker_stopped),
    ("locks Redis stopped", locks_stopped),
    ("PostgreSQL restarted", postgres_restarted),
    ("gunicorn worker killed", gunicorn_worker_killed),
    ("Celery worker killed", celery_worker_killed),
)
