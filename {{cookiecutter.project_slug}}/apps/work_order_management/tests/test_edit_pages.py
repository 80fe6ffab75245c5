"""Edit pages: who is offered them, what an edit writes, and a form kept open while someone saved.

Each record's page links to its edit page only for those whose role may edit it (the roles of
the API's PATCH; clients: platform staff only). An edit hands the service only the fields the
person changed, and the version the form was shown with: a second edit from the same version
is refused (409) with what is saved now beside the person's own input.
"""

import datetime

import pytest
from django.urls import reverse

from apps.activity.services import create_job
from apps.core.tests.forms import BROWSER, as_submitted
from apps.work_order_management.models import WorkOrderHistory

#: kind: (the record's page, its edit page)
PAGES = {
    "workorder": ("work_order_management:workorder-detail", "work_order_management:workorder-update"),
    "vendor": ("work_order_management:vendor-detail", "work_order_management:vendor-update"),
    "person": ("peoples:people-detail", "peoples:people-update"),
    "asset": ("activity:asset-detail", "activity:asset-update"),
    "job": ("activity:job-detail", "activity:job-update"),
    "site": ("onboarding:businessunit-detail", "onboarding:site-update"),
    "client": ("onboarding:businessunit-detail", "onboarding:client-update"),
}
#: role: the kinds of record it may edit
EDITS = {
    "technician": set(),
    "supervisor": {"workorder", "asset", "job"},
    "client_admin": {"vendor", "person", "site"},
}


@pytest.mark.parametrize("role", sorted(EDITS))
def test_a_record_page_offers_its_edit_page_only_to_whom_may_edit_it(role, client, member, records):
    client.force_login(member(role))
    for kind, (detail, update) in PAGES.items():
        record = records[kind]
        edit_url = reverse(update, args=[record.pk])
        page = client.get(reverse(detail, args=[record.pk])).content.decode()
        may_edit = kind in EDITS[role]
        assert (f'href="{edit_url}"' in page) is may_edit, (role, kind)
        assert client.get(edit_url).status_code == (200 if may_edit else 403), (role, kind)


def test_platform_staff_are_offered_every_edit_page(web_client, records):
    for kind, (detail, update) in PAGES.items():
        record = records[kind]
        page = web_client.get(reverse(detail, args=[record.pk])).content.decode()
        assert f'href="{reverse(update, args=[record.pk])}"' in page, kind


def test_a_site_edit_page_never_reaches_a_client_nor_a_client_edit_page_a_site(web_client, client_bt, site_bt):
    assert web_client.get(reverse("onboarding:site-update", args=[client_bt.pk])).status_code == 404
    assert web_client.get(reverse("onboarding:client-update", args=[site_bt.pk])).status_code == 404


def test_a_work_order_edit_writes_only_the_field_that_changed(web_client, records):
    workorder = records["workorder"]
    url = reverse("work_order_management:workorder-update", args=[workorder.pk])
    shown = as_submitted(web_client.get(url).context["form"])
    answer = web_client.post(url, {**shown, "description": "Change the belts too"}, **BROWSER)
    assert answer.status_code == 303
    entry = workorder.history.order_by("pk").last()
    assert entry.action == WorkOrderHistory.Action.UPDATED
    assert entry.snapshot == {"description": ["Replace the filters", "Change the belts too"]}


def test_a_time_shown_to_the_minute_is_kept_to_the_second_when_another_field_changes(web_client, author, records):
    start = datetime.datetime(2031, 3, 3, 8, 0, 37, tzinfo=datetime.UTC)
    job = create_job(
        author=author, jobname="Grease", asset=records["asset"], fromdate=start, uptodate=start + datetime.timedelta(7)
    )
    url = reverse("activity:job-update", args=[job.pk])
    shown = as_submitted(web_client.get(url).context["form"])
    assert shown["fromdate"].endswith("08:00")
    answer = web_client.post(url, {**shown, "jobname": "Grease the bearings"}, **BROWSER)
    assert answer.status_code == 303
    job.refresh_from_db()
    assert (job.jobname, job.fromdate) == ("Grease the bearings", start)


#: kind, edit page, a text field both edits change
STALE = [
    ("workorder", "work_order_management:workorder-update", "description"),
    ("asset", "activity:asset-update", "location"),
    ("job", "activity:job-update", "jobname"),
    ("site", "onboarding:site-update", "buname"),
    ("client", "onboarding:client-update", "buname"),
]


@pytest.mark.parametrize(("kind", "name", "field"), STALE, ids=[kind for kind, *_ in STALE])
def test_a_second_edit_from_the_same_version_shows_what_is_saved_now_and_keeps_the_first(
    kind, name, field, web_client, records
):
    record = records[kind]
    url = reverse(name, args=[record.pk])
    shown = as_submitted(web_client.get(url).context["form"])  # two people open the same form
    first = web_client.post(url, {**shown, field: "First edit"}, **BROWSER)
    assert first.status_code == 303

    second = web_client.post(url, {**shown, field: "Second edit"}, **BROWSER)

    assert second.status_code == 409
    page = second.content.decode()
    assert "What is saved now" in page and "Second edit" in page
    assert "First edit" in [value for _label, value in second.context["current_values"]]
    assert f'name="version" value="{record.version + 1}"' in page  # saving again is a deliberate overwrite
    stored = type(record)._base_manager.get(pk=record.pk)
    assert (getattr(stored, field), stored.version) == ("First edit", record.version + 1)


def test_what_is_saved_now_is_shown_as_a_person_reads_it(web_client, records):
    workorder = records["workorder"]
    url = reverse("work_order_management:workorder-update", args=[workorder.pk])
    shown = as_submitted(web_client.get(url).context["form"])
    assert web_client.post(url, {**shown, "priority": "HIGH"}, **BROWSER).status_code == 303

    stale = web_client.post(url, {**shown, "description": "Too late"}, **BROWSER)

    assert stale.status_code == 409
    current = dict(stale.context["current_values"])
    assert (current["Priority"], current["Vendor"]) == ("High", workorder.vendor)


def test_a_person_renamed_on_the_edit_page_keeps_the_profile_the_form_did_not_touch(
    web_client, author, client_bt, site_bt
):
    from apps.peoples.services import create_person

    person = create_person(
        author=author, username="gil", peoplecode="GIL01", peoplename="Gil", client=client_bt, site=site_bt,
        gender="F", dateofbirth=datetime.date(1990, 4, 1), location="Plant room",
    )  # fmt: skip
    url = reverse("peoples:people-update", args=[person.pk])
    shown = as_submitted(web_client.get(url).context["form"])
    assert (shown["gender"], shown["dateofbirth"], shown["location"]) == (["F"], "1990-04-01", "Plant room")

    answer = web_client.post(url, {**shown, "peoplename": "Gil Renamed"}, **BROWSER)

    assert answer.status_code == 303, answer.content.decode()[:2000]
    person.refresh_from_db()
    person.profile.refresh_from_db()
    person.organizational.refresh_from_db()
    assert person.peoplename == "Gil Renamed"
    assert (person.profile.gender, person.profile.dateofbirth) == ("F", datetime.date(1990, 4, 1))
    assert person.organizational.location == "Plant room"
