"""Screenshot of a report's executive summary (README, "Results").

    python docs/screenshots/report_summary.py pilotsim-report.html [OUT.png]

Opens the report in Debian's Chromium (headless, nothing downloaded) and saves the
``#summary`` section: the table of every comparison, the forest plot and the headline sentences.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(report: Path, out: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("#summary .js-plotly-plot", timeout=60_000)
        page.locator("#summary").screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    here = Path(__file__).parent
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2
         else here / "report_summary.png")
