"""The report's blocks besides effects and costs: assumptions and sources, calibration status,
evaluation power and reproducibility."""

from __future__ import annotations

import html
import json
import math
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.experiments.power import OUTCOMES, power_figure
from simulation.params.loading import content_hash, fitted_tree
from simulation.params.provenance import flatten
from simulation.params.schema import Scenario
from simulation.report.sections import Reproducibility, Section
from simulation.report.tables import html_table


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
    body = html_table(["parameter", "value", "kind", "source or assumption"],
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
             html_table(["fitted parameter", "value", "how it was fitted"], rows)]
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
            + html_table(["pilot size", "power", "MDE (80 % power)", "people drawn"], rows, "num")
            + f"<ul class=\"notes\">{notes}</ul>")
    return "".join(parts), power_figure(section.power, "Evaluation design: power and MDE")


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def reproducibility_block(repro: Reproducibility, scenarios: Sequence[Scenario]) -> str:
    versions = [["pilotsim", version("pilotsim")], ["code version", repro.code_version],
                ["Python", sys.version.split()[0]], ["platform", platform.platform()]]
    versions += [[p, version(p)] for p in ("mesa", "numpy", "simpy", "pandas", "scipy",
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
    return (html_table(["", ""], rows) + f"<p>Scenarios:</p><ul>{hashes}</ul>" + stored)
