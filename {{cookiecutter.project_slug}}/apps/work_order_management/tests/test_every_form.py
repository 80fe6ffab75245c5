"""Every form of the project, as a browser and as a script sees it.

An empty submission writes nothing: a browser gets the form again (400, HTML) with an error next
to each required field; a JSON caller gets 400 with the same fields. A GET shows the form.

Every edit page, submitted as it was shown with one change: an invalid value comes back in the
form (400) with the person's other input kept and the error by its field, and writes nothing; a
valid change redirects to the record (303) with a message; a JSON caller gets 200 with the keys
the creation answers with, and the new version.
"""

import pytest
from django.urls import reverse

from apps.activity.models import Asset
from apps.core.tests.forms import as_submitted

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
FORMS = [
    ("onboarding:client-create", {"bucode", "buname"}),
    ("onboarding:site-create", {"client", "bucode", "buname"}),
    ("onboarding:supertypeassist-create", {"code", "name"}),
    ("onboarding:typeassist-create", {"tatype", "tacode", "taname"}),
    ("peoples:people-create", {"username", "peoplecode", "peoplename"}),
    ("activity:asset-create", {"assetcode", "assetname"}),
    ("activity:job-create", {"jobname", "asset", "fromdate", "uptodate"}),
    ("attendance:event-create", {"event_type", "people"}),
    ("work_order_management:vendor-create", {"code", "name"}),
    ("work_order_management:workorder-create", {"description"}),
    ("work_order_management:workpermit-create", {"site", "permit_type"}),
]


@pytest.fixture
def all_rows(db):
    from django.apps import apps

    def counts():
        return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.app_label in (
            "onboarding", "peoples", "activity", "attendance", "work_order_management"
        )}  # fmt: skip

    return counts


@pytest.mark.parametrize(("name", "required"), FORMS, ids=[name for name, _ in FORMS])
def test_an_empty_form_is_shown_again_with_its_errors_and_writes_nothing(name, required, web_client, all_rows):
    url = reverse(name)
    assert web_client.get(url).status_code == 200
    before = all_rows()
    page = web_client.post(url, {}, **BROWSER)
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    form = page.context["form"]
    assert required <= set(form.errors), form.errors
    assert "This field is required." in page.content.decode()
    script = web_client.post(url, {}, HTTP_ACCEPT="application/json")
    assert script.status_code == 400
    assert required <= set(script.json()["errors"])
    assert all_rows() == before


def test_the_asset_status_form_keeps_its_input_on_a_bad_status(web_client, author):
    from apps.activity.services import create_asset

    asset = create_asset(author=author, assetcode="P-9", assetname="Pump 9")
    url = reverse("activity:asset-status", args=[asset.pk])
    page = web_client.post(url, {"status": "BROKEN", "remarks": "kept remark"}, **BROWSER)
    assert page.status_code == 400
    assert "kept remark" in page.content.decode()
    assert Asset.objects.get(pk=asset.pk).status == Asset.Status.WORKING


# Edit forms
# ------------------------------------------------------------------------------

#: Each edit page: the record it edits, a valid change, and an invalid submission as
#: ``(kept, bad)``: a change that must come back in the form, and a field with a wrong value.
EDIT_FORMS = [
    (
        "work_order_management:workorder-update", "workorder", {"description": "Change the belts too"},
        ({"description": "Kept description"}, {"plandatetime": "2031-05-02T08:00", "expirydatetime": "2031-05-01"}),
        "expirydatetime", {"number", "version"},
    ),
    (
        "work_order_management:vendor-update", "vendor", {"name": "Fix-It Group"},
        ({"name": "Kept name"}, {"code": ""}), "code", {"version"},
    ),
    (
        "peoples:people-update", "person", {"peoplename": "Pat Renamed"},
        ({"peoplename": "Kept name"}, {"email": "not an address"}), "email", set(),
    ),
    (
        "activity:asset-update", "asset", {"location": "Roof"},
        ({"location": "Kept location"}, {"assetname": ""}), "assetname", {"status", "version"},
    ),
    (
        "activity:job-update", "job", {"jobname": "Inspect and clean"},
        ({"jobname": "Kept name"}, {"uptodate": "2031-01-01T08:00"}), "uptodate", {"jobneed_count", "version"},
    ),
    (
        "onboarding:site-update", "site", {"buname": "Acme Head Office"},
        ({"buname": "Kept name"}, {"bucode": ""}), "bucode", {"version"},
    ),
    (
        "onboarding:client-update", "client", {"buname": "Acme Group"},
        ({"buname": "Kept name"}, {"bucode": ""}), "bucode", {"version"},
    ),
]  # fmt: skip
each_edit_form = pytest.mark.parametrize(
    ("name", "key", "change", "invalid", "field", "json_keys"), EDIT_FORMS, ids=[f[0] for f in EDIT_FORMS]
)


def _stored(record):
    return type(record)._base_manager.filter(pk=record.pk).values().get()


def _edit_page(web_client, name, record):
    url = reverse(name, args=[record.pk])
    page = web_client.get(url)
    assert page.status_code == 200
    return url, page


@each_edit_form
def test_an_edit_form_shows_the_record_and_its_version(
    name, key, change, invalid, field, json_keys, web_client, records
):
    record = records[key]
    _url, page = _edit_page(web_client, name, record)
    content = page.content.decode()
    if hasattr(record, "version"):
        assert f'name="version" value="{record.version}"' in content
    assert str(record) in page.context["title"]


@each_edit_form
def test_an_invalid_edit_is_shown_again_with_the_input_and_writes_nothing(
    name, key, change, invalid, field, json_keys, web_client, records, all_rows
):
    record = records[key]
    url, page = _edit_page(web_client, name, record)
    kept, bad = invalid
    before, stored = all_rows(), _stored(record)
    answer = web_client.post(url, {**as_submitted(page.context["form"]), **kept, **bad}, **BROWSER)
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("text/html")
    content = answer.content.decode()
    assert list(kept.values())[0] in content
    assert field in answer.context["form"].errors
    assert f'id="id_{field}_errors"' in content and 'aria-invalid="true"' in content
    script = web_client.post(url, {**as_submitted(page.context["form"]), **bad}, HTTP_ACCEPT="application/json")
    assert script.status_code == 400
    assert field in script.json()["errors"]
    assert (all_rows(), _stored(record)) == (before, stored)


@each_edit_form
def test_a_valid_edit_redirects_to_the_record_with_a_message(
    name, key, change, invalid, field, json_keys, web_client, records
):
    record = records[key]
    url, page = _edit_page(web_client, name, record)
    answer = web_client.post(url, {**as_submitted(page.context["form"]), **change}, **BROWSER)
    assert answer.status_code == 303, answer.content.decode()[:2000]
    assert answer["Location"] == record.get_absolute_url()
    shown = web_client.get(answer["Location"]).content.decode()
    assert "saved." in shown
    stored = _stored(record)
    assert {name: stored[name] for name in change} == change
    if "version" in stored:
        assert stored["version"] == record.version + 1


@each_edit_form
def test_a_json_caller_of_an_edit_form_gets_the_json_answer(
    name, key, change, invalid, field, json_keys, web_client, records
):
    record = records[key]
    url, page = _edit_page(web_client, name, record)
    answer = web_client.post(url, {**as_submitted(page.context["form"]), **change}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"pk", "uuid", *json_keys}
    assert (body["pk"], body["uuid"]) == (record.pk, str(record.uuid))
