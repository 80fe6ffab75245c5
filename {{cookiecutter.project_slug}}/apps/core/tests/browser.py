"""Driving Debian's Chromium from the tests: a headless browser, screenshots and an axe-core scan.

Where Chromium is missing the browser tests are skipped with the reason and how to install it (the
run's summary lists them); CI installs it (``.ci/run``).

The browser tests sign in through the real pages, click real buttons and look at what a person
sees. Screenshots go to ``test-artifacts/`` for people to look at; ``axe_violations`` runs the
vendored axe-core rules on the page in the browser and returns what is serious or critical.
"""

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]
ARTIFACTS = PROJECT_DIR / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "install them with: sudo apt-get update && sudo apt-get install -y chromium chromium-driver"
AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@contextmanager
def chromium(width=1280, height=1800):
    """A headless Chromium driven by Selenium, with a profile of its own that is removed after."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.skip(f"Chromium not available ({', '.join(missing)} missing): {INSTALL_HINT}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="browser-test-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # The console's messages (``driver.get_log("browser")``): a page the CSP blocked says so there.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver):
    """The console's errors since the last call: failed loads, scripts that threw, CSP refusals."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def axe_violations(driver):
    """The serious and critical accessibility violations of the page the browser shows now."""
    driver.execute_script(AXE_SCRIPT.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));"
    )
    if isinstance(result, str):
        raise AssertionError(f"axe-core could not run: {result}")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in result
        if v["impact"] in SERIOUS
    ]
