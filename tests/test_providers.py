"""Providers under outcome-priced contracts: behaviour follows from what the contract pays.

Small regions (3,000 job seekers), several common seeds per comparison; the measured numbers
are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.engine.model import RegionalLabourMarket
from simulation.engine.providers import creaming_gap
from simulation.experiments.counterfactuals import baseline_creaming_gap, deadweight
from simulation.params.loading import ScenarioError, load_scenario

SEEDS = range(4)
A = {"assumption": "test"}


def _v(value):
    return {"value": value, **A}


def _contract(**parts):
    return {"title": "test", "pilot": "test", "sources": ["test"], **parts}


FLAT = _contract(outcome_fees={"placement": _v(2000)})
FIXED = _contract(base_fee={"total_eur": _v(100_000), "upfront_share": _v(0),
                            "remainder_week": _v(74), "spread_remainder": True})

# Scarce staff hours (about 0.25 h per client-week), so that allocation matters.
SMALL = {"providers": 2, "staff_hours_per_week": 40.0, "fixed_cost_per_week_eur": 500.0,
         "target_clients": 450, "referrals_per_week": 8.0}


def _model(seed: int, procurement: dict, weeks: int | None = None,
           scenario: str = "outsourcing_generic") -> RegionalLabourMarket:
    overrides = {"region": {"job_seekers": 3000}, "interventions": {"procurement": procurement}}
    model = RegionalLabourMarket(load_scenario(scenario, overrides=overrides),
                                 rng=np.random.SeedSequence(seed))
    model.run(weeks)
    model.release()
    return model


def _effort_gap(clients) -> float:
    """Share of all effort hours given to the most employable third minus the least."""
    employability = clients["employability"].to_numpy()
    hours = (clients["mean_hours"] * clients["weeks_served"]).to_numpy()
    low, high = np.quantile(employability, [1 / 3, 2 / 3])
    return float((hours[employability >= high].sum() - hours[employability <= low].sum())
                 / hours.sum())


# Direction tests need thousands of provider clients per run: the placement gap between
# thirds has a standard error of ≈0.05 with 450 clients but ≈0.015 with 2,000.
LARGE = {"providers": 4, "staff_hours_per_week": 130.0, "fixed_cost_per_week_eur": 500.0,
         "target_clients": 3000, "referrals_per_week": 60.0, "effort_effect_max": 1.5}
DIRECTION_SEEDS = range(8)


def _large_clients(seed: int, contract: dict):
    overrides = {"region": {"job_seekers": 12000},
                 "interventions": {"procurement": {**LARGE, "contract_table": contract}}}
    model = RegionalLabourMarket(load_scenario("outsourcing_generic", overrides=overrides),
                                 rng=np.random.SeedSequence(seed))
    model.run()
    model.release()
    return model.providers


def test_flat_placement_fee_concentrates_effort_and_placements_on_the_most_employable():
    measured = {"flat": [], "fixed": []}
    for seed in DIRECTION_SEEDS:
        for name, contract in (("flat", FLAT), ("fixed", FIXED)):
            clients = _large_clients(seed, contract).client_frame()
            placed = clients["placement_week"].to_numpy() >= 0
            measured[name].append((_effort_gap(clients),
                                   creaming_gap(clients["employability"], placed)))
    flat, fixed = np.array(measured["flat"]), np.array(measured["fixed"])
    difference = flat[:, 1] - fixed[:, 1]
    print(f"\neffort share top-minus-bottom third: flat {flat[:, 0].mean():.3f}, "
          f"fixed {fixed[:, 0].mean():.3f}; creaming gap (placement rate top-minus-bottom "
          f"third): flat {flat[:, 1].mean():.3f}, fixed {fixed[:, 1].mean():.3f}; "
          f"paired difference {difference.mean():.3f} ± {difference.std(ddof=1):.3f} (sd)")
    assert (flat[:, 0] > fixed[:, 0] + 0.05).all()          # effort, in every replication
    assert abs(fixed[:, 0].mean()) < 0.05                   # a fixed fee spreads effort evenly
    # placements follow: the paired difference is positive with a t statistic above 2
    t_stat = difference.mean() / (difference.std(ddof=1) / np.sqrt(len(difference)))
    assert t_stat > 2, (difference, t_stat)


def test_a_larger_base_fee_share_keeps_providers_alive_when_volumes_fall_short():
    def blend(base_share: float) -> dict:
        result = round((1 - base_share) / 2, 2)
        return _contract(blend={
            "price_per_client_eur": _v(3000), "base_share": _v(base_share),
            "quality_share": _v(0.0),
            "result_shares": {"placement": _v(result), "employed_6m": _v(result)}})

    # Providers find clients themselves and reach well under their target volumes.
    short = {"providers": 4, "staff_hours_per_week": 40.0, "fixed_cost_per_week_eur": 1000.0,
             "target_clients": 800, "acquisition": "marketing", "contacts_per_week": 25.0,
             "contact_yield": 0.12, "cost_per_contact_eur": 10.0, "start_up_weeks": 8}
    survival, shortfall = {}, {}
    for base_share in (0.0, 0.5):
        alive, missing = [], []
        for seed in SEEDS:
            market = _model(seed, {**short, "contract_table": blend(base_share)}).providers
            alive += [p.active or p.completed for p in market.providers]
            missing.append(1 - len(market.client_frame()) / short["target_clients"])
        survival[base_share] = float(np.mean(alive))
        shortfall[base_share] = float(np.mean(missing))
    print(f"\nprovider survival: base share 0 -> {survival[0.0]:.2f}, base share 0.5 -> "
          f"{survival[0.5]:.2f}; acquisition shortfall {shortfall[0.0]:.2f} / "
          f"{shortfall[0.5]:.2f}")
    assert shortfall[0.0] > 0.3
    assert survival[0.5] > survival[0.0]


def _risk_gaps(market) -> tuple[float, float, float, float]:
    """Gaps between lower-risk (classes 0–1) and high-risk (class 2) clients: hours per
    client and placement rate; also the budget paid and the placements made."""
    clients = market.client_frame()
    placed = clients["placement_week"].to_numpy() >= 0
    high = clients["risk_class"].to_numpy() == 2
    hours = (clients["mean_hours"] * clients["weeks_served"]).to_numpy()
    paid = sum(p.paid_cents for p in market.providers) / 100
    return (hours[~high].mean() - hours[high].mean(), placed[~high].mean() - placed[high].mean(),
            paid, placed.sum())


def test_risk_tiered_fees_narrow_the_creaming_gap_against_the_same_budget_paid_flat():
    """Tiers are priced on the office's risk class, so that is where they act.

    The gap by latent-employability thirds barely moves (tiers cannot see what the profiling
    does not), in line with the UK Work Programme finding that differential pricing changed
    little (DOMAIN §3); the test reports it but asserts the risk-class gaps.

    Each seed pairs the tiered contract with a flat fee paying the same budget. With the
    README's tiers of 1,000 / 2,000 / 4,000 € the risk-class gap narrows by only ≈0.006,
    too little to tell from noise over 8 seeds (t ≈ 1.4); tiers of 500 / 1,000 / 8,000 € show
    the mechanism clearly (narrowing ≈0.05, t ≈ 10 over 8 seeds), so the direction is
    asserted there: in every replication, and with a paired t statistic above 4.
    """
    tiered = _contract(outcome_fees={"placement": _v([500, 1000, 8000])})
    hours_narrowing, gap_narrowing, third_narrowing = [], [], []
    for seed in DIRECTION_SEEDS:
        market = _large_clients(seed, tiered)
        hours_t, gap_t, paid, placements = _risk_gaps(market)
        # the same budget: the tiered run's average fee per placement, paid flat
        flat_fee = round(paid / max(1, placements), 2)
        flat_market = _large_clients(seed, _contract(outcome_fees={"placement": _v(flat_fee)}))
        hours_f, gap_f, _, _ = _risk_gaps(flat_market)
        hours_narrowing.append(hours_f - hours_t)
        gap_narrowing.append(gap_f - gap_t)
        thirds = []
        for m in (flat_market, market):
            clients = m.client_frame()
            thirds.append(creaming_gap(clients["employability"],
                                       clients["placement_week"].to_numpy() >= 0))
        third_narrowing.append(thirds[0] - thirds[1])
    gap_narrowing = np.array(gap_narrowing)
    print(f"\ntiering moves {np.mean(hours_narrowing):.2f} effort hours per client from "
          f"lower- to high-risk clients; it narrows the risk-class creaming gap by "
          f"{gap_narrowing.mean():.3f} (per seed {np.round(gap_narrowing, 3).tolist()}) and the "
          f"employability-third gap by {np.mean(third_narrowing):.3f}")
    assert (np.array(hours_narrowing) > 0).all()   # the mechanism, in every replication
    assert (gap_narrowing > 0).all()               # placements follow, in every replication
    t_stat = gap_narrowing.mean() / (gap_narrowing.std(ddof=1) / np.sqrt(len(gap_narrowing)))
    assert t_stat > 4, (gap_narrowing, t_stat)


@pytest.mark.parametrize("contract", [
    "generic_outsourcing", "marine_car_industry", "kokosata_rekry",
    "keski_suomi_growth_booster", "growth_boost_pirkanmaa", "etela_pohjanmaa_growth"])
def test_provider_revenue_equals_what_the_contract_schedule_pays_for_its_recorded_outcomes(
        contract):
    procurement = {**SMALL, "contract": contract, "training_referrals": True,
                   "fixed_cost_per_week_eur": 3000.0, "exit_after_loss_weeks": 6}
    model = _model(1, procurement, weeks=40)
    gaps = model.providers.reconcile()
    assert (gaps["gap_eur"].abs() < 0.005).all(), gaps
    ledger = model.ledger.to_frame()
    fees = ledger[ledger["payee"] == "providers"]
    assert fees["amount_eur"].sum() == pytest.approx(gaps["paid_eur"].sum(), abs=0.01)
    assert fees["item"].str.startswith("provider_fee:").all()


def test_a_budget_cap_cuts_the_payment_that_crosses_it_as_settle_does():
    capped = _contract(outcome_fees={"placement": _v(1500)}, attachment_fee=_v(100),
                       budget_cap_eur=_v(9000))
    model = _model(2, {**SMALL, "contract_table": capped}, weeks=40)
    gaps = model.providers.reconcile()
    assert (gaps["paid_eur"] <= 9000).all() and (gaps["paid_eur"] == 9000).any()
    assert (gaps["gap_eur"].abs() < 0.005).all(), gaps


def test_ledger_payer_totals_still_reconcile_with_provider_fees():
    model = _model(3, {**SMALL, "contract": "generic_outsourcing",
                       "buyer_shares": _v([0.5, 0.5, 0.0])}, weeks=30)
    ledger = model.ledger.to_frame()
    by_payer = ledger.groupby("payer")["amount_eur"].sum()
    assert by_payer.sum() == pytest.approx(ledger["amount_eur"].sum())
    assert by_payer.sum() == pytest.approx(model.ledger.total())
    fees = ledger[ledger["payee"] == "providers"].groupby("payer")["amount_eur"].sum()
    assert fees["state"] == pytest.approx(fees["municipality"])
    assert fees.sum() == pytest.approx(sum(p.paid_cents for p in model.providers.providers) / 100)


def test_parked_clients_are_the_hard_ones_under_a_flat_fee():
    market = _model(0, {**SMALL, "contract_table": FLAT, "staff_hours_per_week": 15.0}).providers
    clients = market.client_frame()
    parked = clients["parked_weeks"] / clients["weeks_served"].clip(lower=1)
    employability = clients["employability"]
    low = employability <= employability.quantile(1 / 3)
    high = employability >= employability.quantile(2 / 3)
    print(f"\nparked share of weeks: least employable third {parked[low].mean():.3f}, "
          f"most employable third {parked[high].mean():.3f}")
    assert parked[low].mean() > parked[high].mean()


def test_deadweight_and_baseline_gap_compare_the_same_people_in_the_baseline():
    from simulation.experiments.runner import requests, run_replication

    overrides = {"region": {"job_seekers": 3000},
                 "interventions": {"procurement": {**SMALL, "contract_table": FLAT}}}
    scenario = load_scenario("outsourcing_generic", overrides=overrides)
    baseline = scenario.model_copy(update={"interventions": scenario.interventions.model_copy(
        update={"procurement": None})})
    run = run_replication(requests(scenario, 1, 5)[0])
    base = run_replication(requests(baseline, 1, 5)[0])
    assert base.providers is None and base.provider_clients is None
    result = deadweight(run.provider_clients, base.person_events)
    gap = baseline_creaming_gap(run.provider_clients, base.person_events, 26)
    print(f"\ndeadweight {result['deadweight_outcomes']:.0f} of "
          f"{result['paid_outcomes_compared']:.0f} paid placements "
          f"({result['deadweight_share']:.2f}); creaming gap scenario "
          f"{run.summary['provider_creaming_gap']:.3f}, same people in the baseline {gap:.3f}")
    assert 0 < result["paid_outcomes_compared"] <= run.summary["provider_placements"]
    assert 0 <= result["deadweight_share"] <= 1
    assert -1 <= gap <= 1


def test_summary_reports_provider_metrics():
    from simulation.engine.results import summarise

    model = _model(4, {**SMALL, "contract": "kokosata_rekry"}, weeks=20)
    summary = summarise(model, model.metrics.frame())
    for key in ("provider_revenue_eur", "provider_cost_eur", "provider_profit_eur",
                "provider_exits", "provider_entries", "provider_creaming_gap",
                "provider_parked_share", "provider_acquisition_shortfall",
                "provider_paid_outcomes", "provider_fee_base_fee_eur",
                "provider_fee_outcome_fee.placement_eur"):
        assert key in summary
    clients, share = summary["provider_clients"], summary["provider_enrolment_share"]
    assert clients > 0 and 0 < share <= 1
    # everyone a provider takes on belongs to the target group
    assert share == pytest.approx(clients / model.seekers.view("target").sum())


def test_an_unknown_contract_is_refused_naming_the_field():
    with pytest.raises(ScenarioError) as error:
        load_scenario("outsourcing_generic",
                      overrides={"interventions": {"procurement": {"contract": "koko_rekri"}}})
    assert "interventions.procurement" in str(error.value)
    assert "koko_rekry" in str(error.value)


@pytest.mark.parametrize("name", [
    "entrepreneur_to_employer", "growth_boost_pirkanmaa", "pohjois_savo_growth_skills",
    "etela_pohjanmaa_growth", "bothnian_arc", "keski_suomi_growth_booster", "koko_rekry",
    "marine_car_industry", "tourism_lapland", "growth_south_east", "kokosata_rekry",
    "outsourcing_generic", "kuopio_region"])
def test_every_growth_company_pilot_runs_with_its_contract(name):
    # (and Kuopio's dynamic purchasing system, from its start in week 23)
    model = _model(0, {}, weeks=30 if name == "kuopio_region" else 8, scenario=name)
    assert model.providers is not None
    assert model.providers.contract.title
    assert (model.providers.reconcile()["gap_eur"].abs() < 0.005).all()


def test_when_the_provider_guides_its_clients_the_office_stops_meeting_them():
    """``office_meetings = "replaced"``: no office meeting while a client is on a provider's
    books, and the coaches' freed time goes to other job seekers."""
    met_on_books, meetings = {}, {}
    for mode in ("continue", "replaced"):
        model = _model(5, {**SMALL, "office_meetings": mode}, weeks=30)
        s = model.seekers
        clients = model.providers.client_frame()
        last = clients.sort_values("intake_week").drop_duplicates("person", keep="last")
        on_books = last[s.provider[last["person"].to_numpy()] >= 0]
        assert len(on_books) > 50
        people = on_books["person"].to_numpy()
        # a meeting after intake can only be the office's (week of intake excluded: the
        # office meets before providers take their intake)
        met_on_books[mode] = int((s.last_meeting[people] > on_books["intake_week"]).sum())
        meetings[mode] = model.metrics.frame().query("scope == 'region'")["meetings"].sum()
    print(met_on_books, meetings)
    assert met_on_books["replaced"] == 0
    assert met_on_books["continue"] > 0
    # the coaches keep their slots busy with other job seekers
    assert meetings["replaced"] > 0.9 * meetings["continue"]


@pytest.mark.parametrize("scenario", ["entrepreneur_to_employer", "tourism_lapland"])
def test_firm_fees_follow_the_contract_for_the_firms_guided(scenario):
    """Providers with firm clients earn the contract's firm fees, firm outcomes and firm
    feedback, to the cent of ``settlement.settle`` on their recorded events."""
    overrides = {"region": {"job_seekers": 3000},
                 "interventions": {"procurement": {"firms_per_week": 1.0,
                                                   "fixed_cost_per_week_eur": 0.0}}}
    model = RegionalLabourMarket(load_scenario(scenario, overrides=overrides),
                                 rng=np.random.SeedSequence(4))
    model.run(40)
    model.release()
    market = model.providers
    gaps = market.reconcile()
    assert (gaps["gap_eur"].abs() < 0.005).all(), gaps
    events = market.events_frame()
    firm_events = events[events["firm_id"] >= 0]
    assert len(firm_events) > 0 and (firm_events["client_id"] == -1).all()
    paid_to_firm_side = sum(
        market.fee_cents[:, c].sum() for c, name in enumerate(market.fees.order)
        if name.startswith("firm_") or (name == "quality_bonus"
                                        and not market.fees.quality_per_client))
    assert paid_to_firm_side > 0
    # each firm signed up once, by one provider; never more than the target
    guided = (market.firm_phase != 0).sum()
    assert 0 < guided <= market.p.target_firms
    for kind in ("personal_guidance", "feedback", "firm_growth", "firm_recruitment"):
        assert not firm_events[firm_events["kind"] == kind]["firm_id"].duplicated().any()
    assert (firm_events["kind"] == "feedback").sum() <= guided


def test_guided_firms_make_more_first_hires():
    def first_hires(multiplier: float, seed: int) -> float:
        overrides = {"region": {"job_seekers": 3000},
                     "growth": {"solo_entrepreneurs": 400},
                     "interventions": {"procurement": {
                         "target_firms": 400, "firms_per_week": 10.0, "firm_guidance_weeks": 40,
                         "firm_hire_multiplier": multiplier}}}
        model = RegionalLabourMarket(load_scenario("entrepreneur_to_employer",
                                                   overrides=overrides),
                                     rng=np.random.SeedSequence(seed))
        model.run(40)
        model.release()
        return float(model.providers.firm_has_hired.sum())

    gains = [first_hires(4.0, seed) - first_hires(1.0, seed) for seed in SEEDS]
    print("extra first hires of guided firms:", gains)
    assert np.mean(gains) > 0 and min(gains) >= 0


def test_marketing_reaches_only_the_target_group_and_its_yield_sets_the_intake():
    procurement = {"contract": "koko_rekry", "acquisition": "marketing", "providers": 2,
                   "contacts_per_week": 30.0, "contact_yield": 0.3, "contact_yield_sd": 0.0,
                   "target_clients": 10_000, "intake_selection": False}
    model = _model(6, procurement, weeks=20, scenario="koko_rekry")
    market, target = model.providers, model.seekers.view("target")
    contacted = market.contacted[:model.seekers.n]
    assert contacted.sum() == market.contacts_total > 200
    assert not (contacted & ~target).any()
    clients = market.client_frame()
    # with no intake selection and room to spare, the clients are the willing contacts:
    # a binomial share of 0.3 of those contacted (within 4 standard errors)
    n = market.contacts_total
    assert abs(len(clients) / n - 0.3) < 4 * (0.3 * 0.7 / n) ** 0.5


def test_providers_start_in_their_start_week_and_count_contract_weeks_from_it():
    late = _model(3, {**SMALL, "start_week": 9}, weeks=20)
    market = late.providers
    weekly = market.weekly_frame()
    assert weekly["week"].min() == 9 and (weekly.loc[weekly["week"] == 9, "contract_week"]
                                           == 0).all()
    assert market.client_frame()["intake_week"].min() >= 9
    ledger = late.ledger.to_frame()
    assert ledger.loc[(ledger["payee"] == "providers") & (ledger["week"] < 9),
                      "amount_eur"].sum() == 0
    # before the start the region is the same as with no providers at all: the same people
    # unemployed in week 8 as in the same-seed run whose providers start after the run
    never = _model(3, {**SMALL, "start_week": 1000}, weeks=8)
    early = _model(3, {**SMALL, "start_week": 9}, weeks=8)
    np.testing.assert_array_equal(never.seekers.view("state"), early.seekers.view("state"))
    assert never.providers.weekly_frame().empty


def test_at_the_contract_end_providers_hand_their_clients_back_and_earn_nothing_more():
    ended = _model(3, {**SMALL, "end_week": 12}, weeks=25)
    market = ended.providers
    assert market.weekly_frame()["week"].max() == 12
    assert all(p.completed and not p.active and p.exit_week == 12 for p in market.providers)
    assert (ended.seekers.view("provider") == -1).all()  # the office has them all back
    ledger = ended.ledger.to_frame()
    assert ledger.loc[(ledger["payee"] == "providers") & (ledger["week"] > 12),
                      "amount_eur"].sum() == 0
    assert (market.reconcile()["gap_eur"].abs() < 0.005).all()
    with pytest.raises(ValueError, match="end_week"):
        _model(3, {**SMALL, "start_week": 10, "end_week": 5}, weeks=2)


def test_a_dynamic_purchasing_system_counts_registered_and_active_providers_and_orders():
    # providers join while margins are positive; each client taken on is one order
    dps = {**SMALL, "contract_table": _contract(attachment_fee=_v(3000)),
           "cost_per_client_week_eur": 10.0, "fixed_cost_per_week_eur": 50.0,
           "dynamic_purchasing": True, "entry_interval_weeks": 2, "entry_margin": 0.05,
           "max_providers": 12}
    model = _model(5, dps, weeks=40)
    summary = model.providers.summary(model.metrics.frame())
    providers = model.providers.providers
    assert summary["providers_registered"] == len(providers) == 2 + summary["provider_entries"]
    assert summary["provider_entries"] > 0  # a profitable system draws entrants
    assert summary["providers_registered"] <= 12
    assert summary["providers_active"] == sum(p.intake > 0 for p in providers)
    assert 0 < summary["providers_active"] <= summary["providers_registered"]
    assert summary["provider_clients"] == sum(p.intake for p in providers)
    # without dynamic purchasing nobody joins: registered = the contracted providers
    closed = _model(5, {**dps, "dynamic_purchasing": False}, weeks=40)
    assert closed.providers.summary(closed.metrics.frame())["providers_registered"] == 2
