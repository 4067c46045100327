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
from simulation.i18n import N_, Words, words
from simulation.report.blocks import (
    calibration_block,
    power_block,
    provenance_block,
    reproducibility_block,
    version,
)
from simulation.report.figures import Figures, cost_figure, series_figure
from simulation.report.headline import Scale, headline
from simulation.report.sections import Reproducibility, Section, cost_frame, run_weeks
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


def executive_summary(sections: Sequence[Section], figures: Figures, w: Words) -> str:
    """One page before the details: a row per scenario, a forest plot of the headline effects
    and each scenario's headline sentence."""
    comparisons = [s.comparison for s in sections]
    weeks = [run_weeks(s) for s in sections]
    header, rows = summary_rows(comparisons, w, weeks)
    sentences = []
    for s, span in zip(sections, weeks, strict=True):
        size = s.scenario.region.job_seekers
        sentences.append(f"<p><b>{html.escape(s.scenario.title or s.scenario.name)}.</b> "
                         + html.escape(headline(s.comparison, span, len(s.scenario_runs),
                                                Scale(size, size), w)) + "</p>")
    return ('<section id="summary">' + _h(w, 2, N_("Summary")) + "<p>"
            + html.escape(w.gettext(N_(
                "Effects against each scenario's baseline (scenario − baseline; euros over the "
                "whole run; “?” marks an interval that includes zero).")))
            # the header comes translated from summary_rows
            + "</p>" + html_table(header, [[html.escape(c) for c in r] for r in rows], "num")
            + figures.html(forest_figure(comparisons, w)) + "".join(sentences) + "</section>")


def _h(w: Words, level: int, message: str) -> str:
    return f"<h{level}>{html.escape(w.gettext(message))}</h{level}>"


def _a(w: Words, anchor: str, message: str) -> str:
    return f'<a href="#{anchor}">{html.escape(w.gettext(message))}</a>'


def _p(w: Words, message: str) -> str:
    return f"<p>{html.escape(w.gettext(message))}</p>"


def render(sections: Sequence[Section], repro: Reproducibility, title: str | None = None,
           lang: str | None = None, w: Words | None = None) -> str:
    """The complete HTML document, in ``lang`` (``en``, ``fi``, ``sv``; or the given ``w``)."""
    w = w or words(lang)
    figures = Figures()
    vs = w.gettext(N_("{scenario} vs {baseline}"))
    names = [vs.format(scenario=s.scenario.name, baseline=s.baseline.name) for s in sections]
    title = title or (w.text(N_("pilotsim report: {name}"), name=names[0]) if len(names) == 1
                      else w.text(N_("pilotsim report: {n} scenarios against their baselines"),
                                  n=str(len(names))))
    nav = "".join(f'<a href="#s{i}">{html.escape(n)}</a>' for i, n in enumerate(names))
    now = datetime.now(UTC)
    body = [f"<h1>{html.escape(title)}</h1>",
            "<p>" + html.escape(w.text(N_(
                "Generated {date} {time} UTC by pilotsim {version}; {n} paired replications "
                "per scenario, seed {seed}. Effects are scenario − baseline with the same random "
                "numbers (the same people, the same luck), with t-based 95 % intervals across "
                "replications."), date=w.date(now.date()), time=f"{now:%H:%M}",
                version=version("pilotsim"), n=str(repro.replications), seed=str(repro.seed)))
            + "</p>",
            "<nav>" + _a(w, "summary", N_("Summary")) + f" {nav} "
            + _a(w, "sources", N_("Assumptions and sources")) + " "
            + _a(w, "calibration", N_("Calibration")) + " "
            + _a(w, "reproducibility", N_("Reproducibility")) + "</nav>"]
    body.append(executive_summary(sections, figures, w))
    for i, section in enumerate(sections):
        sc = section.scenario
        body.append(f'<section id="s{i}"><h2>{html.escape(sc.title or sc.name)} '
                    f"<small>({html.escape(names[i])})</small></h2>")
        if sc.description:
            body.append(f"<p><i>{html.escape(sc.description)}</i></p>")
        body.append('<div class="summary">' + _h(w, 3, N_("In plain words"))
                    + "".join(f"<p>{p}</p>" for p in summary_paragraphs(section, w)) + "</div>")
        body.append(_h(w, 3, N_("Effects with 95 % confidence intervals"))
                    + effects_table(section, w))
        uncertain = uncertainty_block(section, w)
        if uncertain:
            body.append(_h(w, 3, N_("Effects with parameter uncertainty")) + uncertain)
        body.append(_h(w, 3, N_("Gross change beside net effect"))
                    + _p(w, N_("A programme reports its own change from start to end (gross); "
                               "the baseline shows the change the region would have seen "
                               "anyway (trend); the difference is the programme's net effect."))
                    + gross_net_table(section, w))
        body.append(_h(w, 3, N_("Over time"))
                    + _p(w, N_("Mean and 10–90 % band across replications."))
                    + figures.html(series_figure(section, w)))
        costs = cost_frame(section)
        body.append('<section class="cost">' + _h(w, 3, N_("Cost by payer and item"))
                    + _p(w, N_("Euros over the whole run, scenario − baseline (negative = "
                               "saving; tax revenue from work is a negative cost)."))
                    + figures.html(cost_figure(costs, w.gettext(N_("Change in cost by payer")),
                                               w))
                    + cost_table(costs, w) + "</section>")
        providers = provider_table(section, w)
        if providers:
            body.append(_h(w, 3, N_("Provider economics")) + providers)
        power = power_block(section)
        if power:
            text, fig = power
            body.append(_h(w, 3, N_("Evaluating the pilot: power and minimum detectable "
                                    "effect")) + text + figures.html(fig))
        body.append("</section>")
    body.append('<section id="sources">' + _h(w, 2, N_("Assumptions and sources")) + "<p>"
                + w.text(N_("Each number is {sourced}, {fitted}, an {assumption} or a "
                            "{default}."),
                         sourced='<span class="kind sourced">' + html.escape(
                             w.gettext(N_("sourced"))) + "</span>",
                         fitted='<span class="kind fitted">' + html.escape(
                             w.gettext(N_("fitted"))) + "</span>",
                         assumption='<span class="kind assumption">' + html.escape(
                             w.gettext(N_("assumption"))) + "</span>",
                         default='<span class="kind default">' + html.escape(
                             w.gettext(N_("schema default"))) + "</span>") + "</p>")
    seen: set[str] = set()
    for section in sections:
        if section.baseline.name not in seen:
            seen.add(section.baseline.name)
            body.append(provenance_block(section.baseline))
        body.append(provenance_block(section.scenario, section.baseline))
    body += [block for section in sections if (block := drivers_block(section, w=w))]
    body.append("</section>")
    scenarios = list({s.name: s for sec in sections
                      for s in (sec.baseline, sec.scenario)}.values())
    body.append('<section id="calibration">' + _h(w, 2, N_("Calibration status"))
                + calibration_block(scenarios) + "</section>")
    body.append('<section id="reproducibility">' + _h(w, 2, N_("Reproducibility"))
                + reproducibility_block(repro, scenarios) + "</section>")
    return (f"<!DOCTYPE html>\n<html lang=\"{w.lang}\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def write_report(text: str, path: Path, force: bool = False) -> None:
    """Write atomically with normal permissions; never replace an existing file unless
    ``force``, and never anything but a regular file (``OutputError``)."""
    write_output(path, lambda temp: temp.write_text(text, encoding="utf-8"), force)
