"""Throwaway data for the benchmarks: a client and site of their own, removed afterwards.

Everything a benchmark writes belongs to a client whose code starts with ``BENCH-``, made for
the run: its site, its staff author (with an API token), an approver and a verifier of work
permits, a permit type private to the client. ``remove_bench_data`` deletes all of it, and
whatever was created under it (permits, work orders, their details and history), in one
transaction.
"""

import uuid
from dataclasses import dataclass, field

from rest_framework.authtoken.models import Token

from apps.core.services.transaction_manager import atomic_view_operation
from apps.onboarding.models import Bt, SuperTypeAssist, TypeAssist
from apps.onboarding.services import create_client, create_site, create_super_type_assist, create_type_assist
from apps.peoples.models import People
from apps.peoples.services import create_person
from apps.work_order_management.models import (
    Approver,
    PermitApproval,
    WomDetails,
    WorkOrder,
    WorkOrderHistory,
    WorkOrderSequence,
    WorkPermit,
)
from apps.work_order_management.services import create_approver

PREFIX = "BENCH-"
PERMIT_TYPE_GROUP = "PERMITTYPE"

#: The checklist of every benchmark permit: five answers, two of them mandatory.
DETAILS = (
    {"question": "Is the area isolated?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True},
    {"question": "Gas reading (ppm)", "answertype": "NUMERIC", "answer": "4.5", "ismandatory": True},
    {"question": "Fire watch assigned", "answertype": "TEXT", "answer": "J. Doe"},
    {"question": "Valid until", "answertype": "DATE", "answer": "2030-01-31"},
    {"question": "Notes", "answertype": "MULTILINE", "answer": ""},
)


def permit_details():
    """A fresh copy of the five checklist answers (the services may not be handed shared dicts)."""
    return [dict(item) for item in DETAILS]


@dataclass
class BenchData:
    """The records one benchmark run works with."""

    tag: str
    client: Bt
    site: Bt
    author: People
    permit_type: TypeAssist
    people: list = field(default_factory=list)
    token: str = ""
    created_group: SuperTypeAssist | None = None


@atomic_view_operation(name="benchmarks.make_bench_data")
def make_bench_data(label="RUN"):
    """Create a ``BENCH-`` client with a site, a staff author (with a token), an approver and a verifier."""
    tag = f"{PREFIX}{label[:6].upper()}-{uuid.uuid4().hex[:8].upper()}"
    client = create_client(author=None, bucode=tag, buname=f"Benchmark client {tag}")
    site = create_site(author=None, client=client, bucode=f"{tag}-S", buname=f"Benchmark site {tag}")
    people = [
        create_person(
            author=None,
            username=f"{tag.lower()}-{role}",
            peoplecode=f"{tag}-{role.upper()}",
            peoplename=f"Benchmark {role}",
            email=f"{role}@{tag.lower()}.invalid",
            client=client,
            site=site,
            is_staff=role == "author",
        )
        for role in ("author", "approver", "verifier")
    ]
    author, approver, verifier = people
    create_approver(author=author, people=approver, identifier=Approver.Identifier.APPROVER, site=site)
    create_approver(author=author, people=verifier, identifier=Approver.Identifier.VERIFIER, site=site)
    group = SuperTypeAssist.objects.filter(code=PERMIT_TYPE_GROUP).first()
    created_group = None
    if group is None:
        group = created_group = create_super_type_assist(author=author, code=PERMIT_TYPE_GROUP, name="Permit type")
    permit_type = create_type_assist(author=author, tatype=group, tacode=tag, taname="Benchmark work", client=client)
    token = Token.objects.create(user=author).key
    return BenchData(tag, client, site, author, permit_type, people, token, created_group)


@atomic_view_operation(name="benchmarks.remove_bench_data")
def remove_bench_data(data):
    """Delete every row of the run's client, children first; then the client itself."""
    client = data.client.pk
    WomDetails.objects.filter(client_id=client).delete()
    PermitApproval.objects.filter(permit__client_id=client).delete()
    WorkPermit.objects.filter(client_id=client).delete()
    WorkOrderHistory.objects.filter(client_id=client).delete()
    WorkOrder.objects.filter(client_id=client).delete()
    WorkOrderSequence.objects.filter(client_id=client).delete()
    Approver.objects.filter(client_id=client).delete()
    TypeAssist.objects.filter(client_id=client).delete()
    People.objects.filter(pk__in=[person.pk for person in data.people]).delete()
    Bt.objects.filter(parent_id=client).delete()
    Bt.objects.filter(pk=client).delete()
    if data.created_group is not None and not data.created_group.types.exists():
        data.created_group.delete()
