"""Finnish and Swedish: every message the code shows has a translation in both catalogues
(with the same fields), the translations use the glossary's terms, numbers, euros and dates
follow the language, and the report renders its headline, effects table and cost view
translated."""

from __future__ import annotations

import math
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from simulation.cli.main import app
from simulation.experiments.compare import Comparison
from simulation.i18n import glossary, translations, words
from simulation.i18n.catalogues import locale_dir
from simulation.report.headline import Scale, headline
from tests.test_report import small_pair
from tools.i18n import messages

LANGS = ("fi", "sv")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.fixture(scope="module")
def catalogues():
    return {lang: read_po(open(locale_dir() / lang / "LC_MESSAGES" / "pilotsim.po", "rb"),
                          locale=lang) for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_used_in_the_code_has_a_translation_with_the_same_fields(lang,
                                                                             catalogues):
    catalogue, compiled = catalogues[lang], translations(lang)
    missing = []
    for message in messages():
        entry = catalogue.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(message)
            continue
        assert fields(entry.string) == fields(message), (lang, message)
        # the shipped .mo says the same as the .po (compiled after the last edit)
        assert compiled.gettext(message) == entry.string, (lang, message)
    assert not missing, f"{lang}: no translation for {missing[:5]} (run tools/i18n.py update)"


def test_the_glossary_has_every_term_in_three_languages_and_the_catalogues_use_it(catalogues):
    terms = glossary()
    assert {"te_office", "activation_rate", "labour_market_subsidy", "municipal_share",
            "wage_subsidy", "work_trial"} <= set(terms)
    for key, entry in terms.items():
        assert all(entry.get(lang, "").strip() for lang in ("en", "fi", "sv")), key
    for lang in LANGS:
        for message in catalogues[lang]:
            if not message.id or not message.string:
                continue
            said = re.sub(r"\{\w+\}", "", message.id)  # the words, not the field names
            for key, entry in terms.items():
                stem = entry.get(f"{lang}_stem")
                if stem and re.search(rf"\b{re.escape(entry['en'])}\b", said, re.I):
                    assert stem.lower() in message.string.lower(), (lang, key, message.id)


def test_finnish_numbers_euros_and_dates() -> None:
    fi = words("fi")
    assert fi.euros(1234.5).replace("\u00a0", " ") == "1 234,5 €"
    assert fi.eur(-4.4e6).replace("\u00a0", " ") == "−4,4 milj. €"
    assert fi.date("2017-08-01") == "1.8.2017"
    assert fi.effect(0.148, "pp").replace("\u00a0", " ") == "+14,8 %-yks."
    assert fi.value(36000, "n").replace("\u00a0", " ") == "36 000"
    assert words("sv").date("2018-12-31") == "31.12.2018"
    assert words("en").euros(1234.5) == "1,234 €"  # English is unchanged


def ci(mean: float, low: float, high: float) -> dict[str, float]:
    return {"mean": mean, "ci95_low": low, "ci95_high": high}


@pytest.mark.parametrize("lang", LANGS)
def test_every_headline_branch_is_translated(lang) -> None:
    strict = words(lang, strict=True)  # a missing entry raises instead of showing English
    cases = [dict(target_employed_end=ci(120, 80, 160),
                  target_activation_rate_end=ci(0.148, 0.146, 0.151),
                  cost_total_eur=ci(4.4e6, 4e6, 4.8e6), cost_state_eur=ci(2.5e6, 2e6, 3e6),
                  cost_municipality_eur=ci(1.9e6, 1e6, 2e6), cost_other_eur=ci(-5e4, -9e4, -1e4),
                  target_cost_per_net_lasting_placement_eur=ci(36e3, 30e3, 44e3)),
             dict(target_employed_end=ci(-50, -80, -20),
                  target_activation_rate_end=ci(0.01, -0.01, 0.03),
                  cost_total_eur=ci(-1.2e6, -1.5e6, -0.9e6),
                  target_cost_per_net_lasting_placement_eur=ci(math.nan, math.nan, math.nan),
                  target_sustained_3m=ci(-156, -214, -99))]
    for effects in cases:
        text = headline(Comparison("b", "s", {}, effects), 74, 5, Scale(4000, 36000), strict)
        assert "target group" not in text and "Public cost" not in text
    fi = headline(Comparison("b", "s", {}, cases[0]), 74, 5, Scale(4000, 4000), words("fi"))
    if lang == "fi":
        assert "Koko alueen julkiset kustannukset kasvavat 4,4 milj. €" in fi.replace("\u00a0", " ")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("i18n")
    base, pilot = small_pair(folder)
    pages = {}
    for lang in LANGS:
        out = folder / f"report_{lang}.html"
        result = CliRunner().invoke(app, [
            "report", str(base), str(pilot), "--replications", "2", "--workers", "1",
            "--store", str(folder / "store"), "--out", str(out), "--lang", lang])
        assert result.exit_code == 0, result.output
        pages[lang] = Path(out).read_text(encoding="utf-8")
    return pages


def test_the_finnish_report_has_its_headline_effects_and_costs_in_finnish(reports) -> None:
    page = reports["fi"].replace("\u00a0", " ")
    assert '<html lang="fi">' in page
    assert re.search(r"alueen julkiset kustannukset (kasvavat|pienenevät) [\d ,]+ (milj\. )?€",
                     page)
    assert "Vaikutukset 95 %:n luottamusväleineen" in page
    assert "<th>vaikutus</th>" in page and "aktivointiaste lopussa" in page
    assert "Kustannukset maksajittain ja eristä" in page and "<th>maksaja</th>" in page
    assert "valtio" in page and "kunnat" in page
    assert "1.8.2017" in page                       # the start date, Finnish style
    assert re.search(r"\d \d{3}(,\d)? €", page)     # 1 234 € : a space between thousands
    for english in ("Effects with 95 % confidence intervals", "Cost by payer and item",
                    "In plain words", "Public cost in the whole region", "<th>payer</th>"):
        assert english not in page, english


def test_the_swedish_report_has_its_headline_effects_and_costs_in_swedish(reports) -> None:
    page = reports["sv"].replace("\u00a0", " ")
    assert '<html lang="sv">' in page
    assert re.search(r"De offentliga kostnaderna i hela regionen (ökar|minskar) med", page)
    assert "Effekter med 95 % konfidensintervall" in page
    assert "Kostnader per betalare och post" in page and "staten" in page
    assert "1.8.2017" in page
    for english in ("Effects with 95 % confidence intervals", "Cost by payer and item",
                    "Public cost in the whole region"):
        assert english not in page, english


@pytest.mark.parametrize("lang", ("en", "fi", "sv"))
def test_an_amount_that_shows_as_zero_has_no_sign(lang) -> None:
    """A float's noise (a cost that differs by −0.000001 €) is '0 €', not '−0 €'; a real
    amount keeps its sign."""
    w = words(lang)
    for noise in (-1e-7, 1e-7, -0.0):
        assert w.eur(noise) == "0 €" and w.effect(noise, "eur") == "0 €", (lang, noise)
    assert w.eur(-36_000).startswith("−") and w.effect(2.5e6, "eur").startswith("+")
    assert w.interval({"ci95_low": -1e-7, "ci95_high": 2e6}, "eur").startswith("0 €")


def test_a_contracts_fee_item_reads_as_words_in_every_language() -> None:
    """Ledger items of a contract's fees (provider_fee:<component>) show the glossary's
    'provider fee' and the component in words, not the raw key."""
    from simulation.i18n.glossary import term

    assert term("provider_fee:outcome_fee.placement", "en") == \
        "provider fee: outcome fee — placement"  # as the dashboard writes it
    assert term("provider_fee:base_fee", "fi").startswith("palveluntuottajan palkkio: ")
    assert ":" not in term("provider_fee:x", "sv").split(": ", 1)[1]
