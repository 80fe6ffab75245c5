"""``assert_all_or_nothing`` passes a write path with its boundary and catches the usual ways to break one.

The write paths here are written for the test, on onboarding's lookup tables: a group
(``SuperTypeAssist``) and a value in it (``TypeAssist``), two writes. Each broken variant is a
mistake assert_all_or_nothing must name, with the write and the table that leaked.
"""

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal

from apps.core.models import OutboxMessage
from apps.core.services.distributed_locks import with_lock_and_transaction
{%- if cookiecutter.use_tenant_routing == "y" %}
from apps.core.services.transaction_manager import atomic_view_operation, send_task_on_commit, use_database
{%- else %}
from apps.core.services.transaction_manager import atomic_view_operation, send_task_on_commit
{%- endif %}
from apps.core.testing import COMMIT, NotAllOrNothing, assert_all_or_nothing
from apps.onboarding.models import SuperTypeAssist, TypeAssist
from apps.onboarding.tests.announcements import announce, announce_group

GROUP, VALUE = SuperTypeAssist._meta.db_table, TypeAssist._meta.db_table
OUTBOX = OutboxMessage._meta.db_table  # the task is recorded with the write

group_created = Signal()


def _add_group_and_value(author):
    group = SuperTypeAssist.objects.create(code="SHIFT", name="Shift", cuser=author, muser=author)
    TypeAssist.objects.create(tatype=group, tacode="NIGHT", taname="Night shift", cuser=author, muser=author)
    return group


@atomic_view_operation()
def add_shift_lookup(*, author):
    """The right way: one boundary around both writes, the announcement after commit."""
    group = _add_group_and_value(author)
    send_task_on_commit(announce_group, group.pk)
    return group


@with_lock_and_transaction("PARENT_CHILD_UPDATE", resource_id_param="code")
def add_lookup_under_lock(*, author, code):
    """The right way for a path that locks first: a durable transaction inside the lock."""
    group = SuperTypeAssist.objects.create(code=code, name=code.title(), cuser=author, muser=author)
    TypeAssist.objects.create(tatype=group, tacode="DEFAULT", taname="Default", cuser=author, muser=author)
    send_task_on_commit(announce_group, group.pk)
    return group


def add_shift_lookup_without_boundary(*, author):
    """Broken: two writes and no transaction; the group stays when the value cannot be written."""
    return _add_group_and_value(author)


@atomic_view_operation()
def _create_group(author):
    group = SuperTypeAssist.objects.create(code="SHIFT", name="Shift", cuser=author, muser=author)
    return group


def add_shift_lookup_with_late_receiver(*, author):
    """Broken: the boundary closes before ``group_created`` is sent, so its receiver writes outside it."""
    group = _create_group(author)
    group_created.send(sender=SuperTypeAssist, group=group, author=author)
    return group


def _add_default_value(sender, group, author, **kwargs):
    TypeAssist.objects.create(tatype=group, tacode="DEFAULT", taname="Default", cuser=author, muser=author)


@atomic_view_operation()
def add_shift_lookup_announced_early(*, author):
    """Broken: the task is sent with ``.delay()`` while the transaction is still open.

    ``announce`` lives in another module, where the static check of the pre-commit hook, which
    reads one file at a time, cannot see that it is called inside a transaction.
    """
    group = SuperTypeAssist.objects.create(code="SHIFT", name="Shift", cuser=author, muser=author)
    announce(group)
    TypeAssist.objects.create(tatype=group, tacode="NIGHT", taname="Night shift", cuser=author, muser=author)
    return group


@pytest.fixture
def late_receiver():
    group_created.connect(_add_default_value, dispatch_uid="tests.add_default_value")
    yield
    group_created.disconnect(dispatch_uid="tests.add_default_value")


@pytest.mark.django_db
def test_a_path_with_its_boundary_passes_having_failed_each_write(author, mailoutbox):
    record = assert_all_or_nothing(lambda: add_shift_lookup(author=author))

    writes = [(write.kind, write.table) for write in record.writes]
    assert writes == [("INSERT", GROUP), ("INSERT", VALUE), ("INSERT", OUTBOX), (COMMIT, "")]
    assert record.tasks == ["onboarding.tests.announce_group"]
    assert record.emails == ["New lookup group"]
    # The starting state is back: nothing of the runs remains.
    assert not SuperTypeAssist.objects.filter(code="SHIFT").exists()
    assert not TypeAssist.objects.filter(tacode="NIGHT").exists()


@pytest.mark.django_db(transaction=True)
def test_a_path_that_locks_and_commits_for_real_passes(author, mailoutbox):
    record = assert_all_or_nothing(lambda: add_lookup_under_lock(author=author, code="SHIFT"))

    assert [write.kind for write in record.writes] == ["INSERT", "INSERT", "INSERT", COMMIT]
    # Sent once, by the first run, after its real commit; never by the runs that failed.
    assert [message.subject for message in mailoutbox] == ["New lookup group"]
    assert not SuperTypeAssist.objects.filter(code="SHIFT").exists()


@pytest.mark.django_db
def test_rows_that_existed_before_are_put_back_after_every_run(author):
    group = SuperTypeAssist.objects.create(code="KEEP", name="Kept")

    @atomic_view_operation()
    def rename_and_replace(*, author):
        SuperTypeAssist.objects.filter(pk=group.pk).update(name="Renamed")
        SuperTypeAssist.objects.filter(code="KEEP").delete()
        SuperTypeAssist.objects.create(code="NEW", name="New", cuser=author, muser=author)

    assert_all_or_nothing(lambda: rename_and_replace(author=author))

    assert SuperTypeAssist.objects.get(pk=group.pk).name == "Kept"
    assert not SuperTypeAssist.objects.filter(code="NEW").exists()


def _assert_no_boundary_is_caught(author):
    with pytest.raises(NotAllOrNothing) as caught:
        assert_all_or_nothing(lambda: add_shift_lookup_without_boundary(author=author))

    report = str(caught.value)
    assert f"- write 2 (INSERT {VALUE}) failed" in report
    assert f"{GROUP}: 1 row(s) left behind" in report
    assert "- write 1 " not in report  # failing the first write leaves nothing: that one is fine
    assert not SuperTypeAssist.objects.filter(code="SHIFT").exists()  # the leak was cleaned up too


@pytest.mark.django_db
def test_two_writes_without_a_boundary_are_caught(author):
    _assert_no_boundary_is_caught(author)


@pytest.mark.django_db(transaction=True)
def test_two_writes_without_a_boundary_are_caught_when_each_write_commits(author):
    _assert_no_boundary_is_caught(author)


@pytest.mark.django_db
def test_a_receiver_writing_after_the_boundary_is_caught(author, late_receiver):
    with pytest.raises(NotAllOrNothing) as caught:
        assert_all_or_nothing(lambda: add_shift_lookup_with_late_receiver(author=author))

    report = str(caught.value)
    assert f"- write 3 (INSERT {VALUE}) failed" in report
    assert f"{GROUP}: 1 row(s) left behind" in report


@pytest.mark.django_db(transaction=True)
def test_a_task_sent_before_commit_is_caught(author, mailoutbox):
    with pytest.raises(NotAllOrNothing) as caught:
        assert_all_or_nothing(lambda: add_shift_lookup_announced_early(author=author))

    report = str(caught.value)
    assert f"- write 2 (INSERT {VALUE}) failed" in report
    assert "task sent: onboarding.tests.announce_group" in report
    assert "e-mail sent: 'New lookup group'" in report
    assert "- write 3 (the commit) failed" in report
    assert "- write 1 " not in report


@pytest.mark.django_db
def test_a_failure_swallowed_by_the_path_is_caught(author):
    @atomic_view_operation()
    def add_group_ignoring_errors(*, author):
        try:
            with transaction.atomic():
                return _add_group_and_value(author)
        except Exception:  # noqa: BLE001 - the mistake under test
            return None

    with pytest.raises(NotAllOrNothing) as caught:
        assert_all_or_nothing(lambda: add_group_ignoring_errors(author=author))

    assert "the failure did not reach the caller, which got None" in str(caught.value)


@pytest.mark.django_db
def test_a_save_receiver_inside_the_boundary_is_covered(author):
    """A post_save receiver's write is one of the operation's writes, failed in turn like the others."""

    def add_default_value(sender, instance, created, **kwargs):
        if created:
            TypeAssist.objects.create(tatype=instance, tacode="DEFAULT", taname="Default")

    post_save.connect(add_default_value, sender=SuperTypeAssist, dispatch_uid="tests.default_value")
    try:
        record = assert_all_or_nothing(lambda: add_shift_lookup(author=author))
    finally:
        post_save.disconnect(sender=SuperTypeAssist, dispatch_uid="tests.default_value")

    assert [write.table for write in record.writes] == [GROUP, VALUE, VALUE, OUTBOX, ""]


@pytest.mark.django_db
def test_refuses_to_run_inside_a_transaction(author):
    with pytest.raises(RuntimeError, match="outside transaction.atomic"), transaction.atomic():
        assert_all_or_nothing(lambda: add_shift_lookup(author=author))
{%- if cookiecutter.use_tenant_routing == "y" %}


@pytest.mark.django_db(databases=["default", "tenant_b"], transaction=True)
def test_watches_the_alias_the_operation_writes_to(mailoutbox):
    """Under tenant routing an operation writes to its tenant's alias: ``using=`` names it."""

    def add_on_tenant_b():
        with use_database("tenant_b"):
            return add_shift_lookup(author=None)

    record = assert_all_or_nothing(add_on_tenant_b, using="tenant_b")

    assert [write.table for write in record.writes] == [GROUP, VALUE, OUTBOX, ""]
    assert [message.subject for message in mailoutbox] == ["New lookup group"]
    assert not SuperTypeAssist.objects.using("tenant_b").exists()
    with pytest.raises(AssertionError, match="sent no write on database 'default'"):
        assert_all_or_nothing(add_on_tenant_b)
{%- endif %}
