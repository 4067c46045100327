"""Effects with parameter uncertainty: the variance split by hand, the plain-words sentences,
a zero-effect scenario's interval collapsing under paired draws, and the drivers' ranking."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from posterior_fixtures import posterior_file, tiny_scenario
from scipy import stats

from simulation.experiments.drivers import chance_level, rank_drivers, top
from simulation.experiments.posterior import read_posterior
from simulation.experiments.runner import run_many
from simulation.experiments.uncertainty import (
    plan,
    posterior_effects,
    sentence,
    uncertainty,
)


def test_the_variance_split_by_hand():
    # three draws, two replications each: draw means 2, 3, 7 (grand mean 4)
    s = uncertainty(np.array([[1.0, 3.0], [2.0, 4.0], [6.0, 8.0]]))
    assert s["mean"] == 4.0
    # within-draw variance (1+1+1+1+1+1)/3 = 2, so noise in a draw's mean is 2/2 = 1;
    # the draw means vary by (4+1+9)/2 = 7, of which 7 - 1 = 6 is the parameters'
    assert s["var_noise"] == pytest.approx(1.0) and s["var_parameters"] == pytest.approx(6.0)
    assert s["share_parameters"] == pytest.approx(6 / 7)
    half = stats.t.ppf(0.975, 2) * math.sqrt(7) * math.sqrt(1 + 1 / 3)
    assert (s["low"], s["high"]) == pytest.approx((4 - half, 4 + half))
    noise_half = stats.t.ppf(0.975, 3) * math.sqrt(2 / 6)
    assert (s["noise_low"], s["noise_high"]) == pytest.approx((4 - noise_half, 4 + noise_half))
    assert s["p_positive"] == 1.0
    assert s["p_parameters"] == pytest.approx(stats.f.sf(2 * 7 / 2, 2, 3))


def test_sentences_say_which_dominates():
    # (the earlier 1 … 4 case's interval reached zero; "sure of the direction" also matched
    # inside "not sure of the direction")
    sure = uncertainty(np.array([[10.0, 10.1], [11.0, 11.1], [12.0, 12.1], [13.0, 13.1]]))
    assert sure["low"] > 0
    text = sentence("Placements", sure)
    assert "the model is sure of the direction (positive under 4 of 4" in text
    assert "from the parameters, so more replications would not narrow it" in text
    noisy = uncertainty(np.array([[-3.0, 5.0], [4.0, -2.0], [-1.0, 2.5], [3.0, -3.5]]))
    text = sentence("Placements", noisy)
    assert "not sure of the direction" in text and "simulation noise alone" in text
    # every draw negative, yet the interval for a new draw reaches zero: a lean, not a doubt
    leaning = uncertainty(np.array([[-0.1, -0.1], [-1.0, -1.0], [-0.2, -0.2], [-4.0, -4.0]]))
    assert leaning["high"] > 0
    text = sentence("Unemployed", leaning)
    assert "most likely negative (negative under 4 of 4" in text and "reaches zero" in text
    assert "not sure" not in text
    assert sentence("X", uncertainty(np.zeros((3, 2)))) == \
        "X: no effect under any of the 3 parameter draws."


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_sentence_has_its_finnish_and_swedish_wording(lang):
    from simulation.i18n.words import TranslatedWords

    w = TranslatedWords(lang, strict=True)  # a missing translation raises
    cases = [np.array([[10.0, 10.1], [11.0, 11.1], [12.0, 12.1], [13.0, 13.1]]),
             -np.array([[10.0, 10.1], [11.0, 11.1], [12.0, 12.1], [13.0, 13.1]]),
             np.array([[1.0, 9.0], [2.0, 8.0], [1.5, 7.0], [3.0, 9.5]]),
             np.array([[-3.0, 5.0], [4.0, -2.0], [-1.0, 2.5], [3.0, -3.5]]),
             np.array([[-0.1, -0.1], [-1.0, -1.0], [-0.2, -0.2], [-4.0, -4.0]]),
             np.array([[0.1, 0.1], [1.0, 1.0], [0.2, 0.2], [4.0, 4.0]]),
             np.array([[1.0], [2.0], [-1.0]]), np.zeros((3, 2))]
    texts = {sentence("X", uncertainty(x), w) for x in cases}
    assert len(texts) == len(cases)  # every branch worded apart
    for text in texts:
        assert text.startswith("X: ")
        assert not {"the model", "parameter draws", "replications", "noise"} & set(
            text.split()) and "parameter draws" not in text, text


def test_a_parameter_with_no_influence_gets_a_near_zero_index():
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.uniform(size=(400, 3)), columns=["strong", "curved", "idle"])
    y = 2 * x["strong"] + x["curved"] ** 2 + rng.normal(0, 0.05, 400)
    ranked = rank_drivers(x, y.to_numpy()).set_index("parameter")
    assert ranked.loc["strong", "rank"] == 1 and ranked.loc["curved", "rank"] == 2
    assert ranked.loc["idle", "index"] < 0.02
    assert ranked.loc["idle", "sobol_first_order"] < 0.05  # SALib's RBD-FAST from the draws
    assert ranked.loc["strong", "index"] > 0.6
    # named as drivers: only those above the chance level for 400 draws and 3 parameters
    assert [p for p, _, _ in top(ranked.reset_index(), 400)] == ["strong", "curved"]


def test_the_chance_level_falls_with_more_draws_and_rises_with_more_parameters():
    assert chance_level(20, 27) > chance_level(200, 27) > chance_level(200, 3)
    # no relation: rank correlations of 27 idle parameters over 20 draws stay below it
    rng = np.random.default_rng(8)
    hits = 0
    for _ in range(200):
        x = pd.DataFrame(rng.uniform(size=(20, 27)))
        x.columns = [f"p{i}" for i in range(27)]
        ranked = rank_drivers(x, rng.normal(size=20))
        hits += bool(ranked["index"].max() > chance_level(20, 27))
    assert hits <= 200 * 0.05 + 10  # about 5 % (Bonferroni is a little conservative)


def test_paired_draws_make_a_zero_effect_scenarios_interval_collapse(tmp_path):
    base, same = tiny_scenario(tmp_path, "tiny_base"), tiny_scenario(tmp_path, "same_again")
    draws = read_posterior(posterior_file(tmp_path)).sample(4, seed=2)
    p = plan(draws, {base: [same]}, replications=2, seed=5, weeks=6)
    results = run_many(p.batch, workers=1)
    effects = posterior_effects(p, results, *p.pairs[0], ["placements", "cost_total_eur"],
                                ["placements"])
    for name in ("placements", "cost_total_eur"):
        s = effects.effects[name]
        assert (s["mean"], s["low"], s["high"]) == (0.0, 0.0, 0.0), name
        assert s["noise_low"] == s["noise_high"] == 0.0
    # the draws did differ: the baseline's own levels move with the parameters
    levels = [p.runs(results, k, base)[0].summary["placements"] for k in range(4)]
    assert len(set(levels)) > 1
    assert effects.drivers["placements"]["index"].eq(0).all()


def test_provider_incentives_come_with_parameter_uncertainty_only_where_there_are_providers(
        tmp_path):
    base = tiny_scenario(tmp_path, "tiny_base")
    contracted = tiny_scenario(tmp_path, "tiny_contract", extends="outsourcing_generic")
    draws = read_posterior(posterior_file(tmp_path)).sample(3, seed=2)
    p = plan(draws, {base: [contracted, base]}, replications=2, seed=5, weeks=30)
    results = run_many(p.batch, workers=1)
    keys = {name: base_key for base_key, name in p.pairs}  # scenario key -> its baseline
    with_providers = next(k for k in keys if "contract" in k)
    effects = posterior_effects(p, results, keys[with_providers], with_providers,
                                ["placements"], [])
    assert {"provider_profit_eur", "provider_exits"} <= set(effects.providers)
    profit = effects.providers["provider_profit_eur"]
    levels = [[r.summary["provider_profit_eur"] for r in p.runs(results, k, with_providers)]
              for k in range(3)]
    assert profit["mean"] == pytest.approx(np.mean(levels))  # levels, not differences
    assert profit["low"] <= profit["mean"] <= profit["high"]
    if "provider_deadweight_share" in effects.providers:
        assert 0 <= effects.providers["provider_deadweight_share"]["mean"] <= 1
    plain = next(k for k in keys if k != with_providers)
    assert posterior_effects(p, results, keys[plain], plain, ["placements"], []).providers == {}
