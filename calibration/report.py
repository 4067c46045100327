"""The fit report: each target against its simulated value (Markdown and HTML)."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from calibration.msm import Outcome


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.4g}"


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| target | scenario | metric (scope) | target ± tolerance | simulated [95 % CI] "
             "| result | source |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        sim = (f"{_num(r['simulated'])} [{_num(r['ci_low'])}, {_num(r['ci_high'])}]"
               if math.isfinite(r["simulated"]) else "–")
        result = {"within": "✅ within", "missed": "❌ missed",
                  "not yet simulated": "⏳ not yet simulated"}[r["status"]]
        if r["reason"]:
            result += f": {r['reason']}"
        lines.append(f"| {r['target_id']} | {r['scenario']} | `{r['metric']}` ({r['scope']}) | "
                     f"{_num(r['target'])} ± {_num(r['tolerance'])} {r['unit']} | {sim} | "
                     f"{result} | {r['source']} |")
    return lines


def markdown(outcome: Outcome, command: str) -> str:
    s = outcome.settings
    fit = [r for r in outcome.rows if r["use"] == "fit" and r["status"] != "not yet simulated"]
    # a pilot's reported figures are fitted only by the posterior's second stage (its levers):
    # to this fit they are checks like the validate rows
    val = [r for r in outcome.rows if r["use"] in ("validate", "pilot")
           and r["status"] != "not yet simulated"]
    pending = [r for r in outcome.rows if r["status"] == "not yet simulated"]

    def count(rows: list[dict[str, Any]]) -> str:
        return f"{sum(r['status'] == 'within' for r in rows)} of {len(rows)} within tolerance"

    if outcome.fitted_by:  # a re-check: no search ran
        how = [f"- Re-check only: the values below are `calibration/fitted.toml` as it stands, "
               f"{outcome.fitted_by}; no search ran and fitted.toml was not rewritten.",
               f"- This check: every target at {s.report_scale:g} × the scenarios' population "
               f"with {s.report_seeds} seeds (seed {s.seed})."]
    else:
        how = [f"- Method: simulated moments, distance Σ weight/tolerance² · (simulated − "
               f"target)² over the `fit` rows; {s.seeds} common seeds (seed {s.seed}) for every "
               f"candidate; stages 1–3 at {s.scale:.3g} × the scenarios' population; this check "
               f"at {s.report_scale:g} × with {s.report_seeds} seeds.",
               f"- Search: Optuna TPE (seed {s.seed}), {len(outcome.trials)} candidates; study "
               f"`{outcome.study_name}` (SQLite, `--study`; rerunning the command resumes it)."]
    lines = [
        "# Calibration report",
        "",
        f"Command: `{command}`",
        "",
        *how,
        f"- Runtime: {outcome.seconds / 60:.1f} min on this machine ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in outcome.timings.items()) + ")"
        + (f"; {outcome.resumed} came from an earlier run of the same study."
           if outcome.resumed else "."),
        f"- Accepted: **{'yes' if outcome.accepted else 'no'}** — {outcome.reason}.",
        f"- Fitted targets: {count(fit)}. Out-of-sample checks: {count(val)}. "
        f"Not yet simulated: {len(pending)}.",
        "",
        "## Fitted values",
        "",
        "| parameter | value |",
        "|---|---|",
    ]
    for path, value in outcome.values.items():
        shown = ", ".join(_num(v) for v in value) if isinstance(value, list) else _num(value)
        lines.append(f"| `{path}` | {shown} |")
    if outcome.trials:
        best = min(outcome.trials, key=lambda t: (t["distance"], t["number"]))
        first = outcome.trials[0]
        lines += ["", f"Distance of the starting point {first['distance']:.2f}, of the best "
                  f"candidate ({best['number']}) {best['distance']:.2f} (at reduced scale)."]
    lines += ["", "## Fitted targets (in-sample)", "", *_table(fit),
              "", "## Out-of-sample checks (`validate` rows, never in the distance)", "",
              *_table(val), "", "## Not yet simulated", "",
              "Rows whose scenario or metric does not exist yet (marked `status = pending`).",
              "", *_table(pending), ""]
    return "\n".join(lines)


def figure(outcome: Outcome) -> go.Figure:
    rows = [r for r in outcome.rows if math.isfinite(r["simulated"])]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.65, 0.35],
                        subplot_titles=("Simulated − target, in tolerances (band = ±1)",
                                        "Search: distance by candidate"))
    for use, colour in (("fit", "#1f77b4"), ("validate", "#ff7f0e")):
        sel = [r for r in rows if r["use"] == use or (use == "validate" and r["use"] == "pilot")]
        dev = [(r["simulated"] - r["target"]) / r["tolerance"] for r in sel]
        lo = [(r["simulated"] - r["ci_low"]) / r["tolerance"] for r in sel]
        hi = [(r["ci_high"] - r["simulated"]) / r["tolerance"] for r in sel]
        fig.add_trace(go.Scatter(
            x=dev, y=[r["target_id"] for r in sel], mode="markers", name=use,
            marker={"color": colour, "size": 9,
                    "symbol": ["circle" if r["status"] == "within" else "x" for r in sel]},
            error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo},
            customdata=[[r["target"], r["simulated"], r["metric"], r["scenario"]] for r in sel],
            hovertemplate="%{y}<br>%{customdata[3]}: %{customdata[2]}<br>target "
                          "%{customdata[0]:.4g}, simulated %{customdata[1]:.4g}<extra></extra>"),
            row=1, col=1)
    fig.add_vrect(x0=-1, x1=1, fillcolor="green", opacity=0.1, line_width=0, row=1, col=1)
    if outcome.trials:
        fig.add_trace(go.Scatter(x=[t["number"] for t in outcome.trials],
                                 y=[t["distance"] for t in outcome.trials], mode="markers+lines",
                                 name="candidate distance", marker={"color": "#555"}),
                      row=1, col=2)
        fig.update_yaxes(type="log", row=1, col=2)
    fig.update_layout(height=max(500, 22 * len(rows) + 150), title="pilotsim calibration",
                      template="plotly_white")
    return fig


def write_reports(outcome: Outcome, out_dir: Path, command: str) -> tuple[Path, Path]:
    text = markdown(outcome, command)
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text(text, encoding="utf-8")
    fig_html = figure(outcome).to_html(full_html=False, include_plotlyjs=True)  # offline
    body = "".join(f"<pre>{html.escape(text)}</pre>")
    html_path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>pilotsim calibration</title>"
        "</head><body>" + fig_html + body + "</body></html>\n", encoding="utf-8")
    return md_path, html_path
