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


class StaleVersionError(Exception):
    """A write was based on a version of the row that is no longer the current one.

    ``expected`` is the version the caller read, ``current`` the one the row has now; ``record``
    is the current row when the refusing code had it at hand. Forms answer it 409 with the
    current values, the API 412 (its ``If-Match`` precondition failed).
    """

    def __init__(self, model, pk, *, expected, current, record=None):
        name = model._meta.verbose_name
        super().__init__(
            f"The {name} was changed by someone else since you read it (version {expected}, now {current}); "
            "reload it and apply your change again."
        )
        self.model = model
        self.pk = pk
        self.expected = expected
        self.current = current
        self.record = record
