"""The headline sentence says what the numbers say: direction by sign and interval, euros and
who pays, a cost per placement or the reason there is none, and the model region's size."""

from __future__ import annotations

import math

from simulation.experiments.compare import Comparison
from simulation.report.headline import Scale, headline


def ci(mean: float, low: float, high: float) -> dict[str, float]:
    return {"mean": mean, "ci95_low": low, "ci95_high": high}


NAN = ci(math.nan, math.nan, math.nan)


def comparison(**effects: dict[str, float]) -> Comparison:
    return Comparison(baseline="b", scenario="s", levels={}, effects=effects)


def test_clear_gains_and_costs_name_the_euros_and_the_payers() -> None:
    c = comparison(target_employed_end=ci(120, 80, 160),
                   target_activation_rate_end=ci(0.148, 0.146, 0.151),
                   cost_total_eur=ci(4.4e6, 4.0e6, 4.8e6), cost_state_eur=ci(2.5e6, 2.2e6, 2.8e6),
                   cost_municipality_eur=ci(1.9e6, 1.7e6, 2.1e6),
                   cost_other_eur=ci(0.0, -1, 1),
                   target_cost_per_net_lasting_placement_eur=ci(36_000, 30_000, 44_000),
                   target_sustained_3m=ci(122, 100, 140))
    text = headline(c, weeks=74, replications=5, scale=Scale(4000, 4000))
    assert "120 more people in the target group are in work" in text
    assert "activation is 14.8 percentage points higher" in text
    assert ("Public cost in the whole region rises by 4.4 M€ over the 74 weeks (about 3.1 M€ a "
            "year") in text
    assert "the state pays 2.5 M€ more" in text and "municipalities pay 1.9 M€ more" in text
    assert ("Counting only public cost spent on the target group, each net extra lasting "
            "placement costs 36 k€") in text
    assert "The direction of each of these is clear across 5 paired replications" in text


def test_falls_savings_and_unclear_changes_are_said_as_such() -> None:
    c = comparison(target_employed_end=ci(-50, -80, -20),
                   target_activation_rate_end=ci(0.01, -0.01, 0.03),
                   cost_total_eur=ci(-1.2e6, -1.5e6, -0.9e6), cost_state_eur=ci(-1.2e6, -2, -1),
                   target_cost_per_net_lasting_placement_eur=NAN,
                   target_sustained_3m=ci(3, -20, 26))
    text = headline(c, weeks=52, replications=10, scale=Scale(4000, 4000))
    assert "50 fewer people in the target group are in work" in text
    assert "no clear change in activation" in text
    assert "Public cost in the whole region falls by 1.2 M€" in text
    assert "the state saves 1.2 M€" in text
    assert "no cost per net lasting placement" in text and "+3" not in text.split("(")[0]
    assert "Some of these directions are not clear" in text


def test_a_smaller_model_region_is_scaled_to_the_real_one_and_says_so() -> None:
    c = comparison(target_employed_end=ci(10, 5, 15), cost_total_eur=ci(1e6, 0.5e6, 1.5e6),
                   cost_state_eur=ci(1e6, 0.5e6, 1.5e6))
    text = headline(c, weeks=52, replications=5, scale=Scale(4000, 36000))
    assert "90 more people" in text                   # 10 × 9
    assert "rises by 9.0 M€" in text                  # 1 M€ × 9
    assert "The model ran 4,000 job seekers" in text and "real region's 36,000" in text


def test_fewer_lasting_placements_are_named_as_the_reason_for_no_cost_per_placement() -> None:
    c = comparison(target_cost_per_net_lasting_placement_eur=NAN,
                   target_sustained_3m=ci(-156, -214, -99))
    text = headline(c, weeks=30, replications=2, scale=Scale(4000, 4000))
    assert "fewer lasting placements than in the baseline (−214 to −99)" in text


def test_one_replication_has_means_but_no_intervals_in_any_language() -> None:
    """One replication: each mean, no interval, no direction claimed; never a raw NaN."""
    from simulation.i18n import words

    one = {"target_employed_end": ci(12, math.nan, math.nan),
           "target_activation_rate_end": ci(0.02, math.nan, math.nan),
           "cost_total_eur": ci(3e5, math.nan, math.nan),
           "cost_state_eur": ci(3e5, math.nan, math.nan),
           "target_cost_per_net_lasting_placement_eur": ci(25_000, math.nan, math.nan),
           "target_sustained_3m": ci(12, math.nan, math.nan)}
    for lang, says in (("en", "one replication: no interval"),
                       ("fi", "yksi toisto: ei luottamusväliä"),
                       ("sv", "en upprepning: inget intervall")):
        text = headline(comparison(**one), weeks=52, replications=1, scale=Scale(4000, 4000),
                        w=words(lang))
        assert "nan" not in text.lower(), (lang, text)
        assert text.count(says) >= 3, (lang, text)  # work, activation, cost
    text = headline(comparison(**one), weeks=52, replications=1, scale=Scale(4000, 4000))
    assert "no clear change in activation (one replication: no interval)" in text
    assert "One replication gives no intervals" in text and "paired replications;" not in text


def test_a_payer_is_named_only_where_its_change_is_clear() -> None:
    """'The direction of each of these is clear' must hold for every payer the cost sentence
    names: an unclear share is not said as a fact."""
    c = comparison(target_employed_end=ci(120, 80, 160),
                   target_activation_rate_end=ci(0.148, 0.146, 0.151),
                   cost_total_eur=ci(2.0e6, 1.5e6, 2.5e6), cost_state_eur=ci(2.5e6, 2.2e6, 2.8e6),
                   cost_municipality_eur=ci(0.4e6, -0.3e6, 1.1e6),
                   cost_other_eur=ci(-0.9e6, -1.0e6, -0.8e6))
    text = headline(c, weeks=52, replications=5, scale=Scale(4000, 4000))
    assert "the state pays 2.5 M€ more" in text and "other funds save 900 k€" in text
    assert "municipalities" not in text  # −0.3 to +1.1 M€: no direction to state
    unclear = comparison(cost_total_eur=ci(2.0e6, 1.5e6, 2.5e6),
                         cost_state_eur=ci(2.0e6, -0.5e6, 4.5e6))
    assert "no payer's share changes clearly" in headline(unclear, 52, 5, Scale(4000, 4000))


def test_a_saving_without_an_interval_is_said_as_a_saving() -> None:
    """Too few placements for an interval: the sentence still keeps the sign (a saving of
    11 k€ per placement was said as a cost of 11 k€)."""
    saving = comparison(target_cost_per_net_lasting_placement_eur=ci(-11_191, math.nan,
                                                                     math.nan),
                        target_sustained_3m=ci(83, -19, 185))
    text = headline(saving, weeks=74, replications=5, scale=Scale(4000, 4000))
    assert "comes with a net saving of about 11 k€" in text and "costs about" not in text
    cost = comparison(target_cost_per_net_lasting_placement_eur=ci(29_048, math.nan, math.nan))
    assert "placement costs about 29 k€" in headline(cost, 74, 5, Scale(4000, 4000))
