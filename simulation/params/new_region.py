"""A region baseline from the handful of figures a planner can look up.

The public employment-service statistics (TEM's Työnvälitystilasto, an ELY centre's monthly
employment review) give, for any region: registered unemployed job seekers, the long-term
unemployed among them, people in employment-promoting services, open vacancies, and often the
sector mix and the municipalities. :func:`build_region` turns those figures, each with its
source, into the text of a scenario file that extends the calibrated ``baseline``: the region's
own size and shape, and every behavioural rate (hazards, referrals, flows, the activation
model) kept from the calibrated baseline as a national average. A figure left out is a marked
default taken from the calibrated baseline, written as an ``assumption``.

Pure: reads nothing, writes nothing. The CLI (``pilotsim new-region``) reads the figures,
calls this and writes the file.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulation.params.schema import Scenario

ASSUMPTION_PREFIX = "assumption:"
# Published shares are rounded (to 1 % or 0.1 %): a sum this close to 1 is rescaled, not refused.
SHARE_SUM_TOLERANCE = 0.02
# One hiring employer modelled per this many job seekers, as in the calibrated baseline
# (600 firms for 36,000 job seekers); results are insensitive to the count above a few hundred.
JOB_SEEKERS_PER_FIRM = 60
MIN_FIRMS = 100
# The spell bands of ``population.spell_band_shares``; the last three are 12 months or more.
LONG_TERM_BANDS = 3

FIGURES = ("job_seekers", "long_term_share", "in_services", "vacancies", "sector_shares",
           "municipalities")
"""The figures a planner enters, in the order the CLI and the figures file name them."""

FIGURE_WORDS = {
    "job_seekers": "registered unemployed job seekers",
    "long_term_share": "share of them unemployed 12 months or more",
    "in_services": "people in employment-promoting services",
    "vacancies": "open vacancies",
    "sector_shares": "sector mix of job seekers and vacancies",
    "municipalities": "municipalities and their shares of job seekers",
}

# Calibrated rates a region baseline keeps from ``baseline`` as national averages: no public
# regional statistic gives them, and the calibration fitted them to national data.
KEPT_NATIONAL = (
    "labour_market.work_hazard_by_band", "labour_market.demand_growth_per_year",
    "labour_market.matching_efficiency", "labour_market.matching_elasticity",
    "public_office.referral_by_band", "public_office.follow_on_referral",
    "public_office.caseload", "flows.inflow_per_week", "flows.prior_job_losses_per_week",
    "flows.separation_per_week", "flows.exit_out_of_labour_force_per_week",
    "flows.long_term_exit_per_week", "population.employability_sigma",
    "population.age_shares", "population.education_shares", "population.benefit_shares",
    "national_policy.activation_model.service_seeking_per_week",
)


class FigureError(ValueError):
    """A figure that cannot make a region: names the figure and says why, in one line."""

    def __init__(self, figure: str, message: str) -> None:
        super().__init__(f"{figure}: {message}")
        self.figure = figure
        self.message = message


@dataclass(frozen=True)
class Figure:
    """One published figure and where it comes from (``"assumption: why"`` for a guess)."""
    value: Any
    source: str

    @property
    def provenance_key(self) -> str:
        return "assumption" if self.is_assumption else "source"

    @property
    def is_assumption(self) -> bool:
        return self.source.lower().startswith(ASSUMPTION_PREFIX)

    @property
    def text(self) -> str:
        if self.is_assumption:
            return self.source[len(ASSUMPTION_PREFIX):].strip()
        return self.source.strip()


@dataclass(frozen=True)
class RegionFigures:
    """What the planner entered. ``None`` leaves a figure to the calibrated baseline."""
    name: str
    job_seekers: Figure | None = None
    long_term_share: Figure | None = None
    in_services: Figure | None = None
    vacancies: Figure | None = None
    sector_shares: Figure | None = None
    municipalities: Figure | None = None


@dataclass(frozen=True)
class Entry:
    """One value of the written file with its provenance (``source`` or ``assumption``)."""
    value: Any
    kind: str
    text: str


@dataclass(frozen=True)
class RegionBaseline:
    """The built region: the scenario file's text and what it took from where."""
    name: str
    text: str
    entries: dict[str, Entry]
    defaults: tuple[str, ...]  # figures left to the calibrated baseline
    kept: tuple[tuple[str, Any, str], ...] = field(default=())  # (path, value, provenance)


def slug(name: str) -> str:
    """A file and scenario name from a region's name: ``Pohjois-Pohjanmaa`` →
    ``pohjois_pohjanmaa``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def check_figures(figures: RegionFigures) -> None:
    """Refuse a figure that is missing its source, out of range, or inconsistent with another."""
    if not figures.name.strip() or not figures.name.isprintable() or len(figures.name) > 80:
        raise FigureError("name", "the region's name: 1 to 80 printable characters")
    if not slug(figures.name):
        raise FigureError("name", f"{figures.name!r} has no letters or digits to name a file by")
    for key in FIGURES:
        figure = getattr(figures, key)
        if figure is None:
            continue
        if not isinstance(figure.source, str) or not figure.source.strip() \
                or (figure.is_assumption and not figure.text):
            raise FigureError(key, f"{FIGURE_WORDS[key]} given without a source: name where "
                                   "it comes from (e.g. \"TEM Työnvälitystilasto 12/2018\"), "
                                   "or write \"assumption: why\"")
    if figures.job_seekers is None:
        raise FigureError("job_seekers", "the region's registered unemployed job seekers are "
                                         "needed: they set its size")
    unemployed = _count("job_seekers", figures.job_seekers.value, minimum=1)
    if figures.long_term_share is not None:
        share = _number("long_term_share", figures.long_term_share.value)
        if share > 1:
            raise FigureError("long_term_share", f"{share:g} is above 1: give a share, e.g. "
                                                 "0.286 for 28.6 %")
        if share < 0:
            raise FigureError("long_term_share", f"{share:g} is below 0")
    if figures.in_services is not None:
        served = _count("in_services", figures.in_services.value, minimum=0)
        if served > unemployed:
            raise FigureError("in_services", f"{served:,} people in services is more than the "
                                             f"{unemployed:,} unemployed job seekers (an "
                                             "activation rate above 50 %); check that both "
                                             "are from the same month and region")
    if figures.vacancies is not None:
        _count("vacancies", figures.vacancies.value, minimum=0)
    if figures.sector_shares is not None:
        _sector_shares(figures.sector_shares.value, SECTORS)
    if figures.municipalities is not None:
        _municipality_shares(figures.municipalities.value, unemployed)


SECTORS = ("services", "industry", "construction", "trade", "health_social", "public")


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FigureError(key, f"must be a number, got {value!r}")
    return float(value)


def _count(key: str, value: Any, minimum: int) -> int:
    number = _number(key, value)
    if number != int(number):
        raise FigureError(key, f"must be a whole number of people, got {number:g}")
    if number < minimum:
        raise FigureError(key, f"must be at least {minimum}, got {number:g}")
    return int(number)


def _shares(key: str, given: Mapping[str, Any]) -> dict[str, float]:
    if not isinstance(given, Mapping) or not given:
        raise FigureError(key, "give name=share pairs, e.g. services=0.3,industry=0.2")
    shares = {str(name).strip(): _number(key, value) for name, value in given.items()}
    for name, value in shares.items():
        if not name:
            raise FigureError(key, "a name is empty")
        if value < 0:
            raise FigureError(key, f"{name}: {value:g} is below 0")
    return shares


def _sector_shares(given: Mapping[str, Any], sectors: tuple[str, ...]) -> list[float]:
    shares = _shares("sector_shares", given)
    unknown = [s for s in shares if s not in sectors]
    if unknown:
        raise FigureError("sector_shares", f"unknown sector {unknown[0]!r}: the model's "
                                           f"sectors are {', '.join(sectors)}")
    total = sum(shares.values())
    if abs(total - 1) > SHARE_SUM_TOLERANCE:
        raise FigureError("sector_shares", f"the shares sum to {total:.3f}, not 1")
    return _normalised([shares.get(s, 0.0) for s in sectors])


def _municipality_shares(given: Mapping[str, Any], unemployed: int) -> dict[str, float]:
    """Shares as given (summing to 1) or counts of job seekers (made shares)."""
    values = _shares("municipalities", given)
    total = sum(values.values())
    if all(v <= 1 for v in values.values()):
        if abs(total - 1) > SHARE_SUM_TOLERANCE:
            raise FigureError("municipalities", f"the shares sum to {total:.3f}, not 1 (or give "
                                                "each municipality's job seekers as counts)")
    elif total > unemployed * (1 + SHARE_SUM_TOLERANCE):
        raise FigureError("municipalities", f"the counts sum to {total:,.0f}, more than the "
                                            f"region's {unemployed:,} unemployed job seekers")
    names = list(values)
    return dict(zip(names, _normalised([values[n] for n in names]), strict=True))


def _normalised(values: list[float], digits: int = 4) -> list[float]:
    """Rescaled to sum to 1, rounded, the rounding remainder on the largest share."""
    total = sum(values)
    shares = [round(v / total, digits) for v in values]
    largest = max(range(len(shares)), key=shares.__getitem__)
    shares[largest] = round(shares[largest] + 1 - sum(shares), digits)
    return shares


def _spread_long_term(national: list[float], long_term: float) -> list[float]:
    """The baseline's spell mix rescaled so the bands of 12 months or more hold ``long_term``:
    the shape within short and within long spells stays the national one."""
    short, long_ = national[:-LONG_TERM_BANDS], national[-LONG_TERM_BANDS:]
    scaled = [v * (1 - long_term) / sum(short) for v in short] \
        + [v * long_term / sum(long_) for v in long_]
    return _normalised(scaled)


def build_region(figures: RegionFigures, base: Scenario) -> RegionBaseline:
    """The region baseline for ``figures``, extending ``base`` (the calibrated ``baseline``).

    Raises :class:`FigureError` for a figure that cannot be used; nothing is built then.
    """
    check_figures(figures)
    entries: dict[str, Entry] = {}
    defaults = tuple(k for k in FIGURES if getattr(figures, k) is None)
    pop, market = base.population, base.labour_market

    unemployed_fig = figures.job_seekers
    assert unemployed_fig is not None  # check_figures refuses a region without its size
    unemployed = int(unemployed_fig.value)
    served_fig = figures.in_services
    if served_fig is not None:
        served = int(served_fig.value)
        served_text = f"{served:,} people in services ({served_fig.text})"
    else:
        activation = pop.initial_activation
        served = round(unemployed * activation / (1 - activation))
        served_text = (f"about {served:,} people in services at the calibrated baseline's "
                       f"national activation rate {100 * activation:.0f} % (default: no "
                       "regional figure entered)")
    job_seekers = unemployed + served
    sized_from = [unemployed_fig] + ([served_fig] if served_fig else [])
    entries["region.job_seekers"] = _entry(
        job_seekers, sized_from, served_fig is None,
        f"{unemployed:,} registered unemployed job seekers ({unemployed_fig.text}) + "
        f"{served_text}: the model's job seekers are the unemployed and those in services")
    entries["population.initial_activation"] = _entry(
        round(served / job_seekers, 4), sized_from, served_fig is None,
        f"activation rate = people in services / (unemployed + in services) = {served:,} / "
        f"{job_seekers:,}")

    firms = max(MIN_FIRMS, round(job_seekers / JOB_SEEKERS_PER_FIRM))
    entries["region.firms"] = Entry(firms, "assumption", (
        f"hiring employers modelled as agents, one per {JOB_SEEKERS_PER_FIRM} job seekers as in "
        f"the calibrated baseline (at least {MIN_FIRMS}); results are insensitive to the count "
        "above a few hundred"))

    if figures.long_term_share is not None:
        fig = figures.long_term_share
        share = float(fig.value)
        entries["population.spell_band_shares"] = _entry(
            _spread_long_term(list(pop.spell_band_shares), share), [fig], False,
            f"{100 * share:.1f} % unemployed 12 months or more ({fig.text}), spread over the "
            "spell bands within short and within long spells as in the calibrated baseline's "
            "national mix")
    else:
        long_term = sum(pop.spell_band_shares[-LONG_TERM_BANDS:])
        entries["population.spell_band_shares"] = Entry(
            list(pop.spell_band_shares), "assumption",
            f"default: the calibrated baseline's national spell mix, {100 * long_term:.0f} % "
            "unemployed 12 months or more (no regional long-term share entered)")

    if figures.vacancies is not None:
        fig = figures.vacancies
        vacancies = int(fig.value)
        per_seeker = round(vacancies / job_seekers, 4)
        entries["labour_market.vacancies_per_seeker"] = _entry(
            per_seeker, [fig] + sized_from, served_fig is None,
            f"{vacancies:,} open vacancies ({fig.text}) / {job_seekers:,} job seekers")
    else:
        entries["labour_market.vacancies_per_seeker"] = Entry(
            market.vacancies_per_seeker, "assumption",
            f"default: the calibrated baseline's {market.vacancies_per_seeker:g} open vacancies "
            "per job seeker (no regional vacancy count entered)")

    sectors = list(base.region.sectors)
    if figures.sector_shares is not None:
        fig = figures.sector_shares
        entries["region.sector_shares"] = _entry(
            _sector_shares(fig.value, tuple(sectors)), [fig], False,
            f"{fig.text} (rescaled to sum to 1 where rounding left them off)")
    else:
        entries["region.sector_shares"] = Entry(
            list(base.region.sector_shares), "assumption",
            "default: the calibrated baseline's sector mix of a Finnish urban region's hiring "
            "(no regional sector mix entered)")

    if figures.municipalities is not None:
        fig = figures.municipalities
        shares = _municipality_shares(fig.value, unemployed)
        municipalities, municipality_shares = list(shares), list(shares.values())
        entries["region.municipality_shares"] = _entry(
            municipality_shares, [fig], False, f"{fig.text} (as shares of the job seekers)")
    else:
        municipalities, municipality_shares = [figures.name], [1.0]
        entries["region.municipality_shares"] = Entry(
            municipality_shares, "assumption",
            "default: the region as one area (no municipalities entered)")

    kept = tuple((path, _at(base, path), base.provenance.get(path, "default (schema)"))
                 for path in KEPT_NATIONAL)
    text = _render(figures, base, entries, municipalities, sectors, defaults, kept)
    return RegionBaseline(name=f"baseline_{slug(figures.name)}", text=text, entries=entries,
                          defaults=defaults, kept=kept)


def _entry(value: Any, figures: list[Figure], defaulted: bool, text: str) -> Entry:
    """A derived value is sourced only when every figure it uses is sourced and none is a
    default; otherwise it is an assumption (and says which part is)."""
    assumed = defaulted or any(f.is_assumption for f in figures)
    return Entry(value, "assumption" if assumed else "source", text)


def _at(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _toml(value: Any) -> str:
    """A TOML literal for the plain values this file holds (JSON's are TOML's here)."""
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _value_line(key: str, entry: Entry) -> str:
    return f"{key} = {{ value = {_toml(entry.value)}, {entry.kind} = {_toml(entry.text)} }}"


def _render(figures: RegionFigures, base: Scenario, entries: dict[str, Entry],
            municipalities: list[str], sectors: list[str], defaults: tuple[str, ...],
            kept: tuple[tuple[str, Any, str], ...]) -> str:
    sources = list(dict.fromkeys(
        getattr(figures, k).text for k in FIGURES
        if getattr(figures, k) is not None and not getattr(figures, k).is_assumption))
    sources.append("the calibrated baseline (scenarios/baseline.toml with "
                   "calibration/fitted.toml): every rate not entered for the region")
    name = f"baseline_{slug(figures.name)}"
    left = ", ".join(FIGURE_WORDS[k] for k in defaults) or "none"
    header = (f"Business as usual in {figures.name}, built by `pilotsim new-region` from "
              "published figures, each with its source; a figure not entered is a marked "
              f"default from the calibrated baseline. Left to the baseline: {left}. Kept from "
              "the calibrated baseline as national averages (no regional statistic gives "
              "them): " + ", ".join(path for path, _, _ in kept) + ".")
    lines = [
        *textwrap.wrap(header, 98, initial_indent="# ", subsequent_indent="# "),
        "[scenario]",
        'extends = "baseline"',
        f"name = {_toml(name)}",
        f"title = {_toml(f'Baseline: {figures.name}, business as usual (from published figures)')}",
        "description = " + _toml(
            f"The calibrated baseline resized and reshaped to {figures.name} from published "
            "employment-service figures: its job seekers, long-term share, activation, "
            "vacancies, sector mix and municipalities; TE services, the national activation "
            "model and the calibrated labour-market behaviour as national averages."),
        "sources = [",
        *(f"  {_toml(s)}," for s in sources),
        "]",
        "",
        "[region]",
        f"name = {_toml(figures.name)}",
        _value_line("job_seekers", entries["region.job_seekers"]),
        f"municipalities = {_toml(municipalities)}",
        _value_line("municipality_shares", entries["region.municipality_shares"]),
        f"sectors = {_toml(sectors)}",
        _value_line("sector_shares", entries["region.sector_shares"]),
        _value_line("firms", entries["region.firms"]),
        "",
        "[population]",
        _value_line("spell_band_shares", entries["population.spell_band_shares"]),
        _value_line("initial_activation", entries["population.initial_activation"]),
        "",
        "[labour_market]",
        _value_line("vacancies_per_seeker", entries["labour_market.vacancies_per_seeker"]),
        "",
        "[target_group]",
        'description = "all registered job seekers (a pilot paired with this baseline brings '
        'its own target group)"',
        "[[target_group.any_of]]",
        "",
    ]
    return "\n".join(lines)
