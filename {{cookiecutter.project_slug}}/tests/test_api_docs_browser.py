"""A real browser shows the API's Swagger UI under the project's Content-Security-Policy.

Headless Chromium (Debian's) signs in, opens ``/api/docs/`` and waits for the operations of the
schema to be drawn; the console must hold no error (a script or style the CSP refused says so
there). The screenshot is kept in ``test-artifacts/api-docs.png``.
"""

import pytest
from django.contrib.auth import get_user_model

from apps.core.tests.browser import chromium, console_errors, screenshot

pytestmark = [pytest.mark.heavy, pytest.mark.django_db(transaction=True, databases=["default", "monitoring"])]


def test_swagger_ui_renders_the_schema_without_a_csp_refusal(live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    get_user_model().objects.create_user(
        username="reader", password="a-long-reader-password", peoplecode="READ", peoplename="Reader"
    )
    with chromium() as browser:
        wait = WebDriverWait(browser, 30)
        browser.get(f"{live_server.url}/api/docs/")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "id_username")))
        browser.find_element(By.ID, "id_username").send_keys("reader")
        browser.find_element(By.ID, "id_password").send_keys("a-long-reader-password")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")) > 30)
        title = browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
        screenshot(browser, "api-docs")
        assert title.startswith("{{ cookiecutter.project_name }} API")
        paths = {e.get_attribute("data-path") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert "/api/v1/work-permits/{id}/approve/" in paths
        assert console_errors(browser) == []
