"""Demo data, made through the same service functions users go through.

Each demo client (``DEMO`` by default, or any code given to ``seed_demo --client``) gets the same
shape of data, its codes derived from the client's: two sites, one person per role (client admin,
supervisor, technician) plus the approver and verifier of the permit roster, assets, a PPM job, a
vendor, work orders and a permit. Each record is written by the role that would write it in use:
the client admin appoints the roster and keeps the vendor, the supervisor plans the job and
raises the work orders, a technician raises the permit.

Every record has a natural key (a code) and is only created when missing, so running the
seeding again changes nothing. Each record is its own operation with its own transaction, as
it would be in use (some services hold a lock and must be the outermost transaction): an
interrupted run leaves whole records, and the next run completes it.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.activity.models import Asset, Job
from apps.activity.services import create_asset, create_job
from apps.core.access.roles import Role
from apps.core.services.transaction_manager import atomic_view_operation
from apps.onboarding.models import Bt
from apps.onboarding.services import create_client, create_site, get_or_create_type_assist
from apps.peoples.services import create_person
from apps.work_order_management.models import Approver, Vendor, WorkOrder, WorkPermit
from apps.work_order_management.services import (
    create_approver,
    create_vendor,
    create_work_order,
    create_work_permit,
)

DEFAULT_CLIENT = "DEMO"
CLIENT_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,19}$")
SITES = [("HQ", "Headquarters"), ("PLANT", "Plant")]
PERMIT_CHECKLIST = [
    {"question": "Area isolated and signposted?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True},
    {"question": "Fire extinguisher within 10 m?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True},
    {"question": "Gas test reading (ppm)", "answertype": "NUMERIC", "answer": "0", "ismandatory": True},
]


@dataclass(frozen=True)
class DemoPerson:
    """One demo login of a client: its role group and, for the permit roster, its appointment."""

    key: str
    username: str
    peoplecode: str
    peoplename: str
    site_code: str
    role: str
    appointment: str | None = None


def client_code(value):
    """``value`` as a demo client code (upper case), or ValueError saying what a code looks like."""
    code = (value or "").strip().upper()
    if not CLIENT_CODE_PATTERN.match(code):
        raise ValueError(
            f'"{value}" is not a client code: use 2 to 20 letters and digits, starting with a letter (e.g. ACME).'
        )
    return code


def client_name(code):
    return "Demo Facilities" if code == DEFAULT_CLIENT else f"{code.title()} Facilities"


def people_of(code):
    """The demo people of client ``code``: usernames and codes derived from it."""
    prefix, hq, plant = code.lower(), f"{code}-HQ", f"{code}-PLANT"
    return [
        DemoPerson("admin", f"{prefix}.clientadmin", f"{code}-ADM", "Cleo Client-Admin", hq, Role.CLIENT_ADMIN),
        DemoPerson("supervisor", f"{prefix}.supervisor", f"{code}-SUP", "Sam Supervisor", hq, Role.SUPERVISOR,
                   Approver.Identifier.APPROVER),
        DemoPerson("verifier", f"{prefix}.verifier", f"{code}-VER", "Vera Verifier", hq, Role.TECHNICIAN,
                   Approver.Identifier.VERIFIER),
        DemoPerson("tech1", f"{prefix}.tech1", f"{code}-T1", "Tara Technician", hq, Role.TECHNICIAN),
        DemoPerson("tech2", f"{prefix}.tech2", f"{code}-T2", "Theo Technician", plant, Role.TECHNICIAN),
    ]  # fmt: skip


def _client_and_sites(code, report):
    client = Bt.objects.filter(bucode=code).first()
    if client is None:
        client = create_client(author=None, bucode=code, buname=client_name(code))
        report("client", client)
    sites = {}
    for suffix, name in SITES:
        site_code = f"{code}-{suffix}"
        sites[site_code] = Bt.objects.filter(bucode=site_code).first()
        if sites[site_code] is None:
            sites[site_code] = create_site(
                author=None, client=client, bucode=site_code, buname=f"{client_name(code).split()[0]} {name}"
            )
            report("site", sites[site_code])
    return client, sites


@atomic_view_operation()
def _give_role(person, role):
    """Add ``person`` to the group of ``role`` (made when missing; its permissions come from a migration)."""
    group, _created = Group.objects.get_or_create(name=role)
    person.groups.add(group)


@atomic_view_operation()
def _create_person_with_role(spec, client, site, password):
    person = create_person(
        author=None,
        username=spec.username,
        peoplecode=spec.peoplecode,
        peoplename=spec.peoplename,
        email=f"{spec.username}@example.com",
        password=password,
        client=client,
        site=site,
    )
    _give_role(person, spec.role)
    return person


def _people(code, client, sites, password_for, report):
    people = {}
    for spec in people_of(code):
        person = get_user_model().objects.filter(username=spec.username).first()
        if person is None:
            person = _create_person_with_role(spec, client, sites[spec.site_code], password_for(spec.username))
            report("person", f"{person} [{Role(spec.role).label}]")
        elif not person.groups.filter(name=spec.role).exists():
            _give_role(person, spec.role)
            report("role", f"{person} [{Role(spec.role).label}]")
        people[spec.key] = person
    return people


def _roster(code, people, sites, report):
    """The permit roster of the client's headquarters, appointed by the client admin."""
    for spec in people_of(code):
        if spec.appointment is None:
            continue
        person, site = people[spec.key], sites[spec.site_code]
        if not Approver.objects.filter(people=person, identifier=spec.appointment, site=site).exists():
            appointed = create_approver(author=people["admin"], people=person, identifier=spec.appointment, site=site)
            report("approver", appointed)


def _assets_and_job(code, author, client, sites, report):
    pump_type = get_or_create_type_assist(
        author=author, group_code="ASSETCATEGORY", group_name="Asset category", tacode="PUMP", taname="Pump"
    )
    hvac_type = get_or_create_type_assist(
        author=author, group_code="ASSETCATEGORY", group_name="Asset category", tacode="HVAC", taname="Air handling"
    )
    assets = {}
    for asset_code, name, category, site_code in [
        ("PUMP-01", "Chilled water pump 1", pump_type, f"{code}-HQ"),
        ("AHU-01", "Air handling unit 1", hvac_type, f"{code}-PLANT"),
    ]:
        assets[asset_code] = Asset.objects.filter(client=client, assetcode=asset_code).first()
        if assets[asset_code] is None:
            assets[asset_code] = create_asset(
                author=author, assetcode=asset_code, assetname=name, category=category, client=client,
                site=sites[site_code],
            )  # fmt: skip
            report("asset", assets[asset_code])
    if not Job.objects.filter(asset=assets["PUMP-01"], jobname="Weekly pump inspection").exists():
        start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        job = create_job(
            author=author,
            jobname="Weekly pump inspection",
            jobdesc="Check seals, vibration and bearing temperature.",
            asset=assets["PUMP-01"],
            fromdate=start,
            uptodate=start + timedelta(weeks=4),
            frequency=Job.Frequency.WEEKLY,
        )
        report("PPM job", job)
    return assets


def _work(code, people, client, sites, assets, report):
    hq = sites[f"{code}-HQ"]
    vendor = Vendor.objects.filter(client=client, code="ACME-SVC").first()
    if vendor is None:
        vendor = create_vendor(
            author=people["admin"], code="ACME-SVC", name="Acme Services", email="dispatch@acme.example", site=hq
        )
        report("vendor", vendor)
    for description, asset in [
        ("Replace the pump's mechanical seal", assets["PUMP-01"]),
        ("Clean the air handling unit's filters", assets["AHU-01"]),
    ]:
        if not WorkOrder.objects.filter(client=client, description=description).exists():
            report(
                "work order",
                create_work_order(
                    author=people["supervisor"], description=description, site=hq, vendor=vendor, asset=asset
                ),
            )
    hot_work = get_or_create_type_assist(
        author=people["supervisor"], group_code="PERMITTYPE", group_name="Permit type", tacode="HOTWORK",
        taname="Hot work",
    )  # fmt: skip
    if not WorkPermit.objects.filter(client=client, permit_type=hot_work).exists():
        permit = create_work_permit(
            author=people["tech1"],
            site=hq,
            permit_type=hot_work,
            details=PERMIT_CHECKLIST,
            remarks="Welding on the chilled water line",
        )
        report("work permit", permit)


def seed_demo(report=lambda kind, record: None, *, code=DEFAULT_CLIENT, password_for):
    """Create whatever demo data of client ``code`` is missing; ``report(kind, record)`` hears of each new record.

    ``password_for(username)`` gives the password of each demo login created.
    """
    code = client_code(code)
    client, sites = _client_and_sites(code, report)
    people = _people(code, client, sites, password_for, report)
    _roster(code, people, sites, report)
    assets = _assets_and_job(code, people["supervisor"], client, sites, report)
    _work(code, people, client, sites, assets, report)


def demo_logins(clients):
    """``(person, role label, client code)`` of every demo login of ``clients`` that exists, in roster order."""
    specs = {spec.username: (spec, client.bucode) for client in clients for spec in people_of(client.bucode)}
    found = {person.username: person for person in get_user_model().objects.filter(username__in=list(specs))}
    return [
        (found[username], Role(spec.role).label, code) for username, (spec, code) in specs.items() if username in found
    ]


def demo_clients():
    """The clients whose code is a demo client code, in code order."""
    candidates = Bt.objects.filter(identifier=Bt.Identifier.CLIENT).order_by("bucode")
    return [client for client in candidates if CLIENT_CODE_PATTERN.match(client.bucode)]
