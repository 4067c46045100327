"""One plain sentence per result: what changes for people, what it costs and who pays, what
one net lasting placement costs (or why there is none), and how sure the model is.

The dashboard, the report and the terminal all print these sentences. Each is built from a
whole-sentence template with named fields (``Words.text``), never by gluing fragments, so a
translation can reorder it; every template is marked ``N_`` where it is written, so the
catalogues (``simulation/i18n/locales``) find it; numbers are formatted by ``Words`` too
(``simulation.i18n.words``: English, or Finnish and Swedish with Babel's formats). Effects
measured on a model region smaller than the real one are scaled to the real region (counts and
euros; rates are not) and the sentence says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from simulation.experiments.compare import Comparison, significant
from simulation.i18n import N_, Words
from simulation.params.fields import PAYERS

Stats = Mapping[str, float]


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


def _has_range(stats: Stats) -> bool:
    """One replication gives a mean but no interval (its bounds are missing)."""
    return not (math.isnan(stats.get("ci95_low", math.nan))
                or math.isnan(stats.get("ci95_high", math.nan)))


def _range(stats: Stats, fmt, w: Words, factor: float = 1.0  # noqa: ANN001 - a Words method
           ) -> str:
    if not _has_range(stats):
        return w.text(N_("one replication: no interval"))
    low, high = stats["ci95_low"] * factor, stats["ci95_high"] * factor
    sign = lambda x: "−" if x < 0 else ("+" if x > 0 else "")  # noqa: E731
    return w.text(N_("{low} to {high}"), low=f"{sign(low)}{fmt(low)}",
                  high=f"{sign(high)}{fmt(high)}")


def employment_sentence(c: Comparison, scale: Scale, w: Words) -> str:
    """People in work and activation, in the target group."""
    work, act = c.effects.get("target_employed_end"), c.effects.get("target_activation_rate_end")
    parts = []
    if _ok(work):
        n = work["mean"] * scale.factor
        if significant(work):
            template = (N_("{n} more people in the target group are in work at the end "
                           "({range})") if n > 0 else
                        N_("{n} fewer people in the target group are in work at the end "
                           "({range})"))
        else:
            template = N_("no clear change in how many of the target group are in work at the "
                          "end ({range})")
        parts.append(w.text(template, n=w.count(n), range=_range(work, w.count, w, scale.factor)))
    if _ok(act):
        if significant(act):
            template = (N_("activation is {p} percentage points higher ({range})")
                        if act["mean"] > 0 else
                        N_("activation is {p} percentage points lower ({range})"))
        elif _has_range(act):
            template = N_("no clear change in activation ({range} percentage points)")
        else:
            template = N_("no clear change in activation ({range})")
        parts.append(w.text(template, p=w.points(act["mean"]), range=_range(act, w.points, w)))
    if not parts:
        return ""
    return w.text(N_("In the target group, {parts}."), parts="; ".join(parts))


# what each payer's change is called: (pays more, saves)
PAYER_TEMPLATES = {
    "state": (N_("the state pays {amount} more"), N_("the state saves {amount}")),
    "municipality": (N_("municipalities pay {amount} more"), N_("municipalities save {amount}")),
    "other": (N_("other funds pay {amount} more"), N_("other funds save {amount}")),
}


def cost_sentence(c: Comparison, weeks: int, scale: Scale, w: Words) -> str:
    """The change in public cost over the run and per year, and who bears it."""
    total = c.effects.get("cost_total_eur")
    if not _ok(total):
        return ""
    f = scale.factor
    per_year = total["mean"] * f * 52 / weeks
    payers = []
    for payer in PAYERS:
        stats = c.effects.get(f"cost_{payer}_eur")
        # a payer's change is named only where its interval excludes zero: the certainty
        # sentence then speaks of it too
        if not _ok(stats) or abs(stats["mean"] * f) < 1 or not significant(stats):
            continue
        more, less = PAYER_TEMPLATES[payer]
        payers.append(w.text(more if stats["mean"] > 0 else less,
                             amount=w.euros(stats["mean"] * f)))
    if total["mean"] > 0:
        template = N_("Public cost in the whole region rises by {amount} over the {weeks} weeks "
                      "(about {per_year} a year; {range}): {payers}.")
    else:
        template = N_("Public cost in the whole region falls by {amount} over the {weeks} weeks "
                      "(about {per_year} a year; {range}): {payers}.")
    return w.text(template, amount=w.euros(total["mean"] * f), weeks=str(weeks),
                  per_year=w.euros(per_year), range=_range(total, w.euros, w, f),
                  payers="; ".join(payers) or w.text(N_("no payer's share changes clearly")))


def per_placement_sentence(c: Comparison, scale: Scale, w: Words) -> str:
    """Cost per net lasting placement in the target group, or why there is none."""
    per = c.effects.get("target_cost_per_net_lasting_placement_eur")
    lasting = c.effects.get("target_sustained_3m")
    if _ok(per):
        if not _has_range(per):
            return w.text(N_("Counting only public cost spent on the target group, each net "
                             "extra lasting placement costs about {amount}, but the number of "
                             "extra placements is too uncertain for an interval.")
                          if per["mean"] > 0 else
                          N_("Counting only public cost spent on the target group, each net "
                             "extra lasting placement comes with a net saving of about "
                             "{amount}, but the number of extra placements is too uncertain "
                             "for an interval."),
                          amount=w.euros(per["mean"]))
        # the target group's own cost: its sign may differ from the region's above
        template = (N_("Counting only public cost spent on the target group, each net extra "
                       "lasting placement costs {amount} ({range}).")
                    if per["mean"] > 0 else
                    N_("Counting only public cost spent on the target group, each net extra "
                       "lasting placement comes with a net saving of {amount} ({range})."))
        return w.text(template, amount=w.euros(per["mean"]), range=_range(per, w.euros, w))
    if _ok(lasting):
        template = (N_("There is no cost per net lasting placement: the target group has fewer "
                       "lasting placements than in the baseline ({range}).")
                    if significant(lasting) and lasting["mean"] < 0 else
                    N_("There is no cost per net lasting placement: the pilot adds no clear "
                       "lasting placements in the target group ({range})."))
        return w.text(template, range=_range(lasting, w.count, w, scale.factor))
    return ""


def certainty_sentence(c: Comparison, replications: int, scale: Scale, w: Words) -> str:
    """How sure: replications, what the intervals include, and the region's size."""
    sure = [k for k in ("target_employed_end", "target_activation_rate_end", "cost_total_eur")
            if _ok(c.effects.get(k)) and significant(c.effects[k])]
    if replications == 1:
        template = N_("One replication gives no intervals, so none of these directions is "
                      "known; run at least 5 paired replications.")
    else:
        template = (N_("The direction of each of these is clear across {n} paired "
                       "replications; "
                       "the intervals show the model's chance variation only, not doubt about "
                       "its assumptions.") if len(sure) == 3 else
                    N_("Some of these directions are not clear across {n} paired replications; "
                       "the intervals show the model's chance variation only, not doubt about "
                       "its assumptions."))
    text = w.text(template, n=str(replications))
    if scale.modelled != scale.real:
        text += " " + w.text(N_("The model ran {modelled} job seekers; counts and euros are "
                                "scaled to the real region's {real}."),
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
