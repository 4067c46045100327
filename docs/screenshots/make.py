"""Make the README's dashboard screenshots in headless Chromium (the browser tests' flags).

    python docs/screenshots/make.py [--store FOLDER] [--job-seekers 2000] [--replications 3]

Starts ``pilotsim dashboard`` on a free loopback port with its own results store, runs
Pirkanmaa as shipped and with caseloads 60 and 30, pins the three, and saves:

- ``headline.png``: a result at 1400 × 900 — the Run bar, the headline sentence and cards;
- ``options.png``: the three options side by side (table and chart), reloaded from the link;
- ``narrow.png``: the same result on a 400 px wide screen;
- ``dashboard_fi.png``: the page in Finnish (``?lang=fi``): build panel, headline and effects.

``--finnish-only`` makes the last one alone.

Needs Chromium (``shutil.which("chromium")``) and Playwright (``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CASELOAD = "interventions.coaching.caseload"
WAIT_MS = 600_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(store: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from simulation.cli.main import main; main()", "dashboard",
         "--port", str(port), "--workers", "2", "--store", str(store)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("the dashboard did not start")


def _run(page: Page) -> None:
    before = page.locator("#headline").inner_text() if page.locator("#headline").count() else ""
    page.click("#run")
    page.wait_for_function(
        "(before) => { const h = document.querySelector('#headline');"
        " return h && h.innerText !== before && !document.querySelector('#stale-marker'); }",
        arg=before, timeout=WAIT_MS)
    page.wait_for_timeout(800)  # let the figures draw


def _set(page: Page, path: str, value: str) -> None:
    selector = f"[id='{{\"key\":\"{path}\",\"type\":\"lever\"}}']"
    page.fill(selector, value)
    page.press(selector, "Tab")


def finnish(browser, url: str, query: str) -> None:  # noqa: ANN001 - a Playwright Browser
    """The Finnish page with a result (caseload 30), as a planner in the room sees it."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url + query + f"&{CASELOAD}=30&lang=fi")
    page.wait_for_selector("#levers .lever", timeout=60_000)
    page.wait_for_function("() => document.querySelector('#run').innerText === 'Aja'")
    _run(page)
    page.screenshot(path=str(HERE / "dashboard_fi.png"))


def make(store: Path, job_seekers: int, replications: int, finnish_only: bool = False
         ) -> None:
    process, url = _serve(store)
    query = (f"?scenario=pirkanmaa&job_seekers={job_seekers}&weeks=74"
             f"&replications={replications}")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                 args=CHROMIUM_ARGS)
            finnish(browser, url, query)
            if finnish_only:
                return
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + query)
            page.wait_for_selector("#levers .lever", timeout=60_000)
            for caseload in (None, "60", "30"):
                if caseload:
                    _set(page, CASELOAD, caseload)
                _run(page)
                page.click("#pin")
                page.wait_for_selector("#pin-info")
            page.screenshot(path=str(HERE / "headline.png"))
            link = page.url

            options = browser.new_page(viewport={"width": 1400, "height": 900})
            options.goto(link)
            options.click("#tab-options")
            options.wait_for_selector("#options-graph .ytick", timeout=WAIT_MS)
            options.wait_for_timeout(800)
            options.screenshot(path=str(HERE / "options.png"), full_page=True)

            narrow = browser.new_page(viewport={"width": 400, "height": 800})
            narrow.goto(link.split("#")[0])
            narrow.wait_for_selector("#headline", timeout=WAIT_MS)
            narrow.wait_for_timeout(800)
            narrow.screenshot(path=str(HERE / "narrow.png"))
            browser.close()
    finally:
        process.terminate()
        process.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="results store (default: a temporary one)")
    parser.add_argument("--job-seekers", type=int, default=2000)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--finnish-only", action="store_true",
                        help="make dashboard_fi.png alone")
    args = parser.parse_args()
    if args.store is not None:
        make(args.store, args.job_seekers, args.replications, args.finnish_only)
        return
    with tempfile.TemporaryDirectory() as folder:
        make(Path(folder) / "store", args.job_seekers, args.replications, args.finnish_only)


if __name__ == "__main__":
    main()
