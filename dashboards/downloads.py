"""Downloads that stand alone: a file says what it holds without the page beside it.

File names carry the scenario, the changed levers and a short run id
(``pilotsim-koko_rekry-placement2500-3f9a1c2e-target.csv``). CSV files open with a block of
``#`` lines (the settings, the changed levers, the seed, the code version, the run id and the
link that restores the view) and hold numbers as plain numbers (``1434.5``, not ``"1,434"``
or ``"4.09 M"``): ``pandas.read_csv(path, comment="#")`` reads them. Figures are PNG, made
offline by plotly's ``kaleido`` with the machine's Chromium; where that fails, a small HTML
file that loads the one plotly.js this server serves instead of embedding 4.8 MB of it.
"""

from __future__ import annotations

import base64
import math
import re
from typing import Any
from urllib.parse import parse_qsl

import pandas as pd
import plotly.graph_objects as go
from dash import Dash
from flask import Response

from dashboards import firm_view, provider_view, views
from dashboards.jobs import Job
from simulation.engine.catalogue import Aggregation, in_group, metric
from simulation.experiments.compare import paired_effects
from simulation.experiments.runner import code_version
from simulation.experiments.statistics import mean_ci

PLOTLY_JS = "/pilotsim/plotly.min.js"
SHARED = ("scenario", "job_seekers", "weeks", "target", "replications", "seed", "scope")
COLUMNS = ("table", "metric", "label", "unit", "baseline", "scenario", "effect", "ci95_low",
           "ci95_high", "reliability")


def _settings(job: Job, query: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """(shared settings, changed levers) from the link; the job's own when there is none."""
    pairs = dict(parse_qsl((query or "").lstrip("?"))) if query else {}
    shared = {"scenario": job.scenario.name, "job_seekers": str(job.scenario.region
                                                                 .job_seekers),
              "weeks": str(job.weeks), "replications": str(job.replications),
              "seed": str(job.seed)}
    shared.update({k: v for k, v in pairs.items() if k in SHARED})
    levers = {k: v for k, v in pairs.items() if k not in SHARED}
    return shared, levers


def _short(path: str, value: str) -> str:
    name = path.rsplit(".", 1)[-1]
    if name.isdigit():  # a risk class of a tiered fee: name the fee and the class
        name = "".join(path.rsplit(".", 2)[-2:])
    return f"{name}{value}"


def file_stem(job: Job, query: str | None, scope: str) -> str:
    """``pilotsim-<scenario>-<changed levers or as-shipped>-<run id>-<scope>``."""
    _, levers = _settings(job, query)
    changed = "_".join(_short(k, v) for k, v in sorted(levers.items())) or "as-shipped"
    changed = re.sub(r"[^A-Za-z0-9._-]+", "-", changed)[:60].strip("-_.")
    return f"pilotsim-{job.scenario.name}-{changed}-{job.id[:8]}-{scope}"


def header(job: Job, query: str | None, scope: str, link_base: str) -> str:
    """The ``#`` block that opens every CSV download."""
    shared, levers = _settings(job, query)
    link = f"{link_base.rstrip('/')}/{query}" if query else "(none: run from the page)"
    lines = [
        f"pilotsim results: {job.scenario.name} against {job.baseline.name}, "
        f"{'target group' if scope == 'target' else 'whole region'}",
        "settings: " + ", ".join(f"{k}={shared[k]}" for k in SHARED if k in shared),
        "changed levers: " + ("; ".join(f"{k}={v}" for k, v in sorted(levers.items()))
                              or "none (the scenario as shipped)"),
        f"seed: {job.seed} (replication i of scenario and baseline share seed child i)",
        f"code version: {code_version()}",
        f"run id: {job.id}",
        f"link: {link}",
        "numbers: plain decimals; shares as fractions of 1; money in euros over the run "
        "unless the unit says per year; means over replications, effects paired by seed "
        "with 95 % intervals",
    ]
    return "".join(f"# {line}\n" for line in lines)


def _raw(summary: dict[str, float], replication: int):
    return views._run(summary, replication)


def effect_numbers(results: views.JobResults, scope: str) -> list[dict[str, Any]]:
    """The effects table of the page, as numbers."""
    prefix = "target_" if scope == "target" else ""
    effects = paired_effects([_raw(s, i) for i, s in enumerate(results.scenario)],
                             [_raw(b, i) for i, b in enumerate(results.baseline)], seed=0)
    rows = []
    for name in in_group("dashboard_effects"):
        key = prefix + name
        if key not in effects:
            continue
        shown, effect = metric(name), effects[key]
        ratio = shown.aggregation is Aggregation.PAIRED_RATIO  # an effect, with no levels
        rows.append({
            "table": "effects", "metric": key, "label": shown.label, "unit": shown.unit,
            "baseline": math.nan if ratio else
            mean_ci(b.get(key, math.nan) for b in results.baseline)["mean"],
            "scenario": math.nan if ratio else
            mean_ci(s.get(key, math.nan) for s in results.scenario)["mean"],
            "effect": effect["mean"], "ci95_low": effect["ci95_low"],
            "ci95_high": effect["ci95_high"],
            "reliability": views._reliability(effect, len(results.scenario))})
    return rows


def csv_text(store_root: Any, job: Job, scope: str, query: str | None, link_base: str) -> str:
    """Effects, providers, firm side and costs: a header block, then numbers as numbers."""
    results = views.load_results(store_root, job)
    rows = effect_numbers(results, scope)
    view = provider_view.provider_view(store_root, results)
    if view is not None:
        rows += [{"table": "providers", "metric": r["metric"], "label": r["label"],
                  "unit": r["unit"], "scenario": r["mean"], "ci95_low": r["ci95_low"],
                  "ci95_high": r["ci95_high"]} for r in view.rows]
    rows += [{"table": "firm side", **r} for r in firm_view.firm_rows(results)]
    rows += [{"table": "costs", "metric": f"{r['payer']}:{r['item']}", "label": r["item"],
              "unit": "€", "baseline": r.get("baseline", 0.0),
              "scenario": r.get("scenario", 0.0)} for r in views.cost_rows(results, scope)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return header(job, query, scope, link_base) + frame.to_csv(index=False)


def weekly_csv(store_root: Any, job: Job, scope: str, query: str | None,
               link_base: str) -> str:
    bands = views.weekly_bands(views.load_results(store_root, job), scope)
    return header(job, query, scope, link_base) + bands.to_csv(index=False)


def figure_file(fig: go.Figure, stem: str, link_base: str) -> dict[str, Any]:
    """A figure as PNG (kaleido, offline with the machine's Chromium), else as small HTML
    that loads the server's one copy of plotly.js."""
    try:
        png = fig.to_image(format="png", width=1100, height=int(fig.layout.height or 500),
                           scale=1)
        return {"content": base64.b64encode(png).decode(), "base64": True,
                "filename": f"{stem}.png"}
    except Exception:  # kaleido or Chromium missing: the page still gives the figure
        page = fig.to_html(include_plotlyjs=link_base.rstrip("/") + PLOTLY_JS,
                           full_html=True)
        return {"content": page, "filename": f"{stem}.html"}


def register(app: Dash) -> None:
    """Serve one plotly.js for downloaded HTML figures (the fallback to PNG)."""
    from plotly.offline import get_plotlyjs

    @app.server.route(PLOTLY_JS)
    def _plotly_js() -> Response:
        return Response(get_plotlyjs(), mimetype="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})
