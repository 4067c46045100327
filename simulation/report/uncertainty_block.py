"""The report's blocks on parameter uncertainty (``report --posterior K``): each effect with an
interval that includes it, the split of its variance and P(effect > 0), in a table and in plain
words; and, in the assumptions section, what drives each headline answer. In the report's
language (``w``)."""

from __future__ import annotations

import html
import math

from simulation.engine.catalogue import in_group, metric
from simulation.experiments.drivers import chance_level, top
from simulation.experiments.uncertainty import PosteriorEffects, sentence
from simulation.i18n import N_, Words
from simulation.report.sections import Section
from simulation.report.tables import html_table
from simulation.report.wording import fmt_effect, number_format

SCOPES = (("target_", N_("target group")), ("", N_("whole region")))
ENGLISH = Words()


def _interval(low: float, high: float, kind: str, w: Words) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return w.text(N_("{low} to {high}"), low=fmt_effect(low, kind), high=fmt_effect(high, kind))


def uncertainty_block(section: Section, w: Words = ENGLISH) -> str | None:
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
            label, where = w.gettext(metric(name).label), w.gettext(scope)
            rows.append([html.escape(label), html.escape(where),
                         f"<b>{fmt_effect(s['mean'], kind)}</b>",
                         _interval(s["low"], s["high"], kind, w),
                         _interval(s["noise_low"], s["noise_high"], kind, w),
                         "–" if not math.isfinite(share) else f"{share:.0%}",
                         f"{s['p_positive']:.2f}"])
            if prefix and key in in_group("headline"):
                sentences.append(sentence(f"{label} ({where})", s, w))
    intro = w.text(N_(
        "{draws} parameter sets drawn from the posterior ({version}), {replications} paired "
        "replications under each: scenario and baseline share each draw's parameters and seeds. "
        "The interval with parameters is the 95 % range of the effect over the posterior (it "
        "includes the noise of the replications per draw); the noise-only interval is what the "
        "same runs would give if the parameters were known. “From parameters” is the "
        "parameters' share of the variance of a draw's mean effect; the rest is simulation "
        "noise. P(> 0) is the share of draws with a positive mean effect."),
        draws=str(u.draws), version=u.version, replications=str(u.replications))
    text = f"<p>{html.escape(intro)}</p>"
    table = html_table([N_("effect"), N_("scope"), N_("mean"), N_("95 % with parameters"),
                        N_("simulation noise only"), N_("from parameters"), N_("P(> 0)")],
                       rows, "num", w)
    words = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    return text + table + (f"<ul>{words}</ul>" if words else "")


def drivers_block(section: Section, shown: int = 5, w: Words = ENGLISH) -> str | None:
    """For each headline effect, the parameters it depends on most, or None."""
    u: PosteriorEffects | None = section.uncertainty
    if u is None or not u.drivers:
        return None
    rows = []
    floor = 1.0
    for name, frame in u.drivers.items():
        floor = chance_level(u.draws, len(frame))
        ranked = top(frame, u.draws, shown)
        cells = "; ".join(f"<code>{html.escape(p)}</code> {index:.2f} ("
                          + html.escape(w.gettext(N_("raises it") if rho > 0 else
                                                  N_("lowers it"))) + ")"
                          for p, index, rho in ranked) or html.escape(
            w.gettext(N_("none above the chance level")))
        rows.append([html.escape(w.gettext(metric(name).label)), cells])
    if not rows:
        return None
    title = w.text(N_("What drives each answer: {scenario} vs {baseline}"),
                   scenario=section.scenario.name, baseline=section.baseline.name)
    text = w.text(N_(
        "Over the {draws} parameter draws, the squared rank correlation between each uncertain "
        "parameter that acts on these runs and the draw's mean effect on the target group: the "
        "share of the effect's spread that the parameter explains alone. Only parameters above "
        "the chance level ({floor} for {draws} draws: a parameter without influence stays below "
        "it in 95 % of cases) are named; more draws lower it."),
        draws=str(u.draws), floor=f"{floor:.2f}")
    return (f"<h4>{html.escape(title)}</h4><p>{html.escape(text)}</p>"
            + html_table([N_("effect"), N_("parameters, strongest first")], rows, "", w))
