"""Every pilot runs on a baseline of its own region: the growth-company pilots and North
Karelia on region baselines sized and shaped for their regions, each number with a source or
an assumption, and a scenario for another region cannot inherit the region figures of the
scenario it extends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulation.experiments.compare import comparison_baseline
from simulation.params.loading import ScenarioError, load_scenario

# pilot -> (its region baseline, the firms it documents: growth firms, solo entrepreneurs)
PILOTS = {
    "bothnian_arc": ("baseline_pohjois_pohjanmaa", 0, 0),
    "keski_suomi_growth_booster": ("baseline_keski_suomi", 0, 0),
    "entrepreneur_to_employer": ("baseline_keski_suomi", 0, 108),
    "etela_pohjanmaa_growth": ("baseline_etela_pohjanmaa", 27, 0),
    "pohjois_savo_growth_skills": ("baseline_pohjois_savo", 15, 0),
    "tourism_lapland": ("baseline_lapland_region", 0, 30),
    "growth_south_east": ("baseline_kaakkois_suomi", 125, 0),
    "kokosata_rekry": ("baseline_satakunta", 30, 0),
    "koko_rekry": ("baseline_uusimaa", 30, 0),
    "marine_car_industry": ("baseline_varsinais_suomi", 0, 0),
    "growth_boost_pirkanmaa": ("baseline_pirkanmaa", 118, 0),
    "north_karelia_1000_jobs": ("baseline_north_karelia", None, 3000),
}
REGION_FIELDS = ("region.job_seekers", "region.firms", "region.sector_shares",
                 "population.spell_band_shares", "labour_market.vacancies_per_seeker")


@pytest.mark.parametrize("pilot", list(PILOTS))
def test_each_pilot_runs_on_and_is_compared_with_its_own_region(pilot: str) -> None:
    region_baseline, growth_firms, solo = PILOTS[pilot]
    scenario, baseline = load_scenario(pilot), load_scenario(region_baseline)
    assert scenario.baseline == region_baseline
    assert scenario.region == baseline.region
    assert scenario.region.name != load_scenario("baseline").region.name
    # the pilot's documented scale stays: its growth firms and solo entrepreneurs
    if growth_firms is not None:
        assert round(scenario.growth.growth_firm_share * scenario.region.firms) == growth_firms
    assert scenario.growth.solo_entrepreneurs == solo
    # paired, the baseline differs from the pilot by the programme only
    paired = comparison_baseline(baseline, scenario)
    for section in ("region", "population", "flows", "labour_market", "benefits",
                    "public_office", "national_policy", "target_group"):
        assert getattr(paired, section) == getattr(scenario, section), section
    assert paired.growth.programme is None


@pytest.mark.parametrize("region_baseline", sorted({b for b, _, _ in PILOTS.values()}))
def test_a_region_baseline_gives_its_own_region_figures_with_provenance(
        region_baseline: str) -> None:
    scenario, national = load_scenario(region_baseline), load_scenario("baseline")
    assert scenario.sources
    assert scenario.national_policy.activation_model.enabled
    for path in REGION_FIELDS:
        # its own source or assumption, not the Pirkanmaa baseline's
        assert path in scenario.provenance, path
        assert scenario.provenance[path] != national.provenance[path], path


def test_a_region_baseline_without_its_own_figures_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "baseline_elsewhere.toml"
    path.write_text('[scenario]\nextends = "baseline"\nsources = ["a study"]\n'
                    '[region]\nname = "Elsewhere"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "region.job_seekers"
    assert "inherit" in caught.value.message


def test_a_region_baseline_without_sources_is_refused_by_validate(tmp_path: Path) -> None:
    own = "\n".join(f'{key} = {{ value = {value}, assumption = "x" }}' for key, value in (
        ("job_seekers", 5000), ("firms", 80), ("sector_shares", [0.3, 0.2, 0.1, 0.15, 0.15, 0.1])))
    text = (f'[scenario]\nextends = "baseline"\n[region]\nname = "Elsewhere"\n{own}\n'
            '[population]\nspell_band_shares = { value = [0.13, 0.18, 0.18, 0.21, 0.12, 0.07, '
            '0.11], assumption = "x" }\n[labour_market]\nvacancies_per_seeker = { value = 0.2, '
            'assumption = "x" }\n')
    complete = tmp_path / "complete.toml"
    complete.write_text(text.replace("[region]", 'sources = ["a study"]\n[region]'),
                        encoding="utf-8")
    no_sources = tmp_path / "no_sources.toml"
    no_sources.write_text(text, encoding="utf-8")
    bare = tmp_path / "bare_number.toml"
    bare.write_text(text.replace('[region]', 'sources = ["a study"]\n[region]')
                    .replace('{ value = 5000, assumption = "x" }', "5000"), encoding="utf-8")
    run = [sys.executable, "-m", "simulation.cli", "validate"]
    ok = subprocess.run([*run, str(complete)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    for bad, field in ((no_sources, "scenario.sources"), (bare, "region.job_seekers")):
        result = subprocess.run([*run, str(bad)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 2
        assert f"{bad}: {field}:" in result.stderr, result.stderr


def test_every_region_baseline_passes_show() -> None:
    names = sorted({b for b, _, _ in PILOTS.values()})
    for name in names:
        result = subprocess.run([sys.executable, "-m", "simulation.cli", "show", name, "--json"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (name, result.stderr)
        assert '"job_seekers"' in result.stdout
