"""A planner's own region from published figures: every figure lands in the file with its
source, a figure left out is a marked default, bad or inconsistent figures are refused in one
line naming the figure with nothing written, and the built region runs a pilot comparison."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from simulation.params.loading import load_scenario
from simulation.params.new_region import (
    Figure,
    FigureError,
    RegionFigures,
    build_region,
)

EXAMPLE = Path(__file__).parents[1] / "docs" / "examples" / "figures_pohjois_pohjanmaa.toml"
ELY = "Pohjois-Pohjanmaan ELY-keskus, työllisyyskatsaus joulukuu 2017"


def pilotsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def base():
    return load_scenario("baseline")


def full_figures() -> RegionFigures:
    return RegionFigures(
        name="Vaasa test region",
        job_seekers=Figure(9000, "TEM Työnvälitystilasto 12/2017"),
        long_term_share=Figure(0.25, "TEM Työnvälitystilasto 12/2017"),
        in_services=Figure(3000, "TEM Työnvälitystilasto 12/2017, palveluissa"),
        vacancies=Figure(2400, "TEM Työnvälitystilasto 12/2017, avoimet työpaikat"),
        sector_shares=Figure({"services": 0.25, "industry": 0.3, "construction": 0.1,
                              "trade": 0.15, "health_social": 0.15, "public": 0.04},
                             "assumption: read off the region's employment by industry"),
        municipalities=Figure({"Vaasa": 4500, "Mustasaari": 900, "Muut kunnat": 3000},
                              "TEM Työnvälitystilasto 12/2017, kunnittain"))


def test_figures_become_the_regions_parameters_each_with_its_provenance(base) -> None:
    built = build_region(full_figures(), base)
    tree = tomllib.loads(built.text)
    region, population = tree["region"], tree["population"]
    assert region["job_seekers"]["value"] == 12_000          # unemployed + in services
    assert "9,000" in region["job_seekers"]["source"]
    assert population["initial_activation"]["value"] == 0.25  # 3,000 / 12,000
    assert tree["labour_market"]["vacancies_per_seeker"]["value"] == 0.2  # 2,400 / 12,000
    # the long-term share fills the three bands of 12 months or more
    assert sum(population["spell_band_shares"]["value"][-3:]) == pytest.approx(0.25, abs=1e-3)
    # counts by municipality become shares; an estimated figure stays an assumption
    assert region["municipalities"] == ["Vaasa", "Mustasaari", "Muut kunnat"]
    # 4,500 / 8,400 etc., rounded; the rounding remainder goes on the largest share
    assert region["municipality_shares"]["value"] == pytest.approx([0.5357, 0.1071, 0.3571],
                                                                   abs=2e-4)
    assert sum(region["municipality_shares"]["value"]) == pytest.approx(1.0, abs=1e-9)
    assert "assumption" in region["sector_shares"] and "source" not in region["sector_shares"]
    assert sum(region["sector_shares"]["value"]) == pytest.approx(1.0, abs=1e-9)
    assert built.defaults == ()
    assert tree["scenario"]["extends"] == "baseline"


def test_a_figure_left_out_is_a_marked_default_and_makes_what_it_feeds_an_assumption(base):
    figures = RegionFigures(name="Kainuu", job_seekers=Figure(7000, "TEM 12/2017"))
    built = build_region(figures, base)
    tree = tomllib.loads(built.text)
    assert set(built.defaults) == {"long_term_share", "in_services", "vacancies",
                                   "sector_shares", "municipalities"}
    # the size uses the default activation, so it is an assumption, and says so
    assert "default" in tree["region"]["job_seekers"]["assumption"]
    assert tree["population"]["initial_activation"]["value"] == base.population.initial_activation
    assert tree["labour_market"]["vacancies_per_seeker"]["assumption"].startswith("default")
    assert tree["region"]["municipalities"] == ["Kainuu"]
    kept = [path for path, _, _ in built.kept]
    assert "labour_market.work_hazard_by_band" in kept and "flows.inflow_per_week" in kept


@pytest.mark.parametrize(("change", "figure", "words"), [
    ({"long_term_share": Figure(1.3, "TEM")}, "long_term_share", "above 1"),
    ({"long_term_share": Figure(28.6, "TEM")}, "long_term_share", "above 1"),
    ({"in_services": Figure(9500, "TEM")}, "in_services", "more than the 9,000"),
    ({"vacancies": Figure(300, "  ")}, "vacancies", "without a source"),
    ({"job_seekers": Figure(9000, "assumption:")}, "job_seekers", "without a source"),
    ({"job_seekers": Figure(90.5, "TEM")}, "job_seekers", "whole number"),
    ({"sector_shares": Figure({"services": 0.5, "industry": 0.2}, "TEM")}, "sector_shares",
     "sum to 0.700"),
    ({"sector_shares": Figure({"mining": 1.0}, "TEM")}, "sector_shares", "unknown sector"),
    ({"municipalities": Figure({"Vaasa": 9000, "Muut": 4000}, "TEM")}, "municipalities",
     "more than the region's 9,000"),
])
def test_bad_or_inconsistent_figures_are_refused_naming_the_figure(base, change, figure,
                                                                   words) -> None:
    figures = full_figures()
    figures = RegionFigures(**{**figures.__dict__, **change})
    with pytest.raises(FigureError) as caught:
        build_region(figures, base)
    assert caught.value.figure == figure
    assert words in caught.value.message


def test_a_refused_figure_is_one_line_naming_the_option_exit_2_and_nothing_written(
        tmp_path: Path) -> None:
    target = tmp_path / "region.toml"
    result = pilotsim("new-region", "Vaasa", "--job-seekers", "9000", "--source-job-seekers",
                      "TEM 12/2017", "--in-services", "9500", "--source-in-services", "TEM",
                      "--out", str(target))
    assert result.returncode == 2
    assert result.stderr.startswith("error: --in-services: ")
    assert result.stderr.count("\n") == 1
    assert not target.exists()
    missing = pilotsim("new-region", "Vaasa", "--job-seekers", "9000", "--out", str(target))
    assert missing.returncode == 2 and "--job-seekers" in missing.stderr
    assert not target.exists()


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "region.toml"
    target.write_text("# mine\n", encoding="utf-8")
    args = ("new-region", "--figures", str(EXAMPLE), "--out", str(target))
    kept = pilotsim(*args)
    assert kept.returncode == 2 and "exists" in kept.stderr
    assert target.read_text(encoding="utf-8") == "# mine\n"
    forced = pilotsim(*args, "--force")
    assert forced.returncode == 0, forced.stderr
    # the example is Pohjois-Pohjanmaa, whose baseline the library has: said, since the bare
    # name on the command line means the library's
    assert "is also a library scenario" in " ".join(forced.stderr.split())
    assert "kept from the calibrated baseline as national averages" in forced.stdout
    assert "work_hazard_by_band" in forced.stdout


def test_a_region_from_published_figures_shows_every_figure_with_its_source_and_runs_a_pilot(
        tmp_path: Path) -> None:
    region = tmp_path / "baseline_pohjois_pohjanmaa.toml"
    built = pilotsim("new-region", "--figures", str(EXAMPLE), "--out", str(region))
    assert built.returncode == 0, built.stderr
    assert pilotsim("validate", str(region)).returncode == 0
    shown = pilotsim("show", str(region), "--json")
    assert shown.returncode == 0, shown.stderr
    provenance = json.loads(shown.stdout)["provenance"]
    for path in ("region.job_seekers", "region.firms", "region.sector_shares",
                 "region.municipality_shares", "population.spell_band_shares",
                 "population.initial_activation", "labour_market.vacancies_per_seeker"):
        assert path in provenance, path
    assert ELY in provenance["region.job_seekers"]
    assert provenance["population.spell_band_shares"].startswith("source: 28.6 %")
    assert provenance["labour_market.vacancies_per_seeker"].startswith("assumption: default")
    # a pilot on the new region, at a small size, against it
    pilot = tmp_path / "oulu_coaching.toml"
    pilot.write_text(f'''
[scenario]
extends = "{region.name}"
baseline = "{region.name}"
name = "oulu_coaching"
[region]
job_seekers = {{ value = 1500, assumption = "small size for a test" }}
firms = {{ value = 40, assumption = "small size for a test" }}
[interventions.coaching]
caseload = {{ value = 60.0, assumption = "a coaching pilot: smaller caseloads" }}
''', encoding="utf-8")
    compared = pilotsim("compare", str(region), str(pilot), "--replications", "2", "--weeks",
                        "8", "--workers", "1", "--no-store", "--json")
    assert compared.returncode == 0, compared.stderr
    effects = json.loads(compared.stdout)["scenarios"]["oulu_coaching"]["effects"]
    assert "target_employed_end" in effects
