"""Every admin changelist runs the same number of queries for a few rows and for many.

The data is made through the services, so every table an admin lists has rows: people,
clients and sites, type assists, assets and their log, jobs and job needs, attendance, vendors,
approvers, work orders and their history, permits with approvals and checklist answers.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.activity.services import create_asset, create_job
from apps.attendance.services import check_in
from apps.onboarding.services import create_site, get_or_create_type_assist
from apps.peoples.services import create_person
from apps.work_order_management.models import Approver
from apps.work_order_management.services import create_approver, create_vendor, create_work_order, create_work_permit

CHECKLIST = [{"question": "Isolated?", "answertype": "CHECKBOX", "answer": "true", "ismandatory": True}]


def _grow(author, client_bt, start, count):
    """Add ``count`` of every kind of record, numbered from ``start``."""
    category = get_or_create_type_assist(
        author=author, group_code="ASSETCATEGORY", group_name="Asset category", tacode="PUMP", taname="Pump"
    )
    permit_type = get_or_create_type_assist(
        author=author, group_code="PERMITTYPE", group_name="Permit type", tacode="HOT", taname="Hot work"
    )
    for n in range(start, start + count):
        site = create_site(author=author, client=client_bt, bucode=f"S{n}", buname=f"Site {n}")
        person = create_person(
            author=author, username=f"p{n}", peoplecode=f"P{n}", peoplename=f"Person {n}", client=client_bt, site=site
        )
        verifier = create_person(
            author=author, username=f"v{n}", peoplecode=f"V{n}", peoplename=f"Verifier {n}", client=client_bt, site=site
        )
        create_approver(author=author, people=person, identifier=Approver.Identifier.APPROVER, site=site)
        create_approver(author=author, people=verifier, identifier=Approver.Identifier.VERIFIER, site=site)
        asset = create_asset(author=author, assetcode=f"A{n}", assetname=f"Asset {n}", category=category, site=site)
        start_at = timezone.now() + timedelta(days=1)
        create_job(
            author=author, jobname=f"Job {n}", asset=asset, people=person, fromdate=start_at,
            uptodate=start_at + timedelta(days=14),
        )  # fmt: skip
        vendor = create_vendor(author=author, code=f"VEN{n}", name=f"Vendor {n}")
        create_work_order(author=author, description=f"Order {n}", vendor=vendor, asset=asset, site=site)
        create_work_permit(author=author, site=site, permit_type=permit_type, details=CHECKLIST)
        check_in(author=author, people=person)


def _changelist_queries(admin_client):
    counts = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(captured)
    return counts


@pytest.mark.django_db(databases=["default", "monitoring"])
def test_every_admin_changelist_runs_the_same_queries_for_2_and_12_records(client, author, client_bt):
    author.is_superuser = True
    author.save(update_fields=["is_superuser"])
    client.force_login(author)
    _grow(author, client_bt, 1, 2)
    few = _changelist_queries(client)
    _grow(author, client_bt, 3, 10)
    many = _changelist_queries(client)
    grew = {url: (few[url], many[url]) for url in few if many[url] != few[url]}
    assert grew == {}, f"changelists whose queries grow with their rows (2 rows, 12 rows): {grew}"
