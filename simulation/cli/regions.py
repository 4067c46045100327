"""``pilotsim new-region``: a region baseline from published figures, each with its source.

The figures come as options (``--job-seekers 28500 --source-job-seekers "..."``) or as a small
figures file (``--figures FILE.toml``, the same value tables as a scenario file); the builder
(:mod:`simulation.params.new_region`) checks them and writes the scenario text; this module
reads, prints and writes. A refused figure is one line naming its option, exit status 2, and
nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from simulation.cli.common import UsageError, err, guarded, note, out
from simulation.cli.paths import input_file
from simulation.experiments.outputs import check_output, write_output

if TYPE_CHECKING:
    from simulation.params.new_region import Figure, RegionFigures

# the option that carries each figure, as the one-line errors name it
OPTION = {"job_seekers": "--job-seekers", "long_term_share": "--long-term-share",
          "in_services": "--in-services", "vacancies": "--vacancies",
          "sector_shares": "--sectors", "municipalities": "--municipalities"}

SourceOption = Annotated[str | None, typer.Option(
    help="Where the figure comes from; \"assumption: why\" for a guess")]


def parse_pairs(text: str, option: str) -> dict[str, float]:
    """``"Oulu=0.49,Muut kunnat=0.51"`` → ``{"Oulu": 0.49, "Muut kunnat": 0.51}``."""
    pairs: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option}: give name=value pairs separated by commas, "
                             f"e.g. Oulu=0.49,Other=0.51 (got {part.strip()!r})")
        try:
            pairs[name.strip()] = float(value.replace("\u00a0", "").replace(" ", ""))
        except ValueError:
            raise UsageError(f"{option}: {name.strip()}: {value.strip()!r} is not a number"
                             ) from None
    return pairs


def _figure(value: Any, source: str | None, key: str) -> Figure | None:
    from simulation.params.new_region import Figure

    if value is None:
        if source is not None:
            raise UsageError(f"--source-{OPTION[key].removeprefix('--')}: a source without "
                             f"its figure {OPTION[key]}")
        return None
    return Figure(value, source or "")


def figures_from_file(path: Path) -> RegionFigures:
    """A figures file: ``name = "..."`` and a value table per figure, e.g.
    ``job_seekers = { value = 28500, source = "..." }`` (``assumption = "..."`` for a guess)."""
    from simulation.params.loading import ScenarioError, read_toml
    from simulation.params.new_region import FIGURES, Figure, RegionFigures

    label = str(path)
    try:
        data = read_toml(path)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    unknown = [k for k in data if k not in (*FIGURES, "name")]
    if unknown:
        raise UsageError(f"{label}: {unknown[0]}: unknown figure; the figures are "
                         + ", ".join(FIGURES))
    name = data.get("name")
    if not isinstance(name, str):
        raise UsageError(f"{label}: name: the region's name in quotes, e.g. name = \"Vaasa\"")
    given: dict[str, Figure] = {}
    for key in FIGURES:
        node = data.get(key)
        if node is None:
            continue
        if not isinstance(node, dict) or "value" not in node:
            raise UsageError(f"{label}: {key}: write {{ value = ..., source = \"...\" }}")
        extra = set(node) - {"value", "source", "assumption"}
        if extra:
            raise UsageError(f"{label}: {key}: unexpected key {sorted(extra)[0]!r}")
        if "assumption" in node and "source" in node:
            raise UsageError(f"{label}: {key}: give a source or an assumption, not both")
        source = (f"assumption: {node['assumption']}" if "assumption" in node
                  else node.get("source", ""))
        given[key] = Figure(node["value"], source if isinstance(source, str) else "")
    return RegionFigures(name=name, **given)


@guarded
def new_region(
        name: Annotated[str | None, typer.Argument(
            help="The region's name, e.g. Pohjois-Pohjanmaa (or give --figures)")] = None,
        job_seekers: Annotated[int | None, typer.Option(
            help="Registered unemployed job seekers (työttömät työnhakijat)")] = None,
        source_job_seekers: SourceOption = None,
        long_term_share: Annotated[float | None, typer.Option(
            help="Share of them unemployed 12 months or more, e.g. 0.286")] = None,
        source_long_term_share: SourceOption = None,
        in_services: Annotated[int | None, typer.Option(
            help="People in employment-promoting services (palveluissa)")] = None,
        source_in_services: SourceOption = None,
        vacancies: Annotated[int | None, typer.Option(
            help="Open vacancies (avoimet työpaikat)")] = None,
        source_vacancies: SourceOption = None,
        sectors: Annotated[str | None, typer.Option(
            help="Sector mix, e.g. services=0.3,industry=0.2,construction=0.1,trade=0.15,"
                 "health_social=0.15,public=0.1")] = None,
        source_sectors: SourceOption = None,
        municipalities: Annotated[str | None, typer.Option(
            help="Municipalities with shares or job-seeker counts, e.g. "
                 "\"Oulu=14000,Muut kunnat=14500\"")] = None,
        source_municipalities: SourceOption = None,
        figures_file: Annotated[Path | None, typer.Option(
            "--figures", help="A figures file (TOML) instead of the figure options")] = None,
        output: Annotated[Path | None, typer.Option(
            "--out", help="Scenario file to write (default: baseline_<region>.toml here)")]
        = None,
        force: Annotated[bool, typer.Option(help="Overwrite an existing --out file")] = False,
        ) -> None:
    """Build a region baseline from published figures, each with its source.

    Writes a scenario file that extends the calibrated baseline: the region's size, long-term
    share, activation, vacancies, sector mix and municipalities from the figures (a figure
    left out is a marked default from the baseline), every behavioural rate kept from the
    calibrated baseline as a national average (listed)."""
    from simulation.params.loading import library_names, load_scenario
    from simulation.params.new_region import FigureError, RegionFigures, build_region, slug

    options = {"job_seekers": (job_seekers, source_job_seekers),
               "long_term_share": (long_term_share, source_long_term_share),
               "in_services": (in_services, source_in_services),
               "vacancies": (vacancies, source_vacancies),
               "sector_shares": (parse_pairs(sectors, "--sectors") if sectors else None,
                                 source_sectors),
               "municipalities": (parse_pairs(municipalities, "--municipalities")
                                  if municipalities else None, source_municipalities)}
    if figures_file is not None:
        given = [OPTION[k] for k, (v, s) in options.items() if v is not None or s is not None]
        if name is not None or given:
            raise UsageError("--figures: the figures file holds the name and every figure; "
                             f"leave out {(given or ['NAME'])[0]}")
        figures = figures_from_file(input_file(figures_file, "--figures"))
        where = f"{figures_file}: "
    else:
        if name is None:
            raise UsageError("name the region (e.g. pilotsim new-region Vaasa ...) or give "
                             "--figures FILE")
        figures = RegionFigures(name=name, **{k: _figure(v, s, k)
                                              for k, (v, s) in options.items()})
        where = ""
    base = load_scenario("baseline")  # calibrated: the fit applies as for every pilot
    try:
        built = build_region(figures, base)
    except FigureError as exc:
        label = exc.figure if figures_file is not None else OPTION.get(exc.figure, exc.figure)
        raise UsageError(f"{where}{label}: {exc.message}") from None
    target = output or Path(f"baseline_{slug(figures.name)}.toml")
    check_output(target, force)

    def write(temp: Path) -> None:
        temp.write_text(built.text, encoding="utf-8")
    # the file must load as written before it replaces anything
    _check_loads(built.text, target)
    write_output(target, write, force)
    err.print(f"wrote {target} ({built.name})")
    if built.name in library_names():
        # on the command line the bare name is the library's scenario (loading.locate)
        note(f"{built.name} is also a library scenario: name this one by its path, "
             f"{target}, or rename it (scenario.name)")
    _print_built(built)


def _check_loads(text: str, target: Path) -> None:
    """Load the built text beside its destination, so a bug here never leaves a bad file."""
    import tempfile

    from simulation.params.loading import load_scenario

    folder = target.absolute().parent
    with tempfile.NamedTemporaryFile("w", suffix=".toml", dir=folder, encoding="utf-8",
                                     delete=True) as probe:
        probe.write(text)
        probe.flush()
        load_scenario(Path(probe.name))


def _print_built(built) -> None:  # noqa: ANN001 - a RegionBaseline
    from simulation.params.new_region import FIGURE_WORDS

    table = Table(title=f"{built.name}: the region's figures")
    for column in ("parameter", "value", "from"):
        table.add_column(column, overflow="fold")
    for path, entry in built.entries.items():
        table.add_row(path, json.dumps(entry.value, ensure_ascii=False),
                      f"{entry.kind}: {entry.text}")
    out.print(table)
    if built.defaults:
        out.print("defaults from the calibrated baseline (no figure entered): "
                  + "; ".join(FIGURE_WORDS[k] for k in built.defaults))
    kept = Table(title="kept from the calibrated baseline as national averages")
    for column in ("parameter", "value", "from"):
        kept.add_column(column, overflow="fold")
    for path, value, provenance in built.kept:
        kept.add_row(path, json.dumps(value, ensure_ascii=False),
                     provenance if len(provenance) < 90 else provenance[:87] + "...")
    out.print(kept)
