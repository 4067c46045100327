"""Global sensitivity analysis with SALib (``pilotsim sensitivity``).

Which parameters move which outputs: Morris elementary effects (μ*, cheap,
N·(D+1) runs) or Sobol indices (S1 and total ST, N·(D+2) runs, N a power of 2).
Parameters and bounds come from ``calibration/params.csv`` (every row, whatever
its role); outputs are metrics in the grammar of ``calibration.moments``. All
sample points run the same seeds (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from calibration.inputs import FreeParameter, nested
from calibration.moments import parse_metric, simulated_value
from simulation.experiments.runner import requests, run_many
from simulation.params.loading import deep_merge, load_scenario

DEFAULT_OUTPUTS = ("activation_rate_mean", "unemployed_end_ratio",
                   "long_term_unemployed/unemployed@end", "monthly_to_work[all]",
                   "cost_total_eur/unemployed@sum")


def problem(params: Sequence[FreeParameter]) -> dict:
    return {"num_vars": len(params), "names": [p.path for p in params],
            "bounds": [[p.lower, p.upper] for p in params]}


def sample(params: Sequence[FreeParameter], method: str, samples: int, seed: int) -> np.ndarray:
    spec = problem(params)
    if method == "morris":
        from SALib.sample import morris
        return morris.sample(spec, N=samples, num_levels=4, seed=seed)
    from SALib.sample import sobol
    return sobol.sample(spec, N=samples, calc_second_order=False, seed=seed)


def analyse(params: Sequence[FreeParameter], X: np.ndarray, Y: np.ndarray,
            outputs: Sequence[str], method: str, seed: int) -> pd.DataFrame:
    """Tidy table: output, parameter, index, its confidence, rank (1 = most influential)."""
    spec = problem(params)
    frames = []
    for j, output in enumerate(outputs):
        y = Y[:, j]
        if not np.all(np.isfinite(y)):
            y = np.where(np.isfinite(y), y, np.nanmean(y))
        if method == "morris":
            from SALib.analyze import morris
            res = morris.analyze(spec, X, y, num_levels=4, seed=seed)
            frame = pd.DataFrame({"parameter": spec["names"], "index": res["mu_star"],
                                  "confidence": res["mu_star_conf"], "sigma": res["sigma"]})
            frame["measure"] = "mu_star"
        else:
            from SALib.analyze import sobol
            res = sobol.analyze(spec, y, calc_second_order=False, seed=seed)
            frame = pd.DataFrame({"parameter": spec["names"], "index": res["ST"],
                                  "confidence": res["ST_conf"], "first_order": res["S1"]})
            frame["measure"] = "ST"
        frame["output"] = output
        scale = frame["index"].abs().max()
        frame["normalised"] = frame["index"].abs() / scale if scale > 0 else 0.0
        frame["rank"] = frame["index"].abs().rank(ascending=False, method="first").astype(int)
        frames.append(frame.sort_values("rank"))
    return pd.concat(frames, ignore_index=True)


def run_analysis(params: Sequence[FreeParameter], evaluate: Callable[[np.ndarray], np.ndarray],
                 outputs: Sequence[str], method: str, samples: int, seed: int) -> pd.DataFrame:
    """Sample, evaluate (rows of X → rows of outputs) and analyse."""
    X = sample(params, method, samples, seed)
    return analyse(params, X, evaluate(X), outputs, method, seed)


def model_evaluator(scenario: str, params: Sequence[FreeParameter], outputs: Sequence[str],
                    seeds: int, seed: int, scale: float, workers: int | None,
                    on_done: Callable | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """Evaluate sample points with the model: each point runs ``seeds`` common seeds."""
    metrics = [parse_metric(o) for o in outputs]
    base = load_scenario(scenario)
    size = max(200, round(base.region.job_seekers * scale))

    def evaluate(X: np.ndarray) -> np.ndarray:
        batch = []
        for row in X:
            overrides = deep_merge(nested({p.path: float(v) for p, v in zip(params, row,
                                                                            strict=True)}),
                                   {"region": {"job_seekers": size}})
            batch.extend(requests(load_scenario(scenario, overrides=overrides), seeds, seed))
        results = run_many(batch, workers, on_done=on_done)
        Y = np.empty((len(X), len(metrics)))
        for i in range(len(X)):
            group = results[i * seeds:(i + 1) * seeds]
            scope_metrics = [(m, "region") for m in metrics]
            Y[i] = [simulated_value(m, scope, group) for m, scope in scope_metrics]
        return Y

    evaluate.runs = lambda n: n * seeds  # type: ignore[attr-defined]
    return evaluate


def figure(table: pd.DataFrame, title: str) -> go.Figure:
    pivot = table.pivot(index="parameter", columns="output", values="normalised")
    order = pivot.mean(axis=1).sort_values().index
    pivot = pivot.loc[order]
    raw = table.pivot(index="parameter", columns="output", values="index").loc[order]
    fig = go.Figure(go.Heatmap(
        z=pivot.to_numpy(), x=list(pivot.columns), y=list(pivot.index), colorscale="Blues",
        zmin=0, zmax=1, customdata=raw.to_numpy(),
        hovertemplate="%{y} → %{x}<br>index %{customdata:.4g} (normalised %{z:.2f})"
                      "<extra></extra>",
        colorbar={"title": "relative<br>influence"}))
    fig.update_layout(title=title, template="plotly_white",
                      height=max(400, 40 * len(pivot) + 200))
    return fig


def write_html(table: pd.DataFrame, title: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig_html = figure(table, title).to_html(full_html=False, include_plotlyjs=True)  # offline
    ranked = table[["output", "rank", "parameter", "measure", "index", "confidence"]]
    path.write_text("<!doctype html><html><head><meta charset='utf-8'><title>"
                    f"{title}</title></head><body>{fig_html}"
                    f"{ranked.to_html(index=False, float_format=lambda v: f'{v:.4g}')}"
                    "</body></html>\n", encoding="utf-8")
    return path
