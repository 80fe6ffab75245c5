"""Test helpers for proving that write paths are all-or-nothing.

``fault_at`` makes one step of a write path raise; ``RowCounts`` records how many rows a set of
models has before and after, so a test can assert that a failed operation left nothing behind.
"""

from contextlib import contextmanager
from unittest import mock


class InjectedFault(Exception):
    """The failure a test injects into one step of a write path."""


@contextmanager
def fault_at(target, attribute):
    """Make ``target.attribute`` raise ``InjectedFault`` while the block runs.

    ``target`` is an object or an import path string, as for ``unittest.mock.patch.object`` and
    ``unittest.mock.patch``: ``fault_at(WomDetails.objects, "bulk_create")`` or
    ``fault_at("apps.work_order_management.services", "_name_permit")``.
    """
    fault = InjectedFault(f"injected fault at {attribute}")
    if isinstance(target, str):
        patcher = mock.patch(f"{target}.{attribute}", side_effect=fault)
    else:
        patcher = mock.patch.object(target, attribute, side_effect=fault)
    with patcher:
        yield fault


class RowCounts:
    """Row counts of some models, to compare before and after an operation."""

    def __init__(self, *models, using="default"):
        self.models = models
        self.using = using
        self.before = self.count()

    def count(self):
        return {model._meta.label: model._base_manager.using(self.using).count() for model in self.models}

    def changed(self):
        """The models whose row count differs from when this snapshot was taken."""
        after = self.count()
        return {label: (self.before[label], after[label]) for label in after if after[label] != self.before[label]}
