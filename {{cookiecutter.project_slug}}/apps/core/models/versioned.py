"""A version number on the rows two people can edit at once, so neither loses the other's change.

Every save of an existing row writes ``version + 1`` and only matches the row if it still has
the version this copy was read with (compare-and-set in the ``UPDATE``'s ``WHERE``). A copy that
went stale while someone else saved the row is refused with ``StaleVersionError`` instead of
silently putting the old values back. The services re-read the row under ``SELECT ... FOR
UPDATE`` before changing it, so they always hold the current version; the check is the last
line of defence for anything else that saves a whole object (a third-party form, a shell).

Clients see the version as the API's ``ETag`` and the edit forms' hidden ``version`` field, and
send it back (``If-Match``, the form field) to have their edit refused when the row changed
since they read it.
"""

from django.db import models

from apps.core.exceptions import StaleVersionError


class VersionedModel(models.Model):
    """Abstract base: a ``version`` counted up by every save of the row, checked on each save."""

    version = models.PositiveIntegerField(default=1, editable=False)

    #: Fields whose saves alone are bookkeeping, not an edit: they neither check nor move the version.
    unversioned_fields = frozenset()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self._state.adding or (update_fields is not None and set(update_fields) <= self.unversioned_fields):
            return super().save(*args, **kwargs)
        read_version = self.version
        self.version = read_version + 1
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version"}
        self._read_version = read_version
        try:
            return super().save(*args, **kwargs)
        except BaseException:
            self.version = read_version
            raise
        finally:
            del self._read_version

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        read_version = getattr(self, "_read_version", None)
        if read_version is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        if base_qs.filter(pk=pk_val, version=read_version)._update(values) > 0:
            return True
        current = base_qs.filter(pk=pk_val).values_list("version", flat=True).first()
        if current is None:
            return False  # the row is gone: Django decides (insert, or "did not affect any rows")
        raise StaleVersionError(type(self), pk_val, expected=read_version, current=current)
