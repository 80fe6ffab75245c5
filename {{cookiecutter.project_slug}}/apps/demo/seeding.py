"""Demo data, made through the same service functions users go through.

Every record has a natural key (a code) and is only created when missing, so running the
seeding again changes nothing. Each record is its own operation with its own transaction, as
it would be in use: an interrupted run leaves whole records, and the next run completes it.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.activity.models import Asset, Job
from apps.activity.services import create_asset, create_job
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

CLIENT_CODE = "DEMO"
PEOPLE = [
    # username, code, name, site code, role
    ("demo.supervisor", "DEMO-SUP", "Sam Supervisor", "DEMO-HQ", "APPROVER"),
    ("demo.verifier", "DEMO-VER", "Vera Verifier", "DEMO-HQ", "VERIFIER"),
    ("demo.tech1", "DEMO-T1", "Tara Technician", "DEMO-HQ", None),
    ("demo.tech2", "DEMO-T2", "Theo Technician", "DEMO-PLANT", None),
]
PERMIT_CHECKLIST = [
    {"question": "Area isolated and signposted?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True},
    {"question": "Fire extinguisher within 10 m?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True},
    {"question": "Gas test reading (ppm)", "answertype": "NUMERIC", "answer": "0", "ismandatory": True},
]


def _client_and_sites(report):
    client = Bt.objects.filter(bucode=CLIENT_CODE).first()
    if client is None:
        client = create_client(author=None, bucode=CLIENT_CODE, buname="Demo Facilities")
        report("client", client)
    sites = {}
    for code, name in [("DEMO-HQ", "Demo Headquarters"), ("DEMO-PLANT", "Demo Plant")]:
        sites[code] = Bt.objects.filter(bucode=code).first()
        if sites[code] is None:
            sites[code] = create_site(author=None, client=client, bucode=code, buname=name)
            report("site", sites[code])
    return client, sites


def _people(client, sites, report):
    people = {}
    for username, code, name, site_code, _role in PEOPLE:
        person = get_user_model().objects.filter(username=username).first()
        if person is None:
            person = create_person(
                author=None,
                username=username,
                peoplecode=code,
                peoplename=name,
                email=f"{username}@example.com",
                client=client,
                site=sites[site_code],
            )
            report("person", person)
        people[username] = person
    return people


def _approvers(people, sites, report):
    for username, _code, _name, site_code, role in PEOPLE:
        if role is None:
            continue
        person = people[username]
        if not Approver.objects.filter(people=person, identifier=role, site=sites[site_code]).exists():
            report("approver", create_approver(author=None, people=person, identifier=role, site=sites[site_code]))


def _assets_and_job(author, client, sites, report):
    pump_type = get_or_create_type_assist(
        author=author, group_code="ASSETCATEGORY", group_name="Asset category", tacode="PUMP", taname="Pump"
    )
    hvac_type = get_or_create_type_assist(
        author=author, group_code="ASSETCATEGORY", group_name="Asset category", tacode="HVAC", taname="Air handling"
    )
    assets = {}
    for code, name, category, site_code in [
        ("PUMP-01", "Chilled water pump 1", pump_type, "DEMO-HQ"),
        ("AHU-01", "Air handling unit 1", hvac_type, "DEMO-PLANT"),
    ]:
        assets[code] = Asset.objects.filter(client=client, assetcode=code).first()
        if assets[code] is None:
            assets[code] = create_asset(
                author=author, assetcode=code, assetname=name, category=category, client=client, site=sites[site_code]
            )
            report("asset", assets[code])
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


def _work(author, client, sites, assets, report, permit_author):
    vendor = Vendor.objects.filter(client=client, code="ACME-SVC").first()
    if vendor is None:
        vendor = create_vendor(
            author=author, code="ACME-SVC", name="Acme Services", email="dispatch@acme.example", site=sites["DEMO-HQ"]
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
                    author=author, description=description, site=sites["DEMO-HQ"], vendor=vendor, asset=asset
                ),
            )
    hot_work = get_or_create_type_assist(
        author=author, group_code="PERMITTYPE", group_name="Permit type", tacode="HOTWORK", taname="Hot work"
    )
    if not WorkPermit.objects.filter(client=client, permit_type=hot_work).exists():
        permit = create_work_permit(
            author=permit_author,  # a technician raises it; the supervisor, its approver, decides
            site=sites["DEMO-HQ"],
            permit_type=hot_work,
            details=PERMIT_CHECKLIST,
            remarks="Welding on the chilled water line",
        )
        report("work permit", permit)


def seed_demo(report=lambda kind, record: None):
    """Create whatever demo data is missing; ``report(kind, record)`` is told of each new record."""
    client, sites = _client_and_sites(report)
    people = _people(client, sites, report)
    _approvers(people, sites, report)
    author = people["demo.supervisor"]
    assets = _assets_and_job(author, client, sites, report)
    _work(author, client, sites, assets, report, people["demo.tech1"])
