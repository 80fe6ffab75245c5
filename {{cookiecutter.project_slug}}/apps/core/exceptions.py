"""Errors the core machinery raises and the web layer turns into clear responses."""


class LockAcquisitionError(Exception):
    """A distributed lock could not be acquired within its bounded wait.

    Views answer it with HTTP 409 and a ``Retry-After`` header of ``retry_after`` seconds.
    """

    def __init__(self, message, *, lock_key=None, retry_after=1):
        super().__init__(message)
        self.lock_key = lock_key
        self.retry_after = retry_after


class LockBackendUnavailable(LockAcquisitionError):
    """The lock backend (Redis) could not be reached: the operation fails closed (HTTP 503)."""
