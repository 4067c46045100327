"""End-to-end in headless Chromium: a design downloaded from the dashboard is a scenario file
that `pilotsim validate` accepts and `pilotsim compare` reproduces (same effects, same run
identities: uploading it back is served from the store), and the results render in Finnish
and Swedish with no message missing from the catalogue (the server runs with
``PILOTSIM_STRICT_WORDS=1``: a missing entry fails the rendering and the page shows an error).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import tests.test_dashboard_browser as shared  # skips this module too without Chromium
from tests.test_dashboard_browser import RUN_TIMEOUT_MS, dashboard_server

Page, expect = shared.Page, shared.expect  # Playwright, once the shared module found it
browser = shared.browser  # a module-scoped browser of this module's own

# small and quick: 600 job seekers, 10 weeks, 2 replications
DESIGN = ("?scenario=pirkanmaa&job_seekers=600&weeks=10&target=scenario&replications=2"
          "&seed=7&scope=target&interventions.coaching.caseload=30")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # strict words: a message missing from the catalogue fails the page
    yield from dashboard_server(tmp_path_factory, "workshop-store",
                                {"PILOTSIM_STRICT_WORDS": "1"})


def _run(browser, url: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000},
                               accept_downloads=True).new_page()
    page.goto(url)
    page.wait_for_selector("#levers .lever", timeout=60_000)
    page.click("#run")
    # two replications: the first answer is the whole job (or the store serves it at once)
    page.wait_for_selector("#effects-table td", timeout=RUN_TIMEOUT_MS)
    return page


def _effects(page: Page) -> dict[str, str]:
    """The effects column by metric label, as the page shows it."""
    rows = page.eval_on_selector_all(
        "#effects-table tr", "rows => rows.map(r => Array.from(r.querySelectorAll('td'))"
        ".map(c => c.innerText.trim()))")
    return {row[0]: row[4] for row in rows if len(row) >= 5}


def _pilotsim(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from simulation.cli.main import main; main()",
                           *args], capture_output=True, text=True, cwd=str(cwd), timeout=600)


def test_a_downloaded_design_validates_and_compare_gives_the_effects_shown(server, browser,
                                                                           tmp_path) -> None:
    from dashboards.views import fmt  # the page's rounding
    from simulation.engine.catalogue import metric

    page = _run(browser, server + DESIGN)
    shown = _effects(page)
    page.fill("#design-note", "Tampere: half the caseload")
    with page.expect_download() as info:
        page.click("#design-download-button")
    design = tmp_path / info.value.suggested_filename
    info.value.save_as(design)
    text = design.read_text(encoding="utf-8")
    assert "Tampere: half the caseload" in text and 'extends = "pirkanmaa"' in text

    checked = _pilotsim("validate", str(design), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    # recomputed without the store: the numbers, not a cache, must agree
    compared = _pilotsim("compare", "baseline", str(design), "--seed", "7",
                         "--replications", "2", "--no-store", "--json", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    effects = next(iter(json.loads(compared.stdout)["scenarios"].values()))["effects"]
    checked_rows = 0
    for name, stats in effects.items():
        if not name.startswith("target_"):
            continue
        m = metric(name.removeprefix("target_"))
        if m.label in shown:
            assert shown[m.label] == fmt(stats["mean"], m.unit), name
            checked_rows += 1
    assert checked_rows >= 8

    # the same resolved scenario and baseline: the upload is the page's own job, stored
    page.set_input_files("#design-upload input[type=file]", str(design))
    expect(page.locator("#design-info")).to_contain_text("Served from the results store",
                                                         timeout=60_000)
    assert _effects(page) == shown


@pytest.mark.parametrize(("lang", "words_there"), [
    ("fi", ("kohderyhmä", "työnhakijaa", "vaikutus", "Julkiset kustannukset")),
    ("sv", ("målgrupp", "arbetssökande", "effekt", "Offentliga kostnader")),
])
def test_results_render_translated_with_finnish_number_formats(server, browser, lang,
                                                               words_there) -> None:
    page = _run(browser, server + DESIGN + f"&lang={lang}")
    assert page.locator("#results-error").count() == 0  # strict: no entry missing
    page.wait_for_timeout(1500)  # the out-of-date check runs after the result is shown
    expect(page.locator("#stale-marker")).to_have_count(0)  # the language is not a change
    expect(page.locator(f"#lang input[value={lang}]")).to_be_checked()
    assert f"lang={lang}" in page.url  # the run kept the language in the link
    results = page.inner_text("#results")
    for word in words_there:
        assert word in results
    for english in ("job seekers", "replications", "interval spans zero", "reliability",
                    "Public cost", "Cost by payer"):
        assert english not in results
    # the period's first day as Finns and Finland-Swedes write it (1.8.2017, not 2017-08-01)
    title = page.inner_text("#results-title")
    assert re.search(r"\b\d{1,2}\.\d{1,2}\.20\d\d\b", title), title
    assert not re.search(r"20\d\d-\d\d-\d\d", title), title
    # Finnish number formats: a decimal comma and no English thousands comma
    effects = page.inner_text("#effects-table")
    assert re.search(r"\d,\d\d\b", effects)
    assert not re.search(r"\d\.\d\d\b", effects)
    cost = page.inner_text("#cost-graph")
    assert ("palkkatuki" if lang == "fi" else "lönesubvention") in cost


# a procurement scenario, small: its provider view is the longest translated section
PROCUREMENT = "?scenario=koko_rekry&job_seekers=800&weeks=10&replications=2&seed=7"


def _english_of_the_provider_view() -> set[str]:
    """Every English label, title and heading the provider view writes (the message ids)."""
    from dashboards.provider_view import SECTIONS, STOP_WORDS
    from simulation.engine.catalogue import metric

    english = {title for title, _ in SECTIONS} | set(STOP_WORDS.values())
    english |= {metric(name).label for _, names in SECTIONS for name in names}
    return english | {"Providers' cumulative profit", "The contract asked for", "mean over "
                      "replications", "all providers, since the start", "left in losses"}


@pytest.mark.parametrize(("lang", "words_there"), [
    ("fi", ("Palveluntuottajat", "Hukkavaikutuksen osuus", "Kermankuorintaero perusurassa",
            "Sopimus edellytti")),
    ("sv", ("Tjänsteleverantörer", "Andel dödviktseffekt", "Gräddskumningsgap i basscenariot",
            "Avtalet krävde")),
])
def test_a_procurement_scenarios_results_and_provider_view_render_translated(
        server, browser, lang, words_there) -> None:
    page = _run(browser, server + PROCUREMENT + f"&lang={lang}")
    page.wait_for_selector("#provider-view", timeout=RUN_TIMEOUT_MS)
    assert page.locator("#results-error").count() == 0  # strict: no entry missing
    provider = page.inner_text("#provider-view")
    for word in words_there:
        assert word in provider
    results = page.inner_text("#results")
    left = sorted(e for e in _english_of_the_provider_view() if e in results)
    assert not left, f"English left in the {lang} results: {left}"
    # numbers as Finland writes them: "1 000" (a no-break space), shares with a decimal comma
    assert re.search(r"\d[\u00a0 \u202f]\d{3}\b", page.inner_text("#provider-headline"))
    table = page.inner_text("#provider-table")
    assert re.search(r"\d,\d{3}\b", table) and not re.search(r"\d\.\d", table)


def _english_of_the_build_panel(page: Page) -> set[str]:
    """The English the build panel showed: its fixed texts (each span's id names its message)
    and its levers' labels, groups and units, less what Finnish writes the same way."""
    from dashboards.levers import levers_for
    from simulation.i18n import words

    ids = page.eval_on_selector_all(
        "[id*='\"type\":\"say\"']", "spans => spans.map(s => s.id)")
    english = {json.loads(i)["message"] for i in ids}
    assert len(english) >= 20  # the header, tabs, build panel, design panel and glossary
    for lever in levers_for("pirkanmaa"):
        english |= {lever.label, lever.group}
    fi = words("fi")
    # a message with fields is checked by its longest field-free part
    parts = {max(re.split(r"\{\w+\}", m), key=len).strip() for m in english}
    return {p for p in parts if len(p) > 3 and fi.gettext(p) != p}


def test_the_build_panel_switches_to_finnish_and_keeps_the_design(server, browser) -> None:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(server + DESIGN)
    page.wait_for_selector("#levers .lever", timeout=60_000)
    caseload = "[id='{\"key\":\"interventions.coaching.caseload\",\"type\":\"lever\"}']"
    page.fill("#job_seekers", "700")
    page.press("#job_seekers", "Enter")
    english = _english_of_the_build_panel(page)

    page.check("#lang input[value=fi]")
    expect(page.locator("#run")).to_have_text("Aja", timeout=30_000)
    expect(page.locator(".build-panel")).to_contain_text("Asiakasmäärä")
    # the design is kept: the lever from the link and the edited population
    expect(page.locator(caseload)).to_have_value("30")
    expect(page.locator("#job_seekers")).to_have_value("700")
    shown = "\n".join(page.inner_text(part) for part in ("#tabs", ".build-panel"))
    shown += page.inner_text("#panel-glossary h3") + page.inner_text("body > div")[:200]
    left = sorted(e for e in english if e in shown)
    assert not left, f"English left on the Finnish build panel: {left}\n{shown}"
    # help on hover and the range in Finnish numbers
    help_text = page.locator(".lever label").first.get_attribute("title")
    assert help_text and "Job seekers" not in help_text and "Clients" not in help_text
    assert "vaihteluväli 1–1 000" in page.inner_text(".build-panel").replace("\u00a0", " ")


def test_the_region_form_refuses_a_bad_figure_and_downloads_a_file_validate_accepts(
        server, browser, tmp_path) -> None:
    page = browser.new_context(accept_downloads=True).new_page()
    page.goto(server + "?lang=fi#view=region")
    expect(page.locator("#region-form")).to_contain_text("Työttömät työnhakijat",
                                                         timeout=60_000)
    page.fill("#region-name", "Vaasa test region")
    page.fill("#region-job_seekers", "9 000")
    page.fill("#region-source-job_seekers", "TEM Työnvälitystilasto 12/2017")
    page.fill("#region-long_term_share", "1,2")  # a share above 1: one line, no file
    page.fill("#region-source-long_term_share", "TEM Työnvälitystilasto 12/2017")
    page.click("#region-download-button")
    expect(page.locator("#region-error")).to_contain_text("above 1")
    assert page.inner_text("#region-error").count("\n") == 0
    page.fill("#region-long_term_share", "0,25")
    with page.expect_download() as info:
        page.click("#region-download-button")
    region = tmp_path / info.value.suggested_filename
    info.value.save_as(region)
    assert region.name == "baseline_vaasa_test_region.toml"
    expect(page.locator("#region-info")).to_contain_text("Rakennettu Vaasa test region")
    checked = _pilotsim("validate", str(region), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
