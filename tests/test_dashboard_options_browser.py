"""Issue 18 in real headless Chromium: options pinned and compared side by side (restored from
the link), the headline sentence with euros and payers, the out-of-date marker, the layout on
a laptop and on a 400 px phone, and keyboard-reachable tabs.

Uses the server, browser and helpers of ``test_dashboard_browser`` (its own server instance:
module-scoped fixtures) and small runs: 600 job seekers, 10 weeks, 2 replications.
"""

from __future__ import annotations

import re

import tests.test_dashboard_browser as shared  # skips this module too without Chromium
from simulation.engine.catalogue import CATALOGUE
from tests.test_dashboard_browser import RUN_TIMEOUT_MS, _lever, _set

Page, expect = shared.Page, shared.expect  # Playwright, once the shared module found it
# the same module-scoped fixtures: a server and a browser of this module's own
server = shared.server
browser = shared.browser

SMALL = "?scenario=pirkanmaa&job_seekers=600&weeks=10&replications=2"
CASELOAD = "interventions.coaching.caseload"


def _open(browser, url: str, width: int = 1400, height: int = 900) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(url)
    page.wait_for_selector("#levers .lever", timeout=60_000)
    return page


def _run_and_wait(page: Page) -> str:
    before = page.locator("#headline").inner_text() if page.locator("#headline").count() else ""
    page.click("#run")
    # a new headline, or the same one when the link's result was already shown and the store
    # serves the run again (the headline then need not change)
    page.wait_for_function(
        "(before) => { const h = document.querySelector('#headline');"
        " const served = document.querySelector('#run-info');"
        " return h && !document.querySelector('#stale-marker') && (h.innerText !== before"
        " || (served && served.innerText.includes('Served from the results store'))); }",
        arg=before, timeout=RUN_TIMEOUT_MS)
    return page.inner_text("#headline")


def _in_view(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (box is not None and box["width"] > 0 and box["y"] >= 0
            and box["y"] + box["height"] <= size["height"] and box["x"] + box["width"]
            <= size["width"] + 1)


def test_three_pinned_options_are_side_by_side_after_a_reload(server, browser) -> None:
    page = _open(browser, server + SMALL)
    first = _run_and_wait(page)
    # the laptop screen: the Run button and the result's headline are both in view
    assert _in_view(page, "#run") and _in_view(page, "#headline")
    page.click("#pin")
    expect(page.locator("#pin-info")).to_contain_text("pirkanmaa as in the library")
    for caseload in ("60", "30"):
        _set(page, _lever(CASELOAD), caseload)
        expect(page.locator("#stale-marker")).to_be_visible()
        assert _run_and_wait(page) != first
        page.click("#pin")
        expect(page.locator("#pin-info")).to_contain_text(f"caseload {caseload}")
    expect(page).to_have_url(re.compile(r"#.*option=.*option=.*option="))
    link = page.url
    page.context.close()

    fresh = _open(browser, link)
    expect(fresh.locator("#tab-options")).to_contain_text("(3)")
    fresh.click("#tab-options")
    rows = fresh.locator("#options-table .option-row[data-status='done']")
    expect(rows).to_have_count(3, timeout=RUN_TIMEOUT_MS)
    names = [rows.nth(i).locator("td").first.inner_text() for i in range(3)]
    assert names == ["pirkanmaa as in the library", "caseload 60", "caseload 30"]
    # one baseline (the three share it), its levels beside the options' effects
    expect(fresh.locator("#options-table .baseline-row")).to_have_count(1)
    effects = [rows.nth(i).locator("td").nth(4).inner_text() for i in range(3)]
    assert all("€" in cell and " to " in cell for cell in effects), effects
    assert len(set(effects)) == 3  # three settings, three different costs
    fresh.wait_for_selector("#options-graph .ytick text")
    ticks = fresh.locator("#options-graph .ytick text").all_text_contents()
    assert {"caseload 60", "caseload 30"} <= set(ticks)

    # removing one updates the link and the table. Under a loaded CI machine one click in
    # several runs was seen lost (the table kept its three rows for 30 s; not reproduced
    # alone, cause not found): a user clicks again, and so does the test, at most twice more
    # - the second option is "caseload 60" each time, so the end state is the same.
    rows_now = fresh.locator("#options-table .option-row")
    for attempt in range(3):
        if rows_now.count() == 2:  # an earlier click took effect late
            break
        rows_now.nth(1).get_by_role("link", name="remove").click()
        try:
            expect(rows_now).to_have_count(2, timeout=15_000)
            break
        except AssertionError:
            if attempt == 2:
                raise AssertionError(
                    f"three clicks on remove left {rows_now.count()} rows; url {fresh.url}"
                ) from None
    expect(rows_now).to_have_count(2)
    assert fresh.url.count("option=") == 2
    # an option's name opens its levers and its result, read back from the store
    fresh.get_by_role("link", name="caseload 30").click()
    expect(fresh.locator("#panel-workshop")).to_be_visible(timeout=30_000)
    expect(fresh.locator(_lever(CASELOAD))).to_have_value("30", timeout=30_000)
    expect(fresh.locator("#headline")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(fresh.locator("#stale-marker")).to_have_count(0)
    fresh.context.close()


def test_headline_names_euros_payers_and_the_real_region(server, browser) -> None:
    page = _open(browser, server + SMALL + f"&{CASELOAD}=60")
    text = _run_and_wait(page)
    assert "percentage points" in text
    assert re.search(r"Public cost in the whole region (rises|falls) by [\d.,]+ [kM]?€ over "
                     r"the 10 weeks", text)
    # the payers whose change is clear, or that none is
    assert re.search(r"(the state|municipalities|other funds) (pays?|saves?) [\d.,]+ [kM]?€",
                     text) or "no payer's share changes clearly" in text
    assert "The model ran 600 job seekers" in text and "real region's 36,000" in text
    # the cost card agrees with the sentence's direction and names its period
    cost = page.locator(".kpi[data-metric='cost_total_eur']")
    expect(cost).to_contain_text("over 10 weeks")
    value = cost.locator(".kpi-value").inner_text()
    assert value.startswith("+" if "rises" in text else "−") and "€" in value
    expect(page.locator(".kpi[data-metric='target_activation_rate_end'] .kpi-value")
           ).to_contain_text("pp")
    # hover help from the catalogue, and plain names for cost items
    assert "open-market work" in (page.locator(
        ".kpi[data-metric='target_employed_end']").get_attribute("title") or "")
    assert not page.locator("#cost-graph").get_by_text(re.compile("_")).count()

    # going back to the shown settings clears the out-of-date marker; a change sets it
    _set(page, _lever(CASELOAD), "45")
    expect(page.locator("#stale-marker")).to_be_visible()
    expect(page.locator("#results")).to_have_class(re.compile("stale"))
    _set(page, _lever(CASELOAD), "60")
    expect(page.locator("#stale-marker")).to_have_count(0)
    # one status at a time: no queued message beside the finished one
    assert "Queued" not in page.inner_text(".run-bar")
    page.context.close()


def test_a_400px_screen_stacks_with_the_results_visible(server, browser) -> None:
    page = _open(browser, server + SMALL + f"&{CASELOAD}=50", width=400, height=800)
    assert _in_view(page, "#run")  # the run bar stays at the bottom of the window
    _run_and_wait(page)
    results = page.locator(".compare-panel").bounding_box()
    build = page.locator(".build-panel").bounding_box()
    assert results["width"] > 300 and build["width"] > 300
    assert results["y"] < build["y"]  # the results first, the levers below
    assert page.locator("#headline").bounding_box()["y"] < 800  # on the first screen
    assert _in_view(page, "#run")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400 + 1
    page.context.close()


def test_tabs_are_reachable_by_keyboard_and_the_glossary_holds_every_metric(server, browser
                                                                           ) -> None:
    page = _open(browser, server)
    page.focus("#tab-workshop")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#tab-glossary")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-glossary")).to_be_visible()
    expect(page.locator("#tab-glossary")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-workshop")).to_be_hidden()
    expect(page.locator("#glossary-metrics dt")).to_have_count(len(CATALOGUE))
    # the scenario picker: pilots grouped by kind under headings, baselines apart and last
    page.click("#tab-workshop")
    page.click("#scenario")
    popup = page.get_attribute("#scenario", "aria-controls")
    listing = page.locator(f"[id='{popup}'] [role='option']").all_inner_texts()
    headings = [i for i, t in enumerate(listing) if t.startswith("—")]
    assert len(headings) >= 3 and "Baselines" in listing[headings[-1]]
    assert all(t.startswith("Baseline") for t in listing[headings[-1] + 1:])
    assert not any(t.startswith("Baseline") for t in listing[:headings[-1]])
    page.context.close()
