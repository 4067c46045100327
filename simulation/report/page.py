"""The planner's report: one self-contained HTML file per set of comparisons.

For each scenario against its baseline the report says in plain words what changes and for
whom, shows the effects with 95 % intervals (table) and the weekly paths with 10–90 % bands
across replications (figure), the cost by payer and item (who saves, who pays more),
provider economics where providers take part, optionally the power of evaluation designs,
every assumption and source, the calibration status of the parameters and a reproducibility
block. Plotly's JavaScript is embedded once; the file needs no network and no fonts.

This module lays out the page; ``sections`` computes, ``wording`` writes sentences and
numbers, ``tables``, ``figures`` and ``blocks`` make its parts.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from simulation.experiments.outputs import write_output
from simulation.report.blocks import (
    calibration_block,
    power_block,
    provenance_block,
    reproducibility_block,
    version,
)
from simulation.report.figures import Figures, cost_figure, series_figure
from simulation.report.headline import Scale, headline
from simulation.report.sections import Reproducibility, Section, cost_frame
from simulation.report.summary import forest_figure, summary_rows
from simulation.report.tables import (
    cost_table,
    effects_table,
    gross_net_table,
    html_table,
    provider_table,
)
from simulation.report.uncertainty_block import drivers_block, uncertainty_block
from simulation.report.wording import summary_paragraphs

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


def executive_summary(sections: Sequence[Section], figures: Figures) -> str:
    """One page before the details: a row per scenario, a forest plot of the headline effects
    and each scenario's headline sentence."""
    comparisons = [s.comparison for s in sections]
    header, rows = summary_rows(comparisons)
    sentences = []
    for s in sections:
        runs = s.scenario_runs
        weeks = int(runs[0].weekly["week"].max()) if runs else s.scenario.weeks
        size = s.scenario.region.job_seekers
        sentences.append(f"<p><b>{html.escape(s.scenario.title or s.scenario.name)}.</b> "
                         + html.escape(headline(s.comparison, weeks, len(s.scenario_runs),
                                                Scale(size, size))) + "</p>")
    return ('<section id="summary"><h2>Summary</h2><p>Effects against each scenario\'s '
            "baseline (scenario − baseline; euros over the whole run; “?” marks an interval "
            "that includes zero).</p>" + html_table(header, [[html.escape(c) for c in r]
                                                            for r in rows], "num")
            + figures.html(forest_figure(comparisons)) + "".join(sentences) + "</section>")


def render(sections: Sequence[Section], repro: Reproducibility, title: str | None = None
           ) -> str:
    """The complete HTML document."""
    figures = Figures()
    names = [f"{s.scenario.name} vs {s.baseline.name}" for s in sections]
    title = title or ("pilotsim report: " + (names[0] if len(names) == 1 else
                                             f"{len(names)} scenarios against their baselines"))
    nav = "".join(f'<a href="#s{i}">{html.escape(n)}</a>' for i, n in enumerate(names))
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by pilotsim "
            f"{html.escape(version('pilotsim'))}; {repro.replications} paired replications "
            f"per scenario, seed {repro.seed}. Effects are scenario − baseline with the same "
            "random numbers (the same people, the same luck), with t-based 95 % intervals "
            "across replications.</p>",
            f"<nav><a href=\"#summary\">Summary</a> {nav} "
            "<a href=\"#sources\">Assumptions and sources</a> "
            "<a href=\"#calibration\">Calibration</a> "
            "<a href=\"#reproducibility\">Reproducibility</a></nav>"]
    body.append(executive_summary(sections, figures))
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
        uncertain = uncertainty_block(section)
        if uncertain:
            body.append("<h3>Effects with parameter uncertainty</h3>" + uncertain)
        body.append("<h3>Gross change beside net effect</h3><p>A programme reports its own "
                    "change from start to end (gross); the baseline shows the change the region "
                    "would have seen anyway (trend); the difference is the programme's net "
                    "effect.</p>" + gross_net_table(section))
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
    body += [block for section in sections if (block := drivers_block(section))]
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


def write_report(text: str, path: Path, force: bool = False) -> None:
    """Write atomically with normal permissions; never replace an existing file unless
    ``force``, and never anything but a regular file (``OutputError``)."""
    write_output(path, lambda temp: temp.write_text(text, encoding="utf-8"), force)
