"""Screenshot of the dashboard's provider view for the README: koko_rekry, 4,000 job seekers,
74 weeks, 5 replications, in headless Chromium.

    python tools/screenshot_provider_view.py docs/screenshots/provider_view.png
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
QUERY = "?scenario=koko_rekry&job_seekers=4000&weeks=74&replications=5"


def main(out: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = tempfile.mkdtemp() + "/store"
    server = subprocess.Popen([sys.executable, "-c",
                               "from simulation.cli.main import main; main()", "dashboard",
                               "--port", str(port), "--workers", "2", "--store", store])
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url + QUERY)
            page.wait_for_selector("#levers .lever", timeout=60_000)
            page.click("#run")
            # the full answer, not the first one: wait until the progress line says done
            page.wait_for_function("() => document.querySelector('#progress').innerText"
                                   ".startsWith('Done')", timeout=300_000)
            page.wait_for_selector("#provider-view", timeout=60_000)
            page.wait_for_timeout(1500)
            page.locator("#provider-view").screenshot(path=out)
            browser.close()
    finally:
        server.terminate()
        server.wait(15)


if __name__ == "__main__":
    main(sys.argv[1])
