"""End-to-end: the workshop dashboard in real headless Chromium.

A ``pilotsim dashboard`` server runs in a subprocess on 127.0.0.1 (a free port, a temporary
results store, two workers); Playwright drives Debian's Chromium. Skipped when Chromium or
Playwright is missing, unless CI is "true", where that is a failure.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).parent / "artifacts"
RUN_TIMEOUT_MS = 180_000


def _missing() -> str | None:
    if shutil.which("chromium") is None:
        return "chromium is not installed (apt-get install -y chromium)"
    try:
        import dash  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"{error.name} is not installed (pip install -e '.[test]')"
    return None


_reason = _missing()
if _reason is not None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {_reason}", pytrace=False)
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dashboard_server(tmp_path_factory, name: str, env: dict[str, str] | None = None):
    """A ``pilotsim dashboard`` on a free loopback port with its own temporary store: yields
    its URL, stops it afterwards (shared by the browser test modules)."""
    store = tmp_path_factory.mktemp(name)
    port = _free_port()
    command = [sys.executable, "-c", "from simulation.cli.main import main; main()", "dashboard",
               "--port", str(port), "--workers", "2", "--store", str(store)]
    log = (store.parent / "server.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               cwd=str(store.parent), env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("dashboard did not start: "
                               + (store.parent / "server.log").read_text()[-2000:])
        time.sleep(0.3)
    yield url
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from dashboard_server(tmp_path_factory, "dashboard-store")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, url: str) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#levers .lever", timeout=60_000)
    return page


def _lever(path: str) -> str:
    return "[id='" + json.dumps({"key": path, "type": "lever"}, separators=(",", ":")) + "']"


def _set(page: Page, selector: str, value: str) -> None:
    page.fill(selector, value)
    page.press(selector, "Tab")  # inputs are debounced: the value counts on blur


def _small_run(page: Page) -> None:
    _set(page, "#job_seekers", "600")
    _set(page, "#weeks", "10")
    _set(page, "#replications", "2")


def _table(page: Page) -> list[list[str]]:
    rows = page.locator("#effects-table tbody tr")
    out = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        if cells.count():
            out.append([cells.nth(j).inner_text().strip() for j in range(cells.count())])
    return out


def _table_text(page: Page) -> str:
    table = page.locator("#effects-table tbody")
    return table.inner_text() if table.count() else ""


def _wait_changed(page: Page, before: str) -> str:
    # the cards and the effects table are separate outputs: wait until both show the new run
    table_before = _table_text(page)
    page.wait_for_function(
        "([before, tableBefore]) => { const k = document.querySelector('#kpis');"
        " const t = document.querySelector('#effects-table tbody');"
        " return k && k.innerText.trim() !== '' && k.innerText !== before"
        " && t !== null && t.querySelector('td') !== null && t.innerText !== tableBefore; }",
        arg=[before, table_before], timeout=RUN_TIMEOUT_MS)
    return page.inner_text("#kpis")


def test_page_loads_with_levers_units_and_sources(server, browser) -> None:
    page = _page(browser, server)
    expect(page).to_have_title("pilotsim workshop")
    caseload = page.locator(".lever", has=page.locator(
        _lever("interventions.coaching.caseload")))
    expect(caseload).to_contain_text("clients/coach")
    expect(caseload).to_contain_text("range 1–1,000")
    expect(caseload).to_contain_text("source: assumption")
    page.get_by_text("Calibration", exact=True).click()
    expect(page.locator("#calibration-report, #calibration-targets")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard_calibration.png"))
    page.context.close()


def test_run_compare_share_and_download(server, browser) -> None:
    page = _page(browser, server)
    _small_run(page)
    page.click("#run")
    first = _wait_changed(page, "")
    first_table = _table(page)
    assert first_table and first_table[0][0] == "Placements"
    expect(page.locator("#reliability-warning").first).to_contain_text("Only 2 replications")

    # a lever changes the shown numbers
    _set(page, _lever("interventions.coaching.caseload"), "30")
    page.click("#run")
    second = _wait_changed(page, first)
    assert second != first
    expect(page).to_have_url(re.compile(r"interventions\.coaching\.caseload=30"))
    shown = _table(page)
    assert shown != first_table

    # the shared link restores the same view in a fresh page
    fresh = _page(browser, page.url)
    fresh.wait_for_selector("#effects-table", timeout=RUN_TIMEOUT_MS)
    assert fresh.inner_text("#kpis") == second
    assert _table(fresh) == shown
    expect(fresh.locator(_lever("interventions.coaching.caseload"))).to_have_value("30")
    expect(fresh.locator("#replications")).to_have_value("2")
    fresh.context.close()

    # the CSV stands alone: named by scenario, lever and run; a '#' block with the settings,
    # seed, code version and link; the shown effects as numbers, not as formatted text
    with page.expect_download() as download:
        page.click("#download-csv-button")
    name = download.value.suggested_filename
    assert re.fullmatch(r"pilotsim-pirkanmaa-caseload30-[0-9a-f]{8}-target\.csv", name), name
    text = Path(download.value.path()).read_text(encoding="utf-8")
    block = [line for line in text.splitlines() if line.startswith("#")]
    assert text.startswith("# ") and len(block) >= 6
    settings = "\n".join(block)
    for fragment in ("job_seekers=600", "weeks=10", "replications=2", "seed: 2017",
                     "interventions.coaching.caseload=30", "code version: ",
                     "link: " + page.url):
        assert fragment in settings, fragment
    rows = list(csv.DictReader(io.StringIO("\n".join(
        line for line in text.splitlines() if not line.startswith("#")))))
    effects = [r for r in rows if r["table"] == "effects"]
    assert [r["label"] for r in effects] == [row[0] for row in shown]
    for row, on_page in zip(effects, shown, strict=True):
        for column, cell in zip(("effect", "ci95_low", "ci95_high"), on_page[4:7],
                                strict=True):
            if row[column] == "":  # no number (no interval): the page shows a dash
                assert cell == "–", (row["label"], column)
                continue
            number = float(row[column])  # a number, whatever the page's formatting
            if cell.endswith(" M"):
                assert number / 1e6 == pytest.approx(float(cell[:-2].replace(",", "")),
                                                     abs=0.006)
            elif cell not in ("–", ""):
                places = len(cell.split(".")[1]) if "." in cell else 0
                assert number == pytest.approx(float(cell.replace(",", "")),
                                               abs=0.51 * 10 ** -places)

    with page.expect_download() as download:
        page.click("#download-series-button")
    figure = Path(download.value.path()).read_bytes()
    name = download.value.suggested_filename
    # a PNG where kaleido's Chromium answers in time; otherwise (a loaded machine) a small page
    # that loads the server's one plotly.js instead of embedding 4.8 MB of it
    if name.endswith(".png"):
        assert figure[:8] == b"\x89PNG\r\n\x1a\n", name
    else:
        assert name.endswith(".html") and len(figure) < 500_000, (name, len(figure))
        assert b"/pilotsim/plotly.min.js" in figure, name

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard_compare.png"), full_page=True)
    page.context.close()


def test_koko_rekry_levers_show_its_own_contract_and_its_provider_view(server,
                                                                        browser) -> None:
    page = _page(browser, server + "?scenario=koko_rekry&job_seekers=1500&weeks=40"
                                    "&replications=2")
    placement = _lever("contract.outcome_fees.placement")
    expect(page.locator(placement)).to_have_value("2000")
    expect(page.locator("#contract-summary")).to_contain_text("2,000 € per placement")
    expect(page.locator("#contract-summary")).to_contain_text("no base fee")
    expect(page.locator(_lever("contract.base_share"))).to_have_count(0)
    page.click("#run")
    page.wait_for_selector("#provider-view", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#provider-headline")).to_contain_text("The contract asked for 1,000")
    expect(page.locator("#provider-table")).to_contain_text("Deadweight share")
    expect(page.locator("#provider-table")).to_contain_text("Creaming gap in the baseline")
    expect(page.locator("#provider-table")).to_contain_text("left in losses")
    expect(page.locator("#provider-profit-graph .main-svg").first).to_be_visible()
    expect(page.locator("#firm-table")).to_contain_text("Jobs created")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#provider-view").screenshot(path=str(ARTIFACTS / "provider_view.png"))
    # the generic blend is a template one picks: its levers replace the pilot's on request
    page.click("[id='" + json.dumps({"key": "contract.template", "type": "lever"},
                                    separators=(",", ":")) + "']")
    page.get_by_text("Generic outsourcing (planner-set blend)", exact=True).click()
    expect(page.locator(_lever("contract.base_share"))).to_have_value("0.4")
    expect(page.locator(placement)).to_have_count(0)
    page.context.close()


@pytest.mark.parametrize("query, message", [
    ("?scenario=../../etc/passwd&job_seekers=1000", "unknown scenario"),
    ("?scenario=pirkanmaa&job_seekers=5000000", "Job seekers must be between"),
    ("?scenario=pirkanmaa&replications=1000", "Replications must be between"),
    ("?scenario=pirkanmaa&interventions.coaching.caseload=1e9", "Caseload must be between"),
    ("?scenario=pirkanmaa&exec=print(1)", "is not a lever"),
])
def test_bad_links_show_a_message_and_the_server_stays_healthy(server, browser, query,
                                                               message) -> None:
    page = _page(browser, server + query)
    expect(page.locator("#link-error")).to_contain_text(message)
    with urllib.request.urlopen(server, timeout=5) as response:
        assert response.status == 200
    page.context.close()


def test_out_of_range_lever_is_refused_with_a_message(server, browser) -> None:
    page = _page(browser, server)
    _set(page, "#job_seekers", "90000")
    page.click("#run")
    expect(page.locator("#run-error")).to_contain_text("Job seekers must be between")
    _set(page, "#job_seekers", "600")
    _set(page, _lever("interventions.coaching.caseload"), "-3")
    page.click("#run")
    expect(page.locator("#run-error")).to_contain_text("Caseload")
    page.context.close()
