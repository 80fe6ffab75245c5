"""A facility team's day in a real browser: every person signs in on the sign-in page and does their job.

A technician checks in, starts and completes a job need and raises a permit with three checklist
rows; its verifier verifies it; its approver approves it; a supervisor raises a work order,
edits it, dispatches it and completes it; a person of client A opens every list and sees nothing of client
B. Every page reached is scanned with axe-core (no serious or critical violation) and kept as a
screenshot in ``test-artifacts/``.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from apps.activity.models import Job, Jobneed
from apps.activity.services import create_asset, create_job
from apps.core.access.roles import Role
from apps.core.tests.browser import axe_violations, chromium, screenshot
from apps.core.tests.pages import list_page_names
from apps.onboarding.models import Bt
from apps.onboarding.services import create_client, create_site, get_or_create_type_assist
from apps.peoples.services import create_person
from apps.work_order_management.models import Approver, WorkOrder, WorkPermit
from apps.work_order_management.services import create_approver, create_vendor, create_work_order

pytestmark = [pytest.mark.heavy, pytest.mark.django_db(transaction=True, databases=["default", "monitoring"])]

PASSWORD = "a long demo passphrase 2026"


def _person(username, name, client, site, **extra):
    return create_person(
        author=None, username=username, peoplecode=username.upper(), peoplename=name, password=PASSWORD,
        email=f"{username}@example.com", client=client, site=site, **extra,
    )  # fmt: skip


@pytest.fixture
def team(db):
    """Client A with its team and records, and client B with records A must never see."""
    client_a = create_client(author=None, bucode="ACME", buname="Acme Facilities")
    site_a = create_site(author=None, client=client_a, bucode="ACME-HQ", buname="Acme HQ")
    people = {
        "tech": _person("tess", "Tess Technician", client_a, site_a),
        "verifier": _person("vera", "Vera Verifier", client_a, site_a),
        "approver": _person("arno", "Arno Approver", client_a, site_a),
        "supervisor": _person("sam", "Sam Supervisor", client_a, site_a),
    }
    for role, name in [(Role.TECHNICIAN, "tech"), (Role.TECHNICIAN, "verifier"), (Role.SUPERVISOR, "supervisor")]:
        people[name].groups.add(Group.objects.get(name=role))
    people["approver"].groups.add(Group.objects.get(name=Role.SUPERVISOR))
    admin = None  # the system seeds the rest, as a command would
    create_approver(author=admin, people=people["verifier"], identifier=Approver.Identifier.VERIFIER, site=site_a)
    create_approver(author=admin, people=people["approver"], identifier=Approver.Identifier.APPROVER, site=site_a)
    get_or_create_type_assist(
        author=admin, group_code="PERMITTYPE", group_name="Permit type", tacode="HOT", taname="Hot work"
    )
    create_vendor(author=admin, code="FIXIT", name="Fix-It Ltd", email="jobs@fixit.example", site=site_a)
    asset = create_asset(author=admin, assetcode="AHU-1", assetname="Air handler 1", site=site_a)
    start = timezone.now() + timedelta(hours=1)
    create_job(
        author=admin, jobname="Inspect the air handler", asset=asset, people=people["tech"],
        frequency=Job.Frequency.DAILY, fromdate=start, uptodate=start + timedelta(days=2),
    )  # fmt: skip

    client_b = create_client(author=None, bucode="BETA", buname="Beta Buildings")
    site_b = create_site(author=None, client=client_b, bucode="BETA-SECRET-SITE", buname="Beta secret site")
    stranger = _person("bert", "Bert of Beta", client_b, site_b)
    create_vendor(author=None, code="BETA-VENDOR", name="Beta secret vendor", site=site_b)
    create_asset(author=None, assetcode="BETA-ASSET", assetname="Beta secret asset", site=site_b)
    create_work_order(author=stranger, description="Beta secret work order", site=site_b)
    return people


def _replaced(element):
    """A wait condition: ``element``'s page is gone. Chromium may answer a look at an element of the
    page being replaced with "does not belong to the document" rather than "stale": both mean gone."""

    def gone(driver):
        try:
            element.is_enabled()
        except WebDriverException:
            return True
        return False

    return gone


class Visit:
    """One person's browser session: pages are opened, checked with axe-core and photographed."""

    def __init__(self, driver, live_server, person):
        self.driver, self.base, self.person, self.problems = driver, live_server.url, person, []

    def open(self, path):
        self.driver.get(self.base + path)
        self.check(path)

    def check(self, label):
        name = f"{self.person.username}-{label.strip('/').replace('/', '-') or 'home'}"
        screenshot(self.driver, name)
        self.problems += [f"{label}: {problem}" for problem in axe_violations(self.driver)]

    def sign_in(self):
        self.driver.delete_all_cookies()
        self.open("/accounts/login/")
        self.driver.find_element(By.NAME, "username").send_keys(self.person.username)
        self.driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        assert "Your day" in self.driver.page_source, self.driver.page_source[:2000]
        self.check("/")

    def click(self, text):
        target = f"//main//button[normalize-space()='{text}'] | //main//a[normalize-space()='{text}']"
        self.submit(self.driver.find_element(By.XPATH, target))
        self.check(self.driver.current_url.removeprefix(self.base))

    def submit(self, element):
        """Click ``element`` and wait until the next page has replaced this one."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 30).until(_replaced(page))

    def follow(self, link_text):
        self.submit(self.driver.find_element(By.PARTIAL_LINK_TEXT, link_text))
        self.check(self.driver.current_url.removeprefix(self.base))

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "main").text


def test_a_facility_teams_day_in_the_browser(live_server, team):
    with chromium() as driver:
        problems = []

        tech = Visit(driver, live_server, team["tech"])
        tech.sign_in()
        assert "you are not checked in" in tech.text()
        tech.click("Check in")
        Select(driver.find_element(By.NAME, "event_type")).select_by_value("CHECKIN")
        Select(driver.find_element(By.NAME, "people")).select_by_visible_text(str(team["tech"]))
        tech.click("Save")
        assert "created" in tech.text()
        tech.open("/")
        assert "checked in since" in tech.text()

        tech.follow("Inspect the air handler")
        tech.click("Start")
        tech.click("Complete")
        assert Jobneed.objects.filter(jobstatus=Jobneed.Status.COMPLETED, performedby=team["tech"]).count() == 1

        tech.open("/work-orders/permits/new/")
        driver.find_element(By.NAME, "checklist-0-question").send_keys("Kept while a row is added")
        driver.find_element(By.XPATH, "//button[normalize-space()='Add a question']").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.NAME, "checklist-3-question"))
        first_question = driver.find_element(By.NAME, "checklist-0-question")
        assert first_question.get_attribute("value") == "Kept while a row is added"
        first_question.clear()
        Select(driver.find_element(By.NAME, "site")).select_by_visible_text("Acme HQ (ACME-HQ)")
        Select(driver.find_element(By.NAME, "permit_type")).select_by_index(1)
        for index, (question, answertype, answer) in enumerate(
            [("Area isolated?", "CHECKBOX", "true"), ("Gas reading (ppm)", "NUMERIC", "2"), ("Notes", "TEXT", "none")]
        ):
            driver.find_element(By.NAME, f"checklist-{index}-question").send_keys(question)
            Select(driver.find_element(By.NAME, f"checklist-{index}-answertype")).select_by_value(answertype)
            driver.find_element(By.NAME, f"checklist-{index}-answer").send_keys(answer)
        tech.click("Raise the permit")
        permit = WorkPermit.objects.get()
        assert permit.details.count() == 3 and permit.permit_name in tech.text()

        for name in list_page_names():
            tech.open(reverse(name))
            assert "Beta" not in driver.page_source and "BETA" not in driver.page_source, name
        problems += tech.problems

        verifier = Visit(driver, live_server, team["verifier"])
        verifier.sign_in()
        assert "Permits waiting for you" in verifier.text()
        verifier.follow(permit.permit_name)
        verifier.click("Verify")
        problems += verifier.problems

        approver = Visit(driver, live_server, team["approver"])
        approver.sign_in()
        approver.follow(permit.permit_name)
        approver.click("Approve")
        assert WorkPermit.objects.get().status == WorkPermit.Status.APPROVED
        assert "Approved" in approver.text()
        problems += approver.problems

        supervisor = Visit(driver, live_server, team["supervisor"])
        supervisor.sign_in()
        supervisor.open("/activity/assets/")
        page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.NAME, "q").send_keys("no such asset")
        WebDriverWait(driver, 20).until(lambda d: "Nothing to show" in d.find_element(By.ID, "results").text)
        assert driver.find_element(By.TAG_NAME, "html") == page, "the list was filtered in place, not reloaded"
        assert "q=no%20such%20asset" in driver.current_url
        supervisor.open("/work-orders/new/")
        driver.find_element(By.NAME, "description").send_keys("Replace the filters of AHU-1")
        Select(driver.find_element(By.NAME, "vendor")).select_by_visible_text("Fix-It Ltd (FIXIT)")
        Select(driver.find_element(By.NAME, "priority")).select_by_value("HIGH")
        supervisor.click("Save")
        order = WorkOrder.objects.get(description="Replace the filters of AHU-1")
        assert order.number in supervisor.text()
        supervisor.click("Edit")
        description = driver.find_element(By.NAME, "description")
        description.clear()
        description.send_keys("Replace the filters and the belts of AHU-1")
        supervisor.click("Save")
        assert f"Work order “{order.number}” saved." in supervisor.text()
        assert WorkOrder.objects.get(pk=order.pk).description == "Replace the filters and the belts of AHU-1"
        supervisor.click("Dispatch to Fix-It Ltd (FIXIT)")
        supervisor.click("Mark in progress")
        supervisor.click("Mark completed")
        assert WorkOrder.objects.get(pk=order.pk).workstatus == WorkOrder.WorkStatus.COMPLETED
        assert [row.action for row in order.history.order_by("at", "pk")][-1] == "STATUS_CHANGED"
        problems += supervisor.problems

        assert problems == []
        assert not Bt.objects.filter(bucode="BETA-SECRET-SITE", parent__bucode="ACME").exists()
