"""The report's weekly-path figure, which is built as a plain dict and written unvalidated:
plotly must accept it as it is, and each trace must show its own series, scope and role."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulation.engine.catalogue import Kind, in_group, metric
from simulation.engine.results import RunResult
from simulation.report.figures import Figures, series_figure

SERIES = in_group("report_series")
WEEKS = 6


def _run(role: str, replication: int) -> RunResult:
    # each value says where it belongs: series, scope, role, replication and week
    rows = []
    for scope_number, scope in enumerate(("target", "region")):
        for week in range(1, WEEKS + 1):
            row = {"week": week, "scope": scope}
            for number, name in enumerate(SERIES):
                row[name] = (1000 * number + 100 * scope_number + 10 * (role == "scenario")
                             + week + replication / 10)
            rows.append(row)
    return RunResult(scenario=role, replication=replication, entropy=1, spawn_key=(0,),
                     weekly=pd.DataFrame(rows), ledger=pd.DataFrame(),
                     duration_exits=pd.DataFrame())


def _section() -> SimpleNamespace:
    return SimpleNamespace(
        baseline=SimpleNamespace(name="base"), scenario=SimpleNamespace(
            name="pilot", start_date="2017-08-01"),
        baseline_runs=[_run("baseline", r) for r in range(3)],
        scenario_runs=[_run("scenario", r) for r in range(3)])


def _values(y: object) -> np.ndarray:
    if isinstance(y, dict):  # plotly.js's typed array
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    return np.asarray(y, dtype=float)


def test_series_figure_is_a_valid_plotly_figure_with_each_trace_in_its_subplot() -> None:
    figure = series_figure(_section())  # type: ignore[arg-type]
    go.Figure(figure)  # plotly's own validation: raises on any unknown or ill-typed property
    assert len(figure["data"]) == 2 * len(SERIES) * 2 * 2
    titles = [a["text"] for a in figure["layout"]["annotations"]]
    means = [t for t in figure["data"] if t.get("mode") == "lines"]
    for trace in means:
        number = int(trace["xaxis"][1:] or 1)
        assert trace["yaxis"] == trace["xaxis"].replace("x", "y")
        scope_number, series_number = divmod(number - 1, len(SERIES))
        m = metric(SERIES[series_number])
        assert titles[number - 1].startswith(m.label)
        assert titles[number - 1].endswith("target group" if scope_number == 0
                                           else "whole region")
        role = "scenario" if trace["name"].startswith("pilot") else "baseline"
        scale = 100.0 if m.kind is Kind.SHARE else 1.0
        expected = scale * np.array(
            [1000 * series_number + 100 * scope_number + 10 * (role == "scenario") + week + 0.1
             for week in range(1, WEEKS + 1)])  # the mean of replications 0, 1 and 2
        np.testing.assert_allclose(_values(trace["y"]), expected, rtol=1e-12)
        assert trace["x"][0] == "2017-08-08" and len(trace["x"]) == WEEKS
    bands = [t for t in figure["data"] if t.get("fill") == "toself"]
    assert len(bands) == len(means)
    for band in bands:  # p90 forward, then p10 back: above the mean, then below it
        y = _values(band["y"])
        assert np.all(y[:WEEKS] >= y[WEEKS:][::-1])


def test_figures_write_dict_and_object_figures_alike() -> None:
    figures = Figures()
    first = figures.html(series_figure(_section()))  # type: ignore[arg-type]
    second = figures.html(go.Figure(go.Bar(x=["a"], y=[1])))
    assert 'id="figure-1"' in first and 'id="figure-2"' in second
    assert len(first) > 1_000_000 > len(second)  # plotly.js inline with the first only
