"""One plain sentence per result: what changes for people, what it costs and who pays, what
one net lasting placement costs (or why there is none), and how sure the model is.

The dashboard, the report and the terminal all print these sentences. Each is built from a
whole-sentence template with named fields (``Words.text``), never by gluing fragments, so a
translation can reorder it; numbers are formatted by ``Words`` too. Effects measured on a
model region smaller than the real one are scaled to the real region (counts and euros; rates
are not) and the sentence says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from simulation.experiments.compare import Comparison, significant
from simulation.params.fields import PAYERS

Stats = Mapping[str, float]


class Words:
    """English templates and number formats; a translation overrides ``text`` and the
    formats (see issue 20's catalogues)."""

    def text(self, template: str, **fields: str) -> str:
        return template.format(**fields)

    def count(self, value: float) -> str:
        return f"{abs(value):,.0f}"

    def points(self, share: float) -> str:
        return f"{abs(100 * share):.1f}"

    def euros(self, value: float) -> str:
        v = abs(value)
        if v >= 1e6:
            return f"{v / 1e6:,.1f} M€"
        if v >= 1e4:
            return f"{v / 1e3:,.0f} k€"
        return f"{v:,.0f} €"


@dataclass(frozen=True)
class Scale:
    """How the model region relates to the real one: counts and euros are multiplied by
    ``factor`` (real job seekers / modelled job seekers)."""
    modelled: int
    real: int

    @property
    def factor(self) -> float:
        return self.real / self.modelled if self.modelled else 1.0


def _ok(stats: Stats | None) -> bool:
    return bool(stats) and not math.isnan(stats.get("mean", math.nan))


def _range(stats: Stats, fmt, factor: float = 1.0) -> str:  # noqa: ANN001 - a Words method
    low, high = stats["ci95_low"] * factor, stats["ci95_high"] * factor
    sign = lambda x: "−" if x < 0 else ("+" if x > 0 else "")  # noqa: E731
    return f"{sign(low)}{fmt(low)} to {sign(high)}{fmt(high)}"


def employment_sentence(c: Comparison, scale: Scale, w: Words) -> str:
    """People in work and activation, in the target group."""
    work, act = c.effects.get("target_employed_end"), c.effects.get("target_activation_rate_end")
    parts = []
    if _ok(work):
        n = work["mean"] * scale.factor
        if significant(work):
            template = ("{n} more people in the target group are in work at the end "
                        "({range})" if n > 0 else
                        "{n} fewer people in the target group are in work at the end "
                        "({range})")
        else:
            template = ("no clear change in how many of the target group are in work at the "
                        "end ({range})")
        parts.append(w.text(template, n=w.count(n), range=_range(work, w.count, scale.factor)))
    if _ok(act):
        if significant(act):
            template = ("activation is {p} percentage points higher ({range})" if act["mean"] > 0
                        else "activation is {p} percentage points lower ({range})")
        else:
            template = "no clear change in activation ({range} percentage points)"
        parts.append(w.text(template, p=w.points(act["mean"]), range=_range(act, w.points)))
    if not parts:
        return ""
    return w.text("In the target group, {parts}.", parts="; ".join(parts))


def cost_sentence(c: Comparison, weeks: int, scale: Scale, w: Words) -> str:
    """The change in public cost over the run and per year, and who bears it."""
    total = c.effects.get("cost_total_eur")
    if not _ok(total):
        return ""
    f = scale.factor
    per_year = total["mean"] * f * 52 / weeks
    payers = []
    templates = {"state": ("the state pays {amount} more", "the state saves {amount}"),
                 "municipality": ("municipalities pay {amount} more",
                                  "municipalities save {amount}"),
                 "other": ("other funds pay {amount} more", "other funds save {amount}")}
    for payer in PAYERS:
        stats = c.effects.get(f"cost_{payer}_eur")
        if not _ok(stats) or abs(stats["mean"] * f) < 1:
            continue
        more, less = templates[payer]
        payers.append(w.text(more if stats["mean"] > 0 else less,
                             amount=w.euros(stats["mean"] * f)))
    if total["mean"] > 0:
        template = ("Public cost rises by {amount} over the {weeks} weeks (about {per_year} a "
                    "year; {range}): {payers}.")
    else:
        template = ("Public cost falls by {amount} over the {weeks} weeks (about {per_year} a "
                    "year; {range}): {payers}.")
    return w.text(template, amount=w.euros(total["mean"] * f), weeks=str(weeks),
                  per_year=w.euros(per_year), range=_range(total, w.euros, f),
                  payers="; ".join(payers) or "no payer's share changes clearly")


def per_placement_sentence(c: Comparison, scale: Scale, w: Words) -> str:
    """Cost per net lasting placement in the target group, or why there is none."""
    per = c.effects.get("target_cost_per_net_lasting_placement_eur")
    lasting = c.effects.get("target_sustained_3m")
    if _ok(per):
        if math.isnan(per.get("ci95_low", math.nan)):
            return w.text("Each net extra lasting placement costs about {amount}, but the "
                          "number of extra placements is too uncertain for an interval.",
                          amount=w.euros(per["mean"]))
        template = ("Each net extra lasting placement costs {amount} ({range})."
                    if per["mean"] > 0 else
                    "Each net extra lasting placement comes with a net saving of {amount} "
                    "({range}).")
        return w.text(template, amount=w.euros(per["mean"]), range=_range(per, w.euros))
    if _ok(lasting):
        template = ("There is no cost per net lasting placement: the target group has fewer "
                    "lasting placements than in the baseline ({range})."
                    if significant(lasting) and lasting["mean"] < 0 else
                    "There is no cost per net lasting placement: the pilot adds no clear "
                    "lasting placements in the target group ({range}).")
        return w.text(template, range=_range(lasting, w.count, scale.factor))
    return ""


def certainty_sentence(c: Comparison, replications: int, scale: Scale, w: Words) -> str:
    """How sure: replications, what the intervals include, and the region's size."""
    sure = [k for k in ("target_employed_end", "target_activation_rate_end", "cost_total_eur")
            if _ok(c.effects.get(k)) and significant(c.effects[k])]
    direction = ("The direction of each of these is clear" if len(sure) == 3 else
                 "Some of these directions are not clear")
    text = w.text("{direction} across {n} paired replications; the intervals show the "
                  "model's chance variation only, not doubt about its assumptions.",
                  direction=direction, n=str(replications))
    if scale.modelled != scale.real:
        text += " " + w.text("The model ran {modelled} job seekers; counts and euros are "
                             "scaled to the real region's {real}.",
                             modelled=w.count(scale.modelled), real=w.count(scale.real))
    return text


def headline(c: Comparison, weeks: int, replications: int, scale: Scale,
             w: Words | None = None) -> str:
    """The plain-words headline of one comparison."""
    w = w or Words()
    parts = (employment_sentence(c, scale, w), cost_sentence(c, weeks, scale, w),
             per_placement_sentence(c, scale, w),
             certainty_sentence(c, replications, scale, w))
    return " ".join(p for p in parts if p)
