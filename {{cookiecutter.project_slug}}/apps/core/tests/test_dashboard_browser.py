"""A real browser: a staff member signs in, reads the dashboard and follows a failure to its detail.

Runs headless Chromium from the system packages through Selenium against ``live_server``. When
Chromium is missing the test is skipped with the reason and how to install it (the run's summary
lists it); CI installs it (``.ci/run``).
The screenshot is kept in ``test-artifacts/dashboard.png`` for people to look at.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from apps.core.services import monitoring_metrics
from apps.core.services.correlation import correlation_context
from apps.core.services.transaction_manager import atomic_view_operation
from apps.core.testing import InjectedFault

from .browser import ARTIFACTS, chromium


@pytest.fixture(autouse=True)
def fresh_counts():
    """In-memory counts are per process: start and end each test without another test's."""
    monitoring_metrics.drain()
    yield
    monitoring_metrics.drain()


@pytest.fixture
def browser():
    with chromium(width=1440, height=2200) as driver:
        yield driver


@atomic_view_operation(name="apps.demo.services.create_work_permit")
def create_permit(name):
    Group.objects.create(name=name)


@atomic_view_operation(name="apps.demo.services.approve_work_permit")
def approve_permit(name, fail):
    Group.objects.create(name=name)
    if fail:
        raise InjectedFault(f"approver of {name} has left the company")


@pytest.mark.django_db(databases=["default", "monitoring"], transaction=True)
def test_staff_sees_the_status_and_charts_and_follows_a_failure_to_its_detail(live_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    monitoring_metrics.drain()
    for index in range(40):
        create_permit(f"permit {index}")
    for index in range(6):
        with correlation_context(f"req-{index:04d}-approve"):
            try:
                approve_permit(f"approval {index}", fail=index % 2 == 0)
            except InjectedFault:
                pass
    get_user_model().objects.create_user(
        username="inspector",
        password="Dashboard-pass-2024",
        peoplecode="INSP",
        peoplename="Ines Inspector",
        is_staff=True,
    )

    wait = WebDriverWait(browser, 30)
    browser.get(f"{live_server.url}/admin/transaction-health/")
    wait.until(expected_conditions.presence_of_element_located((By.ID, "id_username")))
    assert "/admin/login/" in browser.current_url
    browser.find_element(By.ID, "id_username").send_keys("inspector")
    browser.find_element(By.ID, "id_password").send_keys("Dashboard-pass-2024")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    status = wait.until(expected_conditions.presence_of_element_located((By.ID, "health-status")))
    assert browser.current_url.endswith("/admin/transaction-health/")
    # 3 failed of 46: a failure rate of 6.5 %, above the Critical threshold of 5 %.
    assert status.get_attribute("data-status") == "critical"
    assert "Critical" in status.text
    for chart in ("chart-success", "chart-failure", "chart-volume"):
        svg = browser.find_element(By.CSS_SELECTOR, f"#{chart} svg")
        assert svg.find_elements(By.CSS_SELECTOR, "path, rect"), f"{chart} drew nothing"
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-volume rect.failures")
    assert "apps.demo.services.approve_work_permit" in browser.find_element(By.ID, "top-failing").text

    ARTIFACTS.mkdir(exist_ok=True)
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1440, max(1200, min(int(height) + 40, 4000)))
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))

    link = browser.find_element(By.CSS_SELECTOR, "#recent-failures a.failure-link")
    link.click()
    detail = wait.until(expected_conditions.presence_of_element_located((By.ID, "failure-detail")))
    assert "has left the company" in detail.text
    assert "apps.demo.services.approve_work_permit" in detail.text
    assert browser.find_element(By.ID, "correlation-id").text.endswith("-approve")
    browser.save_screenshot(str(ARTIFACTS / "failure-detail.png"))
