"""Idempotency keys: a client that retries a write with the same key gets the first answer.

A key is claimed when its request arrives, marked committed in the same transaction as the
request's write, and given the answer once the response is ready (``apps.core.idempotency``).
So a retry can always tell what happened to the first attempt: it committed (the stored answer
is replayed), it is still running (409, retry later), or it never committed (the claim is
released, or taken over once it is older than ``IDEMPOTENCY_CLAIM_TIMEOUT``, and the request
runs again).
"""

from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a client sent with a write, and what became of that write."""

    #: A digest of who sent it (the ``Authorization`` header or the session's user): each caller's
    #: keys are its own, so nobody can replay, block or probe another caller's requests.
    caller = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    #: A digest of the method, the path and the body: the same key with another request is a
    #: client error (422).
    fingerprint = models.CharField(max_length=64)
    claimed_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "idempotency key"
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="core_idempotency_key_per_caller")]

    def __str__(self):
        return self.key
