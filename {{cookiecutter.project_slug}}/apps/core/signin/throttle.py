"""Counters of failed sign-ins, per username and per address, kept on Django's cache.

Policy (settings ``SIGNIN_FAILURE_LIMIT_PER_USERNAME``, ``SIGNIN_FAILURE_LIMIT_PER_ADDRESS``,
``SIGNIN_COOLOFF_SECONDS``):

- A username that collects its limit of failures within the cool-off window is refused from any
  address until the cool-off has passed, even with the right password.
- An address that collects its (higher) limit of failures, whatever the usernames, is refused for
  any username until the cool-off has passed. The address limit is higher because many honest
  people may share one address (an office behind NAT).
- Attempts refused during a cool-off are not counted: the cool-off ends a fixed time after the
  failure that reached the limit, however often the guesser knocks meanwhile.
- A successful sign-in resets its username's count. It does not reset the address's count, so an
  attacker with an account of their own cannot wash their address clean between guesses.

Counts use ``cache.incr``, which is atomic on Redis, so concurrent guesses in many processes are
all counted. Keys hold a digest of the username, never the name itself. A username's key also
holds the request's database alias (under tenant routing, the same username on two tenants is two
accounts); an address's key does not, so spreading guesses over tenants gains nothing.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from apps.core.services.transaction_manager import get_current_db_name

USERNAME = "username"
ADDRESS = "address"


@dataclass(frozen=True)
class Refusal:
    """A refused sign-in: which counter refused it and how many seconds remain."""

    kind: str
    retry_after: int


def _limits():
    return {
        USERNAME: settings.SIGNIN_FAILURE_LIMIT_PER_USERNAME,
        ADDRESS: settings.SIGNIN_FAILURE_LIMIT_PER_ADDRESS,
    }


def _cooloff():
    return max(1, int(settings.SIGNIN_COOLOFF_SECONDS))


def client_address(request):
    """The address a sign-in came from: ``SIGNIN_ADDRESS_HEADER`` of ``request.META``.

    ``REMOTE_ADDR`` by default. Behind a reverse proxy, name the header the proxy overwrites with
    the client's address (for example ``HTTP_X_REAL_IP``); a header the client can set itself
    would let an attacker pick a new address for every guess.
    """
    value = request.META.get(settings.SIGNIN_ADDRESS_HEADER) or request.META.get("REMOTE_ADDR") or "unknown"
    return value.split(",")[0].strip()


def _subjects(username, address):
    subjects = {ADDRESS: address}
    if username:
        subjects[USERNAME] = str(username).casefold()
    return subjects


def _key(state, kind, value):
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    namespace = getattr(settings, "SIGNIN_THROTTLE_NAMESPACE", "signin")
    scope = get_current_db_name() if kind == USERNAME else "all"
    return f"{namespace}:{scope}:{state}:{kind}:{digest}"


def refusal(username, address):
    """The ``Refusal`` in force for this username or address, or None when the sign-in may proceed."""
    locks = {kind: _key("lock", kind, value) for kind, value in _subjects(username, address).items()}
    found = cache.get_many(list(locks.values()))
    now = time.time()
    waits = [(int(found[key] - now) + 1, kind) for kind, key in locks.items() if key in found and found[key] > now]
    if not waits:
        return None
    retry_after, kind = max(waits)
    return Refusal(kind=kind, retry_after=retry_after)


def record_failure(username, address):
    """Count a failed sign-in; return the ``Refusal`` it triggered, if it reached a limit."""
    cooloff = _cooloff()
    limits = _limits()
    triggered = None
    for kind, value in _subjects(username, address).items():
        key = _key("failures", kind, value)
        # The window opens with the first failure and lasts one cool-off.
        cache.add(key, 0, timeout=cooloff)
        try:
            count = cache.incr(key)
        except ValueError:  # the window closed between add and incr
            cache.set(key, 1, timeout=cooloff)
            count = 1
        if count >= limits[kind]:
            cache.set(_key("lock", kind, value), time.time() + cooloff, timeout=cooloff)
            triggered = Refusal(kind=kind, retry_after=cooloff)
    return triggered


def reset_username(username):
    """Forget a username's failures (after it signed in successfully)."""
    if username:
        value = str(username).casefold()
        cache.delete_many([_key("failures", USERNAME, value), _key("lock", USERNAME, value)])
