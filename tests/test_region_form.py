"""The dashboard's region form writes the file `pilotsim new-region` writes for the same
figures (typed as a Finnish planner types them), and refuses a bad figure in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dashboards.region_form import build
from simulation.params.new_region import FigureError

SOURCE = "TEM Työnvälitystilasto 12/2017"
# the same figures twice: as the form takes them and as the command line takes them
FORM = {"job_seekers": "9 000", "long_term_share": "0,25", "in_services": "3 000",
        "vacancies": "2400", "sector_shares": "services=0,25; industry=0,3; construction=0,1;"
        " trade=0,15; health_social=0,15; public=0,04",
        "municipalities": "Vaasa=4 500\nMustasaari=900\nMuut kunnat=3 000"}
CLI = ["--job-seekers", "9000", "--long-term-share", "0.25", "--in-services", "3000",
       "--vacancies", "2400", "--sectors", "services=0.25,industry=0.3,construction=0.1,"
       "trade=0.15,health_social=0.15,public=0.04",
       "--municipalities", "Vaasa=4500,Mustasaari=900,Muut kunnat=3000"]
SOURCES = {"job_seekers": SOURCE, "long_term_share": SOURCE, "in_services": SOURCE,
           "vacancies": SOURCE, "sector_shares": "assumption: read off employment by industry",
           "municipalities": SOURCE + ", kunnittain"}


def _cli_sources() -> list[str]:
    options = {"job_seekers": "job-seekers", "long_term_share": "long-term-share",
               "in_services": "in-services", "vacancies": "vacancies",
               "sector_shares": "sectors", "municipalities": "municipalities"}
    return [arg for key, text in SOURCES.items() for arg in (f"--source-{options[key]}", text)]


@pytest.mark.parametrize("left_out", [(), ("vacancies", "sector_shares", "municipalities")])
def test_the_form_writes_the_file_new_region_writes_for_the_same_figures(tmp_path, left_out
                                                                         ) -> None:
    values = {k: ("" if k in left_out else v) for k, v in FORM.items()}
    sources = {k: ("" if k in left_out else v) for k, v in SOURCES.items()}
    built = build("Vaasa test region", values, sources)
    skip = {"--vacancies", "--sectors", "--municipalities", "--source-vacancies",
            "--source-sectors", "--source-municipalities"} if left_out else set()
    args: list[str] = []
    pairs = CLI + _cli_sources()
    for option, value in zip(pairs[::2], pairs[1::2], strict=True):
        if option not in skip:
            args += [option, value]
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "new-region",
                           "Vaasa test region", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    written = tmp_path / built.file_name  # the command line's default name is the form's
    assert built.region.text == written.read_text(encoding="utf-8")
    assert len(built.region.defaults) == len(left_out)


@pytest.mark.parametrize(("field", "typed", "said"), [
    ("long_term_share", "1,2", "above 1"),
    ("in_services", "12 000", "more than the"),
    ("vacancies", "paljon", "is not a number"),
    ("sector_shares", "services 0,3", "name=value"),
])
def test_a_bad_figure_is_refused_in_one_line_naming_it(field, typed, said) -> None:
    values = {**FORM, field: typed}
    with pytest.raises(FigureError) as refused:
        build("Vaasa test region", values, SOURCES)
    assert refused.value.figure == field and said in refused.value.message
    assert "\n" not in str(refused.value)


def test_a_figure_without_its_source_and_a_source_without_its_figure_are_refused() -> None:
    with pytest.raises(FigureError, match="without a source"):
        build("Vaasa", {"job_seekers": "9000"}, {})
    with pytest.raises(FigureError, match="a source without its figure"):
        build("Vaasa", {"job_seekers": "9000"}, {"job_seekers": SOURCE, "vacancies": SOURCE})
