"""What the audit's database holds: the records it sets up, what each request wrote, which tasks arrived.

Every request of the audit writes a marker (``audit-<uuid>``) into a text field of the record it
creates or changes, so the database can be asked what each request wrote: the number of rows
carrying its marker. The database belongs to the audit alone (a server it started and migrated),
so every row found is one of the run's.

The only code that knows the task outbox and its delivery receipts is ``task_states`` and
``relay_outbox``: the rest of the audit speaks of (task, record) pairs.
"""

import io
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from django.core.management import call_command
from django.db import connections
from rest_framework.authtoken.models import Token

from apps.activity.models import AssetLog
from apps.activity.services import create_asset
from apps.attendance.models import PeopleEventlog
from apps.core.models import DeliveryReceipt, OutboxMessage
from apps.core.services.transaction_manager import atomic_view_operation, get_current_db_name
from apps.peoples.services import create_person
from apps.work_order_management.models import WorkOrder, WorkPermit
from apps.work_order_management.services import create_vendor

from ..fixtures import make_bench_data

MARKER_PREFIX = "audit-"
#: A record whose marker starts so is held this many seconds inside its transaction (``install_holds``).
HOLD_PREFIX = f"{MARKER_PREFIX}hold-"
HOLD_SECONDS = 1.5
#: The field of each kind of request that carries its marker.
MARKED_FIELDS = {
    "work_order": (WorkOrder, "description"),
    "permit": (WorkPermit, "remarks"),
    "asset_status": (AssetLog, "remarks"),
}
#: Check-ins and check-outs write the marker into the event's remarks: a check-out appends its own.
ATTENDANCE_KINDS = ("check_in", "check_out")
#: Seconds between two runs of the outbox relay while waiting for the receipts.
RELAY_EVERY = 5
#: The task each created record sends, by kind: the outbox row's task name ends with it.
TASK_OF_KIND = {"work_order": "notify_vendor", "permit": "notify_verifiers"}


@dataclass
class Seat:
    """What one client thread of the load works with: its own person (and token) and asset."""

    person_id: int
    token: str
    asset_id: int


@dataclass
class AuditData:
    site_id: int
    permit_type_id: int
    vendor_id: int
    seats: list = field(default_factory=list)

    def as_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "seats": [Seat(**seat) for seat in data["seats"]]})


@atomic_view_operation(name="benchmarks.make_audit_data")
def make_audit_data(seats):
    """A client, site, permit approvers and a vendor; ``seats`` staff people with a token and an asset each."""
    data = make_bench_data("AUDIT")
    vendor = create_vendor(
        author=data.author, code=f"{data.tag}-V", name="Audit vendor", email="vendor@audit.invalid", site=data.site
    )
    made = []
    for number in range(seats):
        person = create_person(
            author=None,
            username=f"{data.tag.lower()}-seat{number}",
            peoplecode=f"{data.tag}-SEAT{number}",
            peoplename=f"Audit seat {number}",
            client=data.client,
            site=data.site,
            is_staff=True,
        )
        asset = create_asset(
            author=person, assetcode=f"{data.tag}-A{number}", assetname=f"Audit asset {number}", site=data.site
        )
        made.append(Seat(person.pk, Token.objects.create(user=person).key, asset.pk))
    return AuditData(data.site.pk, data.permit_type.pk, vendor.pk, made)


@atomic_view_operation(name="benchmarks.install_audit_holds")
def install_holds():
    """Make a check-in or permit marked ``HOLD_PREFIX`` wait ``HOLD_SECONDS`` inside its transaction.

    A fault then meets a transaction at the moment it wants (a lock held, a worker busy), instead of
    by chance: the row's INSERT sleeps in a trigger of the audit's own database, nothing else changes.
    """
    function = f"""
        CREATE OR REPLACE FUNCTION audit_hold() RETURNS trigger AS $$
        BEGIN
            IF to_jsonb(NEW) ->> 'remarks' LIKE '{HOLD_PREFIX}%' THEN
                PERFORM pg_sleep({HOLD_SECONDS});
            END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql
    """
    with connections[get_current_db_name()].cursor() as cursor:
        cursor.execute(function)
        for model in (PeopleEventlog, WorkPermit):
            table = model._meta.db_table
            cursor.execute(
                f'CREATE TRIGGER audit_hold BEFORE INSERT ON "{table}" FOR EACH ROW EXECUTE FUNCTION audit_hold()'
            )


def written_counts():
    """``{marker: rows carrying it}`` over every kind of record the audit's requests write."""
    counts = Counter()
    for model, name in MARKED_FIELDS.values():
        counts.update(model.objects.filter(**{f"{name}__startswith": MARKER_PREFIX}).values_list(name, flat=True))
    for remarks in PeopleEventlog.objects.filter(remarks__startswith=MARKER_PREFIX).values_list("remarks", flat=True):
        counts.update(remarks.split())
    return counts


def committed_tasks():
    """The (task, record id) pairs the committed records of the run must have had delivered."""
    pairs = set()
    orders = WorkOrder.objects.filter(description__startswith=MARKER_PREFIX, vendor__isnull=False)
    pairs.update((TASK_OF_KIND["work_order"], pk) for pk in orders.values_list("pk", flat=True))
    permits = WorkPermit.objects.filter(remarks__startswith=MARKER_PREFIX)
    pairs.update((TASK_OF_KIND["permit"], pk) for pk in permits.values_list("pk", flat=True))
    return pairs


def relay_outbox():
    """Publish what the outbox still holds: pending messages, and published ones left without a receipt.

    Lost messages are published again after ``OUTBOX_REDELIVER_AFTER`` seconds (the audit's settings
    keep it just above the broker's visibility timeout).
    """
    call_command("relay_outbox", older_than=0, stdout=io.StringIO())


def task_states():
    """``{(task, first argument): state}`` of every outbox message.

    A message is "delivered" when its idempotent task wrote its ``DeliveryReceipt`` (``message_id``
    = the message's id), else "published" or "not published".
    """
    received = set(DeliveryReceipt.objects.values_list("message_id", flat=True))
    states = {}
    for pk, task_name, args, published_at in OutboxMessage.objects.values_list(
        "pk", "task_name", "args", "published_at"
    ):
        pair = (task_name.rpartition(".")[2], (list(args or []) or [None])[0])
        state = "delivered" if pk in received else "published" if published_at else "not published"
        if states.get(pair) != "delivered":
            states[pair] = state
    return states


def tasks_without_receipt(wait_seconds):
    """Relay the outbox, then wait (bounded) for every committed record's task to have its receipt.

    Returns ``(missing, expected)``: ``[task, record, state]`` of each task still without a
    receipt, and the number of tasks the committed records need.
    """
    expected = committed_tasks()
    relay_outbox()
    deadline = time.monotonic() + wait_seconds
    relayed = time.monotonic()
    while True:
        states = task_states()
        missing = [
            [task, pk, states.get((task, pk), "not in the outbox")]
            for task, pk in sorted(expected)
            if states.get((task, pk)) != "delivered"
        ]
        if not missing or time.monotonic() >= deadline:
            return missing, len(expected)
        time.sleep(1)
        if time.monotonic() - relayed >= RELAY_EVERY:
            relay_outbox()
            relayed = time.monotonic()
