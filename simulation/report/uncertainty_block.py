"""The report's blocks on parameter uncertainty (``report --posterior K``): each effect with an
interval that includes it, the split of its variance and P(effect > 0), in a table and in plain
words; and, in the assumptions section, what drives each headline answer."""

from __future__ import annotations

import html
import math

from simulation.engine.catalogue import in_group, metric
from simulation.experiments.drivers import chance_level, top
from simulation.experiments.uncertainty import PosteriorEffects, sentence
from simulation.report.sections import Section
from simulation.report.tables import html_table
from simulation.report.wording import fmt_effect, number_format

SCOPES = (("target_", "target group"), ("", "whole region"))


def _interval(low: float, high: float, kind: str) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{fmt_effect(low, kind)} to {fmt_effect(high, kind)}"


def uncertainty_block(section: Section) -> str | None:
    """The effects table with parameter uncertainty and its sentences, or None."""
    u: PosteriorEffects | None = section.uncertainty
    if u is None:
        return None
    rows, sentences = [], []
    for prefix, scope in SCOPES:
        for key in in_group("report_effects"):
            name = f"{prefix}{key}"
            s = u.effects.get(name)
            if s is None:
                continue
            kind = number_format(metric(name))
            share = s["share_parameters"]
            rows.append([html.escape(metric(name).label), scope,
                         f"<b>{fmt_effect(s['mean'], kind)}</b>",
                         _interval(s["low"], s["high"], kind),
                         _interval(s["noise_low"], s["noise_high"], kind),
                         "–" if not math.isfinite(share) else f"{share:.0%}",
                         f"{s['p_positive']:.2f}"])
            if prefix and key in in_group("headline"):
                sentences.append(sentence(f"{metric(name).label} ({scope})", s))
    text = (f"<p>{u.draws} parameter sets drawn from the posterior (<code>"
            f"{html.escape(u.version)}</code>), {u.replications} paired replications under "
            "each: scenario and baseline share each draw's parameters and seeds. The interval "
            "with parameters is the 95 % range of the effect over the posterior (it includes "
            "the noise of the replications per draw); the noise-only interval is what the same "
            "runs would give if the parameters were known. “From parameters” is the parameters' "
            "share of the variance of a draw's mean effect; the rest is simulation noise. "
            "P(&gt; 0) is the share of draws with a positive mean effect.</p>")
    table = html_table(["effect", "scope", "mean", "95 % with parameters",
                        "simulation noise only", "from parameters", "P(> 0)"], rows, "num")
    words = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    return text + table + (f"<ul>{words}</ul>" if words else "")


def drivers_block(section: Section, shown: int = 5) -> str | None:
    """For each headline effect, the parameters it depends on most, or None."""
    u: PosteriorEffects | None = section.uncertainty
    if u is None or not u.drivers:
        return None
    rows = []
    floor = 1.0
    for name, frame in u.drivers.items():
        floor = chance_level(u.draws, len(frame))
        ranked = top(frame, u.draws, shown)
        cells = "; ".join(f"<code>{html.escape(p)}</code> {index:.2f} "
                          f"({'raises' if rho > 0 else 'lowers'} it)"
                          for p, index, rho in ranked) or "none above the chance level"
        rows.append([html.escape(metric(name).label), cells])
    if not rows:
        return None
    return (f"<h4>What drives each answer: {html.escape(section.scenario.name)} vs "
            f"{html.escape(section.baseline.name)}</h4><p>Over the {u.draws} parameter draws, "
            "the squared rank correlation between each uncertain parameter that acts on these "
            "runs and the draw's mean effect on the target group: the share of the effect's "
            "spread that the parameter explains alone. Only parameters above the chance level "
            f"({floor:.2f} for {u.draws} draws: a parameter without influence stays below it "
            "in 95 % of cases) are named; more draws lower it.</p>"
            + html_table(["effect", "parameters, strongest first"], rows))
