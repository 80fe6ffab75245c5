"""Claim, mark, answer and release idempotency keys (the ``IdempotencyKey`` rows)."""

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from apps.core.models import IdempotencyKey

FRESH, REPLAY, APPLIED, IN_PROGRESS, MISMATCH = "fresh", "replay", "applied", "in progress", "mismatch"
#: Response headers a replay repeats.
KEPT_HEADERS = ("Location", "ETag", "Content-Location")


@dataclass
class Claim:
    """A key this process claimed for the request it is serving."""

    pk: int
    alias: str
    marked: bool = False


def caller_digest(caller):
    """Who sends a key, as a digest: the keys of one caller are apart from everybody else's."""
    return hashlib.sha256(caller.encode()).hexdigest()


def fingerprint(*, method, path, body):
    """A digest of everything a retry must repeat: the method, the path and the body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def claim(caller, key, print_, alias):
    """Claim ``caller``'s ``key`` for a request with fingerprint ``print_``; return ``(outcome, record)``.

    ``FRESH``: the request runs (the key was new, or its first request was abandoned before it
    committed); ``REPLAY``: the first request's answer is stored; ``APPLIED``: it committed but its
    answer was lost with its process; ``IN_PROGRESS``: it is still running; ``MISMATCH``: the key
    was used with a different request.
    """
    keys = IdempotencyKey.objects.using(alias)
    now = timezone.now()
    record, created = keys.get_or_create(caller=caller, key=key, defaults={"fingerprint": print_, "claimed_at": now})
    if created:
        return FRESH, record
    if record.fingerprint != print_:
        return MISMATCH, record
    if record.answered_at is not None:
        return REPLAY, record
    abandoned = record.claimed_at < now - datetime.timedelta(seconds=settings.IDEMPOTENCY_CLAIM_TIMEOUT)
    if not abandoned:
        return IN_PROGRESS, record
    if record.committed_at is not None:
        return APPLIED, record
    taken = keys.filter(pk=record.pk, claimed_at=record.claimed_at, committed_at__isnull=True).update(claimed_at=now)
    return (FRESH, record) if taken else (IN_PROGRESS, record)


def mark_committed(claim_, alias):
    """Inside the write's transaction: the key's request committed (rolls back with the write)."""
    if alias != claim_.alias or claim_.marked:
        return
    IdempotencyKey.objects.using(alias).filter(pk=claim_.pk).update(committed_at=timezone.now())
    claim_.marked = True


def store_answer(claim_, response):
    """Keep the answer of a committed request for its retries; release the key of one that did not commit.

    A request that wrote nothing (a rejection, a failure, a read) leaves no key behind: its
    retry runs again, which is what a client that never got an answer needs.
    """
    keys = IdempotencyKey.objects.using(claim_.alias)
    if not claim_.marked:
        keys.filter(pk=claim_.pk, committed_at__isnull=True).delete()
        return
    body = b"" if response.streaming else response.content
    stored = body.decode("utf-8", "replace") if len(body) <= settings.IDEMPOTENCY_MAX_STORED_ANSWER else ""
    updated = keys.filter(pk=claim_.pk, committed_at__isnull=False).update(
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        headers={name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
        body=stored,
        answered_at=timezone.now(),
    )
    if not updated:  # the commit itself failed after the key was marked
        keys.filter(pk=claim_.pk).delete()


def prune(alias, *, hours=None):
    """Delete the keys older than ``IDEMPOTENCY_KEY_RETENTION_HOURS``; return how many."""
    hours = settings.IDEMPOTENCY_KEY_RETENTION_HOURS if hours is None else hours
    cutoff = timezone.now() - datetime.timedelta(hours=hours)
    deleted, _ = IdempotencyKey.objects.using(alias).filter(claimed_at__lt=cutoff).delete()
    return deleted
