"""The planner's report: one self-contained HTML file per set of comparisons.

For each scenario against its baseline the report says in plain words what changes and for
whom, shows the effects with 95 % intervals (table) and the weekly paths with 10–90 % bands
across replications (figure), the cost by payer and item (who saves, who pays more),
provider economics where providers take part, optionally the power of evaluation designs,
every assumption and source, the calibration status of the parameters and a reproducibility
block. Plotly's JavaScript is embedded once; the file needs no network and no fonts.
"""

from __future__ import annotations

import html
import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.engine.results import RunResult
from simulation.experiments.compare import Comparison, compare_runs, significant
from simulation.experiments.power import OUTCOMES, PowerResult, power_figure
from simulation.experiments.statistics import mean_ci, summarise_replications, weekly_bands
from simulation.params.fields import PAYERS
from simulation.params.loading import content_hash, fitted_tree
from simulation.params.provenance import flatten
from simulation.params.schema import Scenario

SERIES = (("activation_rate", "Activation rate", 100.0, "%"),
          ("unemployed", "Unemployed", 1.0, "people"),
          ("long_term_unemployed", "Long-term unemployed", 1.0, "people"))
EFFECT_ROWS = (
    ("activation_rate_end", "activation rate at the end", "pp"),
    ("activation_rate_mean", "activation rate, mean over the run", "pp"),
    ("placements", "placements (jobs found)", "n"),
    ("sustained_3m", "placements lasting 3 months", "n"),
    ("sustained_12m", "placements lasting 12 months", "n"),
    ("employed_share_end", "initial members employed at the end", "pp"),
    ("weeks_to_employment", "weeks to first job (initial members, censored)", "n1"),
    ("unemployed_end", "unemployed at the end", "n"),
    ("long_term_unemployed_end", "long-term unemployed at the end", "n"),
    ("served", "people who started a service", "n"),
    ("lasting_employment_rate_served", "lasting-employment rate of those served", "pp"),
    ("mean_wait_weeks", "mean wait for a service place (weeks)", "n1"),
    ("cost_total_eur", "public cost, total", "eur"),
    ("cost_state_eur", "paid by the state", "eur"),
    ("cost_municipality_eur", "paid by municipalities", "eur"),
    ("cost_other_eur", "paid by other funds", "eur"),
    ("cost_per_net_placement_eur", "cost per net placement", "eur"),
    ("cost_per_net_lasting_placement_eur", "cost per net lasting placement", "eur"),
)
PAYER_WORDS = {"state": ("the state", "pays", "saves"),
               "municipality": ("municipalities", "pay", "save"),
               "other": ("other funds (e.g. unemployment funds)", "pay", "save")}
COLOURS = {"baseline": "#7f7f7f", "scenario": "#1f77b4"}


@dataclass
class Section:
    """One scenario compared with its baseline, with everything the report shows about it."""
    baseline: Scenario
    scenario: Scenario
    comparison: Comparison
    baseline_levels: dict[str, dict[str, float]]
    scenario_runs: list[RunResult]
    baseline_runs: list[RunResult]
    power: list[PowerResult] = field(default_factory=list)


@dataclass
class Reproducibility:
    command: str
    seed: int
    replications: int
    weeks: int
    store: str | None = None
    run_ids: dict[str, list[str]] = field(default_factory=dict)
    code_version: str = ""


def build_sections(pairs: Sequence[tuple[str, str]], loaded: Mapping[str, Scenario],
                   runs: Mapping[str, list[RunResult]], seed: int) -> list[Section]:
    """One section per (baseline key, scenario key) pair of ``compare.plan_comparisons``."""
    sections = []
    for base, name in pairs:
        levels = summarise_replications([r.summary for r in runs[base]])
        comparison = compare_runs(loaded[base], loaded[name], runs[name], runs[base], seed)
        sections.append(Section(loaded[base], loaded[name], comparison, levels,
                                runs[name], runs[base]))
    return sections


# --- numbers in words -------------------------------------------------------------------------

def _is_nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_value(value: float, kind: str) -> str:
    if _is_nan(value):
        return "–"
    if kind == "pp":
        return f"{100 * value:.1f} %"
    if kind == "eur":
        return fmt_eur(value)
    if kind == "n1":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def fmt_effect(value: float, kind: str) -> str:
    if _is_nan(value):
        return "–"
    if kind == "pp":
        return f"{100 * value:+.1f} pp"
    if kind == "eur":
        return ("+" if value > 0 else "") + fmt_eur(value)
    if kind == "n1":
        return f"{value:+,.1f}"
    return f"{value:+,.0f}"


def fmt_eur(value: float) -> str:
    if _is_nan(value):
        return "–"
    sign = "−" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        return f"{sign}{v / 1e6:,.1f} M€"
    if v >= 1e4:
        return f"{sign}{v / 1e3:,.0f} k€"
    return f"{sign}{v:,.0f} €"


def _interval(stats: Mapping[str, float], kind: str) -> str:
    low, high = stats.get("ci95_low", math.nan), stats.get("ci95_high", math.nan)
    if _is_nan(low) or _is_nan(high):
        return "–"
    if kind == "pp":
        return f"{100 * low:.1f} to {100 * high:.1f}"
    if kind == "eur":
        return f"{fmt_eur(low)} to {fmt_eur(high)}"
    return f"{low:,.0f} to {high:,.0f}" if kind == "n" else f"{low:,.1f} to {high:,.1f}"


def _sentence(stats: Mapping[str, float] | None, up: str, down: str, what: str, kind: str,
              levels: tuple[float, float] | None = None) -> str | None:
    """"raises X by 14 points (95 % CI 12 to 16)" or "no clear change in X"."""
    if not stats or _is_nan(stats.get("mean")):
        return None
    mean = stats["mean"]
    if kind == "pp":
        size = f"{abs(100 * mean):.1f} percentage points"
    elif kind == "eur":
        size = fmt_eur(abs(mean))
    else:
        size = f"{abs(mean):,.0f}"
    span = f"95 % CI {_interval(stats, kind)}"
    where = ""
    if levels and not any(_is_nan(x) for x in levels):
        where = (f", from {100 * levels[0]:.1f} % to {100 * levels[1]:.1f} %" if kind == "pp"
                 else f", from {levels[0]:,.0f} to {levels[1]:,.0f}")
    if not significant(stats):
        return f"no clear change in {what} ({fmt_effect(mean, kind)}, {span})"
    return f"{up if mean > 0 else down} {what} by {size} ({span}){where}"


def summary_paragraphs(section: Section) -> list[str]:
    """The plain-words summary of one comparison."""
    e, lv, bl = section.comparison.effects, section.comparison.levels, section.baseline_levels
    sc = section.scenario
    who = sc.target_group.description
    weeks = section.scenario_runs[0].weekly["week"].max() if section.scenario_runs else sc.weeks

    def levels(key: str) -> tuple[float, float]:
        return bl.get(key, {}).get("mean", math.nan), lv.get(key, {}).get("mean", math.nan)

    out = [f"<b>{html.escape(sc.title or sc.name)}</b> compared with "
           f"<b>{html.escape(section.baseline.title or section.baseline.name)}</b> over "
           f"{weeks} weeks from {html.escape(sc.start_date)}, {len(section.scenario_runs)} "
           f"paired replications. The target group: {html.escape(who)} "
           f"(about {levels('target_job_seekers_end')[0]:,.0f} people at the end of the "
           f"baseline run)."]
    people = [s for s in (
        _sentence(e.get("target_activation_rate_end"), "raises", "lowers",
                  "the target group's activation rate at the end", "pp",
                  levels("target_activation_rate_end")),
        _sentence(e.get("target_sustained_3m"), "raises", "lowers",
                  "the target group's placements lasting at least 3 months", "n",
                  levels("target_sustained_3m")),
        _sentence(e.get("target_employed_share_end"), "raises", "lowers",
                  "the share of the initial target group employed at the end", "pp",
                  levels("target_employed_share_end")),
        _sentence(e.get("target_long_term_unemployed_end"), "raises", "lowers",
                  "the number of long-term unemployed in the target group at the end", "n",
                  levels("target_long_term_unemployed_end")),
    ) if s]
    clear = [s for s in people if not s.startswith("no clear change")]
    unclear = [s.removeprefix("no clear change in ") for s in people if s not in clear]
    if clear:
        out.append("The pilot " + "; ".join(clear) + ".")
    if unclear:
        out.append("There is no clear change in " + "; nor in ".join(unclear) + ".")
    outside = _outside_effect(section, "placements")
    if outside is not None:
        text = _sentence(outside, "raises", "lowers",
                         "placements of job seekers outside the target group", "n")
        if text and not significant(outside):
            out.append(f"Outside the target group there is {text}.")
        elif text:
            out.append(f"Outside the target group, the pilot {text}"
                       + (" — people in the pilot partly take jobs others would have got "
                          "(displacement)." if outside["mean"] < 0 else "."))
    cost = e.get("cost_total_eur")
    if cost and not _is_nan(cost["mean"]):
        parts = []
        for payer in PAYERS:
            stats = e.get(f"cost_{payer}_eur")
            if not stats or _is_nan(stats["mean"]) or abs(stats["mean"]) < 1:
                continue
            subject, more, less = PAYER_WORDS[payer]
            mean = stats["mean"]
            parts.append((f"{subject} {more} {fmt_eur(mean)} more" if mean > 0
                          else f"{subject} {less} {fmt_eur(-mean)}")
                         + ("" if significant(stats) else " (not clearly different from zero)"))
        total = ("costs the public purse " + fmt_eur(cost["mean"]) + " more"
                 if cost["mean"] > 0 else "saves the public purse " + fmt_eur(-cost["mean"]))
        out.append(f"Over the run it {total} (95 % CI {_interval(cost, 'eur')}), counting "
                   "benefits, services, subsidies, staff and taxes from work: "
                   + "; ".join(parts) + ".")
        per = e.get("target_cost_per_net_lasting_placement_eur")
        if per and not _is_nan(per["mean"]):
            out.append(f"Each net extra lasting placement in the target group costs "
                       f"{fmt_eur(per['mean'])} (95 % CI {_interval(per, 'eur')}).")
    if any(k.startswith("provider") for k in lv):
        revenue = lv.get("provider_revenue_eur", {}).get("mean", math.nan)
        profit = lv.get("provider_profit_eur", {}).get("mean", math.nan)
        if not _is_nan(revenue):
            out.append(f"Providers earn {fmt_eur(revenue)} in fees"
                       + (f" and make {fmt_eur(profit)} in profit" if not _is_nan(profit)
                          else "") + " (see Provider economics).")
    return out


def _outside_effect(section: Section, metric: str) -> dict[str, float] | None:
    try:
        return mean_ci((s.summary[metric] - s.summary[f"target_{metric}"])
                       - (b.summary[metric] - b.summary[f"target_{metric}"])
                       for s, b in zip(section.scenario_runs, section.baseline_runs,
                                       strict=True))
    except KeyError:
        return None


# --- tables -----------------------------------------------------------------------------------

def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def effects_table(section: Section) -> str:
    e, lv, bl = section.comparison.effects, section.comparison.levels, section.baseline_levels
    rows = []
    for prefix, scope in (("target_", "target group"), ("", "whole region")):
        for key, label, kind in EFFECT_ROWS:
            name = f"{prefix}{key}"
            if name not in e:
                continue
            stats = e[name]
            mark = "✔" if significant(stats) else ""
            rows.append([html.escape(label), scope,
                         fmt_value(bl.get(name, {}).get("mean", math.nan), kind),
                         fmt_value(lv.get(name, {}).get("mean", math.nan), kind),
                         f"<b>{fmt_effect(stats['mean'], kind)}</b>",
                         _interval(stats, kind), mark])
    return _table(["metric", "scope", "baseline", "scenario", "effect", "95 % CI",
                   "CI excludes 0"], rows, "num")


def ledger_totals(runs: Sequence[RunResult]) -> pd.DataFrame:
    """Euros by payer and item, one column per replication."""
    frames = []
    for r in runs:
        totals = r.ledger.groupby(["payer", "item"], observed=True)["amount_eur"].sum()
        frames.append(totals.rename(r.replication))
    return pd.concat(frames, axis=1).fillna(0.0)


def cost_frame(section: Section) -> pd.DataFrame:
    """Paired cost differences by payer and item: baseline, scenario, effect and 95 % CI."""
    base = ledger_totals(section.baseline_runs)
    scen = ledger_totals(section.scenario_runs)
    index = base.index.union(scen.index)
    base, scen = base.reindex(index, fill_value=0.0), scen.reindex(index, fill_value=0.0)
    rows = []
    for payer, item in index:
        diff = scen.loc[(payer, item)].to_numpy() - base.loc[(payer, item)].to_numpy()
        stats = mean_ci(diff)
        rows.append({"payer": payer, "item": item, "baseline": base.loc[(payer, item)].mean(),
                     "scenario": scen.loc[(payer, item)].mean(), **stats})
    return pd.DataFrame(rows)


def cost_table(frame: pd.DataFrame) -> str:
    rows = []
    for payer, group in frame.groupby("payer", sort=False):
        for row in group.itertuples():
            if abs(row.baseline) < 0.5 and abs(row.scenario) < 0.5:
                continue
            stats = {"mean": row.mean, "ci95_low": row.ci95_low, "ci95_high": row.ci95_high}
            rows.append([html.escape(str(payer)), html.escape(str(row.item).replace("_", " ")),
                         fmt_eur(row.baseline), fmt_eur(row.scenario),
                         f"<b>{fmt_effect(row.mean, 'eur')}</b>", _interval(stats, "eur"),
                         _who(row.mean, stats)])
        total = group[["baseline", "scenario", "mean"]].sum()
        rows.append([f"<b>{html.escape(str(payer))}, total</b>", "",
                     f"<b>{fmt_eur(total['baseline'])}</b>", f"<b>{fmt_eur(total['scenario'])}</b>",
                     f"<b>{fmt_effect(total['mean'], 'eur')}</b>", "", _who(total["mean"], None)])
    return _table(["payer", "item", "baseline", "scenario", "change", "95 % CI", ""], rows,
                  "num")


def _who(mean: float, stats: Mapping[str, float] | None) -> str:
    if abs(mean) < 1:
        return ""
    word = "pays more" if mean > 0 else "saves"
    if stats is not None and not significant(stats):
        word += " (unclear)"
    return word


def provider_table(section: Section) -> str | None:
    lv, e = section.comparison.levels, section.comparison.effects
    keys = [k for k in lv if k.startswith("provider")]
    if not keys:
        return None
    rows = []
    for key in keys:
        stats = lv[key]
        kind = "eur" if key.endswith("_eur") else ("pp" if key.endswith(("_rate", "_share",
                                                                          "_survival"))
                                                   else "n1")
        effect = e.get(key)
        rows.append([html.escape(key.removeprefix("provider_").replace("_", " ")),
                     fmt_value(stats["mean"], kind), _interval(stats, kind),
                     fmt_effect(effect["mean"], kind) if effect else "–"])
    return _table(["provider metric", "scenario (mean)", "95 % CI", "effect vs baseline"],
                  rows, "num")


# --- figures ----------------------------------------------------------------------------------

def series_bands(runs: Sequence[RunResult], scope: str, metric: str) -> pd.DataFrame:
    """Per week: mean and the 10 % and 90 % quantiles across replications."""
    weekly = pd.concat([r.weekly[r.weekly["scope"] == scope].assign(replication=r.replication)
                        for r in runs], ignore_index=True)
    return weekly_bands(weekly, [metric])


def series_figure(section: Section):  # noqa: ANN201 - go.Figure
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    titles = [f"{label} — {scope}" for scope in ("target group", "whole region")
              for _, label, _, _ in SERIES]
    fig = make_subplots(rows=2, cols=3, subplot_titles=titles, vertical_spacing=0.14)
    start = date.fromisoformat(section.scenario.start_date)
    for row, scope in enumerate(("target", "region"), start=1):
        for col, (metric, _label, scale, _unit) in enumerate(SERIES, start=1):
            for role, runs, name in (("baseline", section.baseline_runs,
                                      section.baseline.name),
                                     ("scenario", section.scenario_runs,
                                      section.scenario.name)):
                bands = series_bands(runs, scope, metric)
                x = [start + timedelta(weeks=int(w)) for w in bands["week"]]
                colour = COLOURS[role]
                first = row == 1 and col == 1
                fig.add_trace(go.Scatter(
                    x=x + x[::-1], y=list(scale * bands["p90"]) + list(scale * bands["p10"])[::-1],
                    fill="toself", fillcolor=_rgba(colour, 0.2), line={"width": 0},
                    hoverinfo="skip", showlegend=first, legendgroup=role,
                    name=f"{name}: 10–90 % of replications"), row=row, col=col)
                fig.add_trace(go.Scatter(x=x, y=scale * bands["mean"], mode="lines",
                                         line={"color": colour}, legendgroup=role,
                                         showlegend=first, name=f"{name}: mean"),
                              row=row, col=col)
    fig.update_layout(height=620, margin={"t": 60, "b": 40},
                      legend={"orientation": "h", "y": -0.08})
    return fig


def cost_figure(frame: pd.DataFrame, title: str):  # noqa: ANN201 - go.Figure
    import plotly.graph_objects as go

    fig = go.Figure()
    shown = frame[(frame["mean"].abs() >= 1)]
    for item, group in shown.groupby("item", sort=True):
        fig.add_trace(go.Bar(x=group["payer"], y=group["mean"] / 1e6,
                             name=str(item).replace("_", " "),
                             error_y={"type": "data", "symmetric": False,
                                      "array": (group["ci95_high"] - group["mean"]) / 1e6,
                                      "arrayminus": (group["mean"] - group["ci95_low"]) / 1e6}))
    fig.update_layout(barmode="relative", title=title, height=420,
                      yaxis_title="change in cost, M€ (negative = saving)",
                      xaxis={"categoryorder": "array", "categoryarray": list(PAYERS)})
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# --- provenance and calibration ---------------------------------------------------------------



def provenance_kind(text: str | None) -> str:
    if text is None:
        return "default"
    if text.startswith("source: fitted"):
        return "fitted"
    if text.startswith("source:"):
        return "sourced"
    if text.startswith("assumption: set by the user"):
        return "set by the user"
    return "assumption" if text.startswith("assumption:") else "other"


def parameter_rows(scenario: Scenario, relative_to: Scenario | None = None
                   ) -> list[dict[str, str]]:
    """Each parameter with its value, kind (sourced, fitted, assumption, default) and text.

    With ``relative_to``, only the parameters whose value or provenance differ from it.
    """
    skip = {"provenance", "name", "title", "description", "sources", "extends", "baseline"}
    values = dict(flatten(scenario.model_dump(mode="json", exclude=skip)))
    other = dict(flatten(relative_to.model_dump(mode="json", exclude=skip))) \
        if relative_to else None
    rows = []
    for path, value in values.items():
        text = scenario.provenance.get(path)
        if other is not None and path in other and other[path] == value \
                and relative_to.provenance.get(path) == text:
            continue
        if text is None and not _numeric(value):
            continue  # switches and labels: not numbers that need a source
        rows.append({"parameter": path, "value": json.dumps(value, ensure_ascii=False),
                     "kind": provenance_kind(text),
                     "text": (text or "schema default").split(": ", 1)[-1]})
    return rows


def _numeric(value: Any) -> bool:
    if isinstance(value, list):
        return any(_numeric(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def provenance_block(scenario: Scenario, relative_to: Scenario | None = None) -> str:
    rows = parameter_rows(scenario, relative_to)
    counts = pd.Series([r["kind"] for r in rows]).value_counts().to_dict() if rows else {}
    tally = ", ".join(f"{n} {k}" for k, n in counts.items())
    sources = "".join(f"<li>{html.escape(s)}</li>" for s in scenario.sources)
    body = _table(["parameter", "value", "kind", "source or assumption"],
                  [[f"<code>{html.escape(r['parameter'])}</code>", html.escape(r["value"]),
                    f'<span class="kind {r["kind"].replace(" ", "-")}">{r["kind"]}</span>',
                    html.escape(r["text"])] for r in rows])
    scope = (f"parameters that differ from {html.escape(relative_to.name)}" if relative_to
             else "every numeric parameter")
    return (f"<h4>{html.escape(scenario.name)}</h4><p>Sources named by the file:</p>"
            f"<ul>{sources or '<li>none</li>'}</ul>"
            f"<details><summary>{len(rows)} {scope}: {tally or 'none'}</summary>{body}"
            f"</details>")


def calibration_block(scenarios: Sequence[Scenario]) -> str:
    tree = fitted_tree()
    fitted = [(path.removesuffix(".value"), node) for path, node in _fitted_leaves(tree)]
    users = [s.name for s in scenarios if s.apply_fit]
    rows = [[f"<code>{html.escape(path)}</code>",
             html.escape(json.dumps(node.get("value"))),
             html.escape(str(node.get("source") or node.get("assumption") or ""))]
            for path, node in fitted]
    parts = [f"<p>{len(fitted)} parameters are fitted (<code>calibration/fitted.toml</code>); "
             f"scenarios in this report that apply the fit: "
             f"{html.escape(', '.join(users)) or 'none'}. Every other number is sourced or an "
             "assumption, as listed under Assumptions and sources.</p>",
             _table(["fitted parameter", "value", "how it was fitted"], rows)]
    folder = Path(str(resources.files("calibration")))
    report_md = folder / "report.md"
    if report_md.exists():
        text = report_md.read_text(encoding="utf-8")
        stamp = datetime.fromtimestamp(report_md.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M")
        parts.append(f"<details open><summary>Fit report (calibration/report.md, written "
                     f"{stamp} UTC)</summary><pre class=\"md\">{html.escape(text)}</pre>"
                     "</details>")
    else:
        parts.append("<p>No fit report (calibration/report.md) yet: goodness of fit is not "
                     "shown here.</p>")
    return "".join(parts)


def _fitted_leaves(node: Any, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict) and "value" in node:
        return [(prefix, node)]
    if isinstance(node, dict):
        rows = []
        for key, value in node.items():
            rows.extend(_fitted_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return []


# --- power ------------------------------------------------------------------------------------

def power_block(section: Section) -> tuple[str, Any] | None:
    if not section.power:
        return None
    parts = []
    for r in section.power:
        label = OUTCOMES[r.outcome][0]
        eff = r.effect
        need = ("never (between-region differences are larger than the effect)"
                if math.isinf(r.required_size) and r.design == "comparison-region"
                else "never (the model predicts no effect)" if math.isinf(r.required_size)
                else f"{r.required_size:,.0f} clients" + (" per arm" if r.design == "rct"
                                                          else " per region"))
        rows = [[f"{int(t.size):,}", f"{t.power:.2f}", f"{100 * t.mde:.2f} pp",
                 html.escape(t.sampling)] for t in r.table.itertuples()]
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in r.notes)
        parts.append(
            f"<h4>{'Randomised trial (individuals)' if r.design == 'rct' else 'Comparison region'}"
            f"</h4><p>Outcome: {html.escape(label)} among the target group's initial members "
            f"(≈{r.cohort_size:,.0f} people): {100 * r.baseline_rate:.1f} % in the baseline, "
            f"{100 * r.scenario_rate:.1f} % with the pilot; predicted effect "
            f"<b>{100 * eff['mean']:+.2f} pp</b> (95 % CI {100 * eff['ci95_low']:.2f} to "
            f"{100 * eff['ci95_high']:.2f}). Size needed to detect an effect of that size with "
            f"{100 * r.target_power:.0f} % power "
            f"at α = {r.alpha}: <b>{need}</b>. {r.resamples} resamples over "
            f"{r.replications} replications.</p>"
            + _table(["pilot size", "power", "MDE (80 % power)", "people drawn"], rows, "num")
            + f"<ul class=\"notes\">{notes}</ul>")
    return "".join(parts), power_figure(section.power, "Evaluation design: power and MDE")


# --- the document -----------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:0 auto;max-width:1200px;padding:1em 2em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .5em;vertical-align:top}
th{background:#f4f4f4;text-align:left} table.num td{text-align:right}
table.num td:first-child,table.num td:nth-child(2){text-align:left}
.summary p{font-size:1.05em} .kind{padding:0 .3em;border-radius:3px}
.assumption{background:#fff3cd} .sourced{background:#d4edda} .fitted{background:#d1ecf1}
.default{background:#eee} .set-by-the-user{background:#f8d7da}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.85em;white-space:pre-wrap}
nav a{margin-right:1em} code{font-size:.9em} details{margin:.4em 0}
"""


class _Figures:
    """Plotly figures as HTML; the first carries plotly.js inline, the rest reuse it."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, fig: Any) -> str:
        self.count += 1
        return fig.to_html(full_html=False, include_plotlyjs=self.count == 1,
                           div_id=f"figure-{self.count}",
                           config={"displaylogo": False, "responsive": True})


def render(sections: Sequence[Section], repro: Reproducibility, title: str | None = None
           ) -> str:
    """The complete HTML document."""
    figures = _Figures()
    names = [f"{s.scenario.name} vs {s.baseline.name}" for s in sections]
    title = title or ("pilotsim report: " + ", ".join(names))
    nav = "".join(f'<a href="#s{i}">{html.escape(n)}</a>' for i, n in enumerate(names))
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by pilotsim "
            f"{html.escape(_version('pilotsim'))}; {repro.replications} paired replications "
            f"per scenario, seed {repro.seed}. Effects are scenario − baseline with the same "
            "random numbers (the same people, the same luck), with t-based 95 % intervals "
            "across replications.</p>",
            f"<nav>{nav} <a href=\"#sources\">Assumptions and sources</a> "
            "<a href=\"#calibration\">Calibration</a> "
            "<a href=\"#reproducibility\">Reproducibility</a></nav>"]
    for i, section in enumerate(sections):
        sc = section.scenario
        body.append(f'<section id="s{i}"><h2>{html.escape(sc.title or sc.name)} '
                    f"<small>({html.escape(sc.name)} vs {html.escape(section.baseline.name)})"
                    "</small></h2>")
        if sc.description:
            body.append(f"<p><i>{html.escape(sc.description)}</i></p>")
        body.append('<div class="summary"><h3>In plain words</h3>'
                    + "".join(f"<p>{p}</p>" for p in summary_paragraphs(section)) + "</div>")
        body.append("<h3>Effects with 95 % confidence intervals</h3>" + effects_table(section))
        body.append("<h3>Over time</h3><p>Mean and 10–90 % band across replications.</p>"
                    + figures.html(series_figure(section)))
        costs = cost_frame(section)
        body.append("<h3>Cost by payer and item</h3><p>Euros over the whole run, scenario − "
                    "baseline (negative = saving; tax revenue from work is a negative cost)."
                    "</p>" + figures.html(cost_figure(costs, "Change in cost by payer"))
                    + cost_table(costs))
        providers = provider_table(section)
        if providers:
            body.append("<h3>Provider economics</h3>" + providers)
        power = power_block(section)
        if power:
            text, fig = power
            body.append("<h3>Evaluating the pilot: power and minimum detectable effect</h3>"
                        + text + figures.html(fig))
        body.append("</section>")
    body.append('<section id="sources"><h2>Assumptions and sources</h2><p>Each number is '
                '<span class="kind sourced">sourced</span>, <span class="kind fitted">fitted'
                '</span>, an <span class="kind assumption">assumption</span> or a '
                '<span class="kind default">schema default</span>.</p>')
    seen: set[str] = set()
    for section in sections:
        if section.baseline.name not in seen:
            seen.add(section.baseline.name)
            body.append(provenance_block(section.baseline))
        body.append(provenance_block(section.scenario, section.baseline))
    body.append("</section>")
    scenarios = list({s.name: s for sec in sections
                      for s in (sec.baseline, sec.scenario)}.values())
    body.append('<section id="calibration"><h2>Calibration status</h2>'
                + calibration_block(scenarios) + "</section>")
    body.append('<section id="reproducibility"><h2>Reproducibility</h2>'
                + reproducibility_block(repro, scenarios) + "</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def reproducibility_block(repro: Reproducibility, scenarios: Sequence[Scenario]) -> str:
    versions = [["pilotsim", _version("pilotsim")], ["code version", repro.code_version],
                ["Python", sys.version.split()[0]], ["platform", platform.platform()]]
    versions += [[p, _version(p)] for p in ("mesa", "numpy", "simpy", "pandas", "scipy",
                                              "plotly")]
    rows = [[html.escape(k), f"<code>{html.escape(v)}</code>"] for k, v in versions]
    rows += [["seed", f"<code>{repro.seed}</code> (replication i uses "
                      f"SeedSequence({repro.seed}, spawn_key=(i,)))"],
             ["replications", str(repro.replications)], ["weeks", str(repro.weeks)],
             ["command", f"<code>{html.escape(repro.command)}</code>"]]
    hashes = "".join(f"<li><code>{html.escape(s.name)}</code>: content hash "
                     f"<code>{content_hash(s)}</code></li>" for s in scenarios)
    if repro.run_ids:
        ids = "".join(f"<li><code>{html.escape(name)}</code>: "
                      + " ".join(f"<code>{html.escape(i)}</code>" for i in run_ids) + "</li>"
                      for name, run_ids in repro.run_ids.items())
        stored = (f"<details><summary>Run ids in the results store "
                  f"<code>{html.escape(repro.store or '')}</code></summary><ul>{ids}</ul>"
                  "</details>")
    else:
        stored = "<p>Runs were not stored (<code>--no-store</code>).</p>"
    return (_table(["", ""], rows) + f"<p>Scenarios:</p><ul>{hashes}</ul>" + stored)


def write_report(text: str, path: Path, force: bool = False) -> None:
    """Write atomically; never replace an existing file unless ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it private; a report is to share
        if force:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # FileExistsError if it appeared meanwhile
    finally:
        Path(temp).unlink(missing_ok=True)
