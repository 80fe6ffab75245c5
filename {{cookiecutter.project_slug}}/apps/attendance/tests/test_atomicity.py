"""Attendance writes are all or nothing, and refuse to start inside a transaction that would outlive their lock."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.attendance.models import PeopleEventlog
from apps.attendance.services import check_in, check_out
from apps.core.testing import InjectedFault, RowCounts, fault_at

SERVICES = "apps.attendance.services"

CHECK_IN_STEPS = [
    ("coordinate validation", SERVICES, "_validate_position"),
    ("open-event lookup", SERVICES, "_open_event"),
    ("event save", SERVICES, "save_userinfo"),
    ("row write", PeopleEventlog, "save"),
]
CHECK_OUT_STEPS = CHECK_IN_STEPS


@pytest.mark.django_db
@pytest.mark.parametrize(("step", "target", "attribute"), CHECK_IN_STEPS, ids=[s[0] for s in CHECK_IN_STEPS])
def test_check_in_leaves_nothing_when_any_step_fails(step, target, attribute, author, guard):
    counts = RowCounts(PeopleEventlog)
    with fault_at(target, attribute), pytest.raises(InjectedFault):
        check_in(author=author, people=guard)
    assert counts.changed() == {}


@pytest.mark.django_db
@pytest.mark.parametrize(("step", "target", "attribute"), CHECK_OUT_STEPS, ids=[s[0] for s in CHECK_OUT_STEPS])
def test_check_out_leaves_the_event_open_when_any_step_fails(step, target, attribute, author, guard):
    event = check_in(author=author, people=guard, when=timezone.now() - timedelta(hours=1))
    counts = RowCounts(PeopleEventlog)
    with fault_at(target, attribute), pytest.raises(InjectedFault):
        check_out(author=author, people=guard)
    assert counts.changed() == {}
    assert PeopleEventlog.objects.get(pk=event.pk).is_open


# check_in and check_out lock the person and then open their own transaction: inside an open
# transaction they refuse to start (the lock would be released before that transaction commits).


@pytest.mark.django_db(transaction=True)
def test_check_in_refuses_to_run_inside_an_open_transaction_and_writes_nothing(author, guard, mailoutbox):
    counts = RowCounts(PeopleEventlog)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        check_in(author=author, people=guard)
    assert counts.changed() == {}
    assert mailoutbox == []
    check_in(author=author, people=guard)  # the refusal released the person's lock


@pytest.mark.django_db(transaction=True)
def test_check_out_refuses_to_run_inside_an_open_transaction_and_leaves_the_event_open(author, guard):
    event = check_in(author=author, people=guard, when=timezone.now() - timedelta(hours=1))
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        check_out(author=author, people=guard)
    assert PeopleEventlog.objects.get(pk=event.pk).is_open
    check_out(author=author, people=guard)
    assert not PeopleEventlog.objects.get(pk=event.pk).is_open
