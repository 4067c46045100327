"""What the compare view shows, built from the results store.

``load_results`` reads a job's runs (scenario and baseline, by run id) through a lock-free
``StoreReader``; the functions below turn them into plotly figures and plain tables (lists of
dicts), the same rows the page shows and the CSV download holds.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboards.jobs import Job
from dashboards.levers import RELIABLE_REPLICATIONS
from simulation.engine.catalogue import Aggregation, in_group, metric
from simulation.engine.results import RunResult
from simulation.experiments import statistics
from simulation.experiments.compare import paired_effects
from simulation.experiments.statistics import mean_ci
from simulation.experiments.store.layout import KEY_COLUMNS
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.stored import stored_summary
from simulation.i18n import N_, Words
from simulation.params.fields import PAYERS

SCENARIO_COLOUR, BASELINE_COLOUR = "#c0392b", "#2c3e50"
CACHE_JOBS = 32
ENGLISH = Words()

# the catalogue's units as the page writes them (marked here so that they are translated)
UNITS = {"persons": N_("persons"), "share": N_("share"), "weeks": N_("weeks"),
         "firms": N_("firms"), "jobs": N_("jobs"), "€/person": N_("€/person"),
         # the provider and firm-side views' units
         "contacts": N_("contacts"), "providers": N_("providers"), "outcomes": N_("outcomes"),
         "employability": N_("employability"), "€/year": N_("€/year"),
         "vacancies": N_("vacancies")}
SYMBOLS = {"€", "%", "×"}  # the same in every language: not messages
# what a role is called on the page
ROLES = {"scenario": N_("scenario"), "baseline": N_("baseline")}


def unit_word(unit: str, w: Words = ENGLISH) -> str:
    if not unit or unit in SYMBOLS:
        return unit
    return w.gettext(UNITS.get(unit, unit))


def fmt(value: float | None, unit: str = "", w: Words = ENGLISH) -> str:
    """A number as the page shows it (the CSV holds the same rounding); in another language
    with its own separators (Finnish ``1 234,5``) through ``w``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if w.lang != "en":
        return _fmt_translated(value, unit, w)
    if unit == "share":
        return f"{value:.3f}"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M"
    if abs(value) >= 100 or value == 0:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _fmt_translated(value: float, unit: str, w: Words) -> str:
    # w.number writes the size with a real minus; the same digits as the English page
    if unit == "share":
        return w.number(value, 3)
    if abs(value) >= 1e6:
        return w.text(N_("{amount} M"), amount=w.number(value / 1e6, 2))
    return w.number(value, 0 if abs(value) >= 100 or value == 0 else 2)


@dataclass
class JobResults:
    """A job's runs read back from the store."""

    job: Job
    weekly: pd.DataFrame  # role, replication, week, scope, series columns
    scenario: list[dict[str, float]]  # summaries in replication order
    baseline: list[dict[str, float]]
    costs: pd.DataFrame  # role, payer, item, scope, eur (mean over replications)


_cache: OrderedDict[str, JobResults] = OrderedDict()
_cache_lock = Lock()


def load_results(store_root: Path | str, job: Job) -> JobResults:
    """Read a finished job's runs (cached per job: results of a run id never change)."""
    with _cache_lock:
        if job.id in _cache:
            _cache.move_to_end(job.id)
            return _cache[job.id]
    roles = [("scenario", job.scenario_runs), ("baseline", job.baseline_runs)]
    ids = sorted(job.run_ids)
    with StoreReader(store_root) as reader:
        weekly = reader.weekly(ids, metrics=list(in_group("dashboard_series")))
        summaries = reader.summaries(ids)
        metrics = reader.summary_columns(ids)
        ledger = reader.ledger(ids)
    by_id = {row["run_id"]: row for row in summaries.drop(columns=["scenario"])
             .to_dict("records")}
    frames, costs, summary = [], [], {}
    for role, runs in roles:
        missing = [run for run in runs if run not in by_id or run not in metrics]
        if missing:
            raise LookupError(f"{len(missing)} {role} runs are not in the store")
        summary[role] = [stored_summary(by_id[run], metrics[run]) for run in runs]
        for replication, run in enumerate(runs):
            part = weekly[weekly["run_id"] == run].drop(columns=list(KEY_COLUMNS))
            frames.append(part.assign(role=role, replication=replication))
        paid = ledger[ledger["run_id"].isin(runs)]
        grouped = (paid.groupby(["run_id", "payer", "item", "scope"])["amount_eur"].sum()
                   .groupby(["payer", "item", "scope"]).sum() / len(runs))
        costs.append(grouped.rename("eur").reset_index().assign(role=role))
    results = JobResults(job=job, weekly=pd.concat(frames, ignore_index=True),
                         scenario=summary["scenario"], baseline=summary["baseline"],
                         costs=pd.concat(costs, ignore_index=True))
    with _cache_lock:
        _cache[job.id] = results
        while len(_cache) > CACHE_JOBS:
            _cache.popitem(last=False)
    return results


# --- tables ------------------------------------------------------------------------------------

def _run(summary: dict[str, float], replication: int) -> RunResult:
    empty = pd.DataFrame()
    return RunResult(scenario="", replication=replication, entropy=0, spawn_key=(replication,),
                     weekly=empty, ledger=empty, duration_exits=empty, summary=summary)


SPANS_ZERO = N_("⚠ interval spans zero")


def _reliability(stats: dict[str, float], replications: int, w: Words = ENGLISH) -> str:
    low, high = stats["ci95_low"], stats["ci95_high"]
    if replications < 2:
        return w.gettext(N_("⚠ one replication: no interval"))
    if not (math.isfinite(low) and math.isfinite(high)):
        return w.gettext(N_("⚠ no interval"))
    if low == high == stats["mean"] == 0:
        return w.gettext(N_("no difference"))
    if low <= 0 <= high:
        return w.gettext(SPANS_ZERO)
    if replications < RELIABLE_REPLICATIONS:
        return w.text(N_("⚠ only {n} replications"), n=str(replications))
    return "✓"


def effects_rows(results: JobResults, scope: str, w: Words = ENGLISH) -> list[dict[str, str]]:
    """Scenario and baseline means and the paired effect with its 95 % interval."""
    prefix = "target_" if scope == "target" else ""
    scenario_runs = [_run(s, i) for i, s in enumerate(results.scenario)]
    baseline_runs = [_run(s, i) for i, s in enumerate(results.baseline)]
    effects = paired_effects(scenario_runs, baseline_runs, seed=0)
    n = len(scenario_runs)
    rows = []
    for name in in_group("dashboard_effects"):
        key = prefix + name
        if key not in effects:
            continue
        effect, shown = effects[key], metric(name)
        unit = shown.unit
        level = (mean_ci(s.get(key, math.nan) for s in results.scenario)["mean"],
                 mean_ci(b.get(key, math.nan) for b in results.baseline)["mean"])
        ratio = shown.aggregation is Aggregation.PAIRED_RATIO  # an effect, with no levels
        rows.append({"metric": key, "label": w.gettext(shown.label),
                     "unit": unit_word(unit, w),
                     "baseline": "" if ratio else fmt(level[1], unit, w),
                     "scenario": "" if ratio else fmt(level[0], unit, w),
                     "effect": fmt(effect["mean"], unit, w),
                     "ci95_low": fmt(effect["ci95_low"], unit, w),
                     "ci95_high": fmt(effect["ci95_high"], unit, w),
                     "reliability": _reliability(effect, n, w)})
    return rows


def provider_rows(results: JobResults) -> list[dict[str, str]]:
    """Provider metrics of the scenario (mean and 95 % interval over replications)."""
    rows = []
    for key in in_group("dashboard_providers"):
        if not results.scenario or key not in results.scenario[0]:
            continue
        shown, stats = metric(key), mean_ci(s[key] for s in results.scenario)
        unit = shown.unit
        rows.append({"metric": key, "label": shown.label, "unit": unit,
                     "scenario": fmt(stats["mean"], unit),
                     "ci95_low": fmt(stats["ci95_low"], unit),
                     "ci95_high": fmt(stats["ci95_high"], unit)})
    return rows


def warnings(results: JobResults, rows: list[dict[str, str]], w: Words = ENGLISH
             ) -> list[str]:
    n = len(results.scenario)
    out = []
    if n < RELIABLE_REPLICATIONS:
        template = (N_("Only 1 replication: intervals are wide or missing and effects are "
                       "unreliable; use at least {reliable}.") if n == 1 else
                    N_("Only {n} replications: intervals are wide or missing and effects are "
                       "unreliable; use at least {reliable}."))
        out.append(w.text(template, n=str(n), reliable=str(RELIABLE_REPLICATIONS)))
    spanning = [r["label"] for r in rows if r["reliability"] == w.gettext(SPANS_ZERO)]
    if spanning:
        out.append(w.text(N_("Not distinguishable from no effect (95 % interval spans zero): "
                             "{metrics}."), metrics=", ".join(spanning)))
    return out


def kpis(rows: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    """Headline effects: (title, value, interval); the rows are already in the page's
    language."""
    found = {r["metric"].removeprefix("target_"): r for r in rows}
    return [(f"Δ {found[m]['label']}", found[m]["effect"],
             f"[{found[m]['ci95_low']}, {found[m]['ci95_high']}]")
            for m in in_group("dashboard_kpis") if m in found]


def weekly_bands(results: JobResults, scope: str) -> pd.DataFrame:
    """Mean and 10–90 % band by week of each series, scenario and baseline."""
    rows = results.weekly[results.weekly["scope"] == scope]
    return statistics.weekly_bands(rows, in_group("dashboard_series"), by=["role"]).assign(
        scope=scope)


# --- figures -----------------------------------------------------------------------------------

def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def series_figure(results: JobResults, scope: str, title: str, w: Words = ENGLISH
                  ) -> go.Figure:
    bands = weekly_bands(results, scope)
    series = [metric(name) for name in in_group("dashboard_series")]
    fig = make_subplots(rows=2, cols=2, subplot_titles=[w.gettext(m.label) for m in series],
                        horizontal_spacing=0.1, vertical_spacing=0.16)
    for index, m in enumerate(series):
        name, unit = m.name, m.unit
        row, col = index // 2 + 1, index % 2 + 1
        for role, colour in (("baseline", BASELINE_COLOUR), ("scenario", SCENARIO_COLOUR)):
            part = bands[(bands["series"] == name) & (bands["role"] == role)]
            shown = index == 0
            fig.add_trace(go.Scatter(x=part["week"], y=part["p90"], mode="lines",
                                     line={"width": 0}, hoverinfo="skip", showlegend=False,
                                     legendgroup=role), row=row, col=col)
            fig.add_trace(go.Scatter(x=part["week"], y=part["p10"], mode="lines",
                                     line={"width": 0}, fill="tonexty",
                                     fillcolor=_rgba(colour, 0.18), hoverinfo="skip",
                                     name=w.text(N_("{role} 10–90 %"),
                                                 role=w.gettext(ROLES[role])),
                                     legendgroup=role,
                                     showlegend=shown), row=row, col=col)
            fig.add_trace(go.Scatter(x=part["week"], y=part["mean"], mode="lines",
                                     line={"color": colour, "width": 2},
                                     name=w.text(N_("{role} mean"), role=w.gettext(ROLES[role])),
                                     legendgroup=role, showlegend=shown), row=row, col=col)
        fig.update_yaxes(title_text=unit_word(unit, w), row=row, col=col, title_standoff=4)
        fig.update_xaxes(title_text=w.gettext(N_("week")), row=row, col=col, title_standoff=2)
    if w.lang != "en":  # the axes' numbers with the language's separators
        fig.update_layout(separators=",\u00a0")
    fig.update_layout(title=title, height=560, margin={"l": 60, "r": 20, "t": 80, "b": 40},
                      legend={"orientation": "h", "y": -0.12}, template="plotly_white")
    return fig


def item_word(item: str, w: Words = ENGLISH) -> str:
    """A payer or ledger item by its glossary term (``palkkatuki``); English keeps the data's
    own name. A strict ``w`` refuses an item the glossary lacks, as it refuses a message."""
    if w.lang == "en":
        return item
    if getattr(w, "strict", False) and w.term(item, default="") == "":
        raise KeyError(f"no {w.lang} glossary term for {item!r}")
    return w.term(item, default=item.replace("_", " "))


def cost_figure(results: JobResults, scope: str, title: str, w: Words = ENGLISH) -> go.Figure:
    costs = results.costs
    if scope == "target":
        costs = costs[costs["scope"] == "target"]
    by_payer = costs.groupby(["role", "payer"])["eur"].sum()
    by_item = costs.groupby(["role", "item"])["eur"].sum().unstack("role").fillna(0.0)
    for role in ("scenario", "baseline"):
        if role not in by_item:
            by_item[role] = 0.0
    by_item["difference"] = by_item["scenario"] - by_item["baseline"]
    by_item = by_item.sort_values("difference")
    fig = make_subplots(rows=1, cols=2, column_widths=[0.4, 0.6], horizontal_spacing=0.28,
                        subplot_titles=[w.gettext(N_("Cost by payer (mean per run)")),
                                        w.gettext(N_("Scenario − baseline, by item"))])
    for role, colour in (("baseline", BASELINE_COLOUR), ("scenario", SCENARIO_COLOUR)):
        fig.add_trace(go.Bar(x=[item_word(p, w) for p in PAYERS],
                             y=[by_payer.get((role, p), 0.0) for p in PAYERS],
                             name=w.gettext(ROLES[role]), marker_color=colour), row=1, col=1)
    fig.add_trace(go.Bar(y=[item_word(i, w) for i in by_item.index], x=by_item["difference"],
                         orientation="h",
                         marker_color=[SCENARIO_COLOUR if v > 0 else "#27ae60"
                                       for v in by_item["difference"]],
                         name=w.gettext(N_("difference")), showlegend=False), row=1, col=2)
    fig.update_yaxes(title_text="€", row=1, col=1)
    fig.update_xaxes(title_text=w.gettext(N_("€ (negative: saving or more tax revenue)")),
                     row=1, col=2)
    if w.lang != "en":
        fig.update_layout(separators=",\u00a0")
    fig.update_layout(title=title, barmode="group", height=420, template="plotly_white",
                      margin={"l": 60, "r": 20, "t": 80, "b": 50},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def cost_rows(results: JobResults, scope: str) -> list[dict[str, object]]:
    """Costs by payer and item, scenario and baseline (mean per replication), for the CSV."""
    costs = results.costs
    if scope == "target":
        costs = costs[costs["scope"] == "target"]
    table = costs.groupby(["payer", "item", "role"])["eur"].sum().unstack("role").fillna(0.0)
    table = table.reset_index()
    return table.to_dict("records")
