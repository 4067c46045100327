"""Screenshot of the dashboard's provider view for the README: koko_rekry, 4,000 job seekers, 74
weeks, 5 replications, in headless Chromium. Usage: python tools/screenshot_provider_view.py
docs/screenshots/provider_view.png"""
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
store = tempfile.mkdtemp() + "/store"
server = subprocess.Popen([sys.executable, "-c", "from simulation.cli.main import main; main()",
                           "dashboard", "--port", str(port), "--workers", "2", "--store", store])
url = f"http://127.0.0.1:{port}/"
for _ in range(200):
    try:
        urllib.request.urlopen(url, timeout=2).close(); break
    except OSError:
        time.sleep(0.3)
try:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "?scenario=koko_rekry&job_seekers=4000&weeks=74&replications=5")
        page.wait_for_selector("#levers .lever", timeout=60000)
        page.click("#run")
        page.wait_for_selector("#provider-view", timeout=300000)
        page.wait_for_function("() => document.querySelector('#progress').innerText.startsWith('Done')", timeout=300000)
        page.wait_for_timeout(1500)
        page.locator("#provider-view").screenshot(path=sys.argv[1])
        b.close()
finally:
    server.terminate(); server.wait(15)
