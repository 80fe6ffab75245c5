"""Work-order numbers: sequential per client, unique, and without gaps among committed orders."""

import threading

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from apps.core.services.distributed_locks import LockAcquisitionError, LockRegistry
from apps.core.testing import InjectedFault, fault_at
from apps.onboarding.models import Bt
from apps.work_order_management.models import WorkOrder, WorkOrderSequence
from apps.work_order_management.services import create_work_order

SERVICES = "apps.work_order_management.services"


def _number(n):
    return f"WO-{timezone.localdate().year}-{n:06d}"


@pytest.fixture
def other_author(db):
    from apps.peoples.services import create_person

    client = Bt.objects.create(bucode="GLOBEX", buname="Globex", identifier=Bt.Identifier.CLIENT)
    site = Bt.objects.create(bucode="GLOBEX-1", buname="Globex 1", identifier=Bt.Identifier.SITE, parent=client)
    return create_person(author=None, username="other", peoplecode="OTH01", peoplename="Otto", client=client, site=site)


def test_numbers_are_sequential_per_client(author, other_author):
    ours = [create_work_order(author=author, description=f"job {i}") for i in range(3)]
    theirs = create_work_order(author=other_author, description="their job")
    assert [w.number for w in ours] == [_number(1), _number(2), _number(3)]
    assert [w.sequence for w in ours] == [1, 2, 3]
    assert theirs.number == _number(1)


def test_rolled_back_creation_releases_its_number(author):
    create_work_order(author=author, description="first")
    with fault_at(SERVICES, "_notify_vendor_after_commit"), pytest.raises(InjectedFault):
        create_work_order(author=author, description="rolled back after its number was taken")
    assert create_work_order(author=author, description="second").number == _number(2)


@pytest.mark.django_db(transaction=True)
def test_number_of_a_failed_creation_goes_to_the_next_committed_order(author):
    create_work_order(author=author, description="first")
    with fault_at(SERVICES, "_notify_vendor_after_commit"), pytest.raises(InjectedFault):
        create_work_order(author=author, description="rolled back after its number was taken")
    second = create_work_order(author=author, description="second")
    assert second.number == _number(2)
    assert list(WorkOrder.objects.order_by("sequence").values_list("sequence", flat=True)) == [1, 2]


@override_settings(DISTRIBUTED_LOCK_TYPES={"WORK_ORDER_NUMBERING": (5.0, 0.3)})
def test_creation_waits_for_its_clients_numbering_lock_and_gives_up_with_a_clear_error(author, client_bt, wom_rows):
    held = LockRegistry.get_lock("WORK_ORDER_NUMBERING", client_bt.pk).acquire()
    try:
        rows = wom_rows()
        with pytest.raises(LockAcquisitionError, match="WORK_ORDER_NUMBERING"):
            create_work_order(author=author, description="while another creation holds the numbering")
        assert rows.changed() == {}
    finally:
        held.release()
    assert create_work_order(author=author, description="after it").number == _number(1)


def test_numbering_restarts_each_year(author, client_bt):
    WorkOrderSequence.objects.create(client=client_bt, year=timezone.localdate().year - 1, last_number=57)
    assert create_work_order(author=author, description="new year").number == _number(1)
    assert WorkOrderSequence.objects.get(client=client_bt).year == timezone.localdate().year


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_first_orders_of_a_client_get_distinct_numbers(author):
    """Nobody has created the counter row yet: the racing creators must neither fail nor share a number."""
    workers = 4
    barrier = threading.Barrier(workers)
    numbers, errors = [], []

    def create(i):
        try:
            barrier.wait()
            numbers.append(create_work_order(author=author, description=f"race {i}").number)
        except Exception as exc:  # noqa: BLE001 - every failure is reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a creator did not finish: deadlock or endless wait"
    assert errors == []
    assert sorted(numbers) == [_number(n) for n in range(1, workers + 1)]
