"""The firm side's end-of-run summary: run totals and final-year levels of the firm side and
the regional economy, from the weekly table and the ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from simulation.params.fields import PAYERS

if TYPE_CHECKING:
    from simulation.engine.growth.economy import RegionalEconomy

WEEKS_PER_YEAR = 52.0
BENEFIT_ITEMS = ("earnings_related_allowance", "basic_allowance", "labour_market_subsidy",
                 "service_increase")
TAX_ITEM = "tax_revenue"
WEEK_COUNTERS = ("hidden_surfaced", "fills_posted", "fills_hidden", "growth_firm_hires",
                 "growth_needs", "growth_vacancies", "first_hire_decisions", "first_hires",
                 "firm_visits", "referred_candidates", "referral_hires", "training_starts",
                 "training_completions", "start_up_advised", "start_ups", "new_firms",
                 "mass_screened", "mass_hires", "cross_border_hires")
SUMMED = WEEK_COUNTERS  # summary: totals over the run


def growth_summary(economy: RegionalEconomy, weekly: pd.DataFrame) -> dict[str, float]:
    """Run totals and final-year levels of the firm side and the regional economy."""
    model = economy.model
    rows = weekly[weekly["scope"] == "region"].sort_values("week")
    out: dict[str, float] = {}
    for name in SUMMED:
        out[name] = float(rows[name].sum())
    final = rows[rows["week"] > rows["week"].max() - WEEKS_PER_YEAR]
    per_year = WEEKS_PER_YEAR / len(final)
    jobs_final = float(final["jobs"].mean())
    out["jobs_start"] = float(economy.jobs_start)
    out["jobs_final_year"] = jobs_final
    out["jobs_created"] = jobs_final - economy.jobs_start
    out["jobs_abroad_final_year"] = float(final["jobs_abroad"].mean())
    out["regional_value_added_eur_per_year"] = float(final["value_added_direct_eur"].sum()
                                                     * per_year)
    out["regional_value_added_total_eur_per_year"] = float(
        final["value_added_total_eur"].sum() * per_year)
    for kind in ("posted", "hidden"):
        fills = float(rows[f"fills_{kind}"].sum())
        out[f"time_to_fill_{kind}_weeks"] = (float(rows[f"vacancies_{kind}"].sum()) / fills
                                             if fills else float("nan"))
    out["vacancies_posted_mean"] = float(rows["vacancies_posted"].mean())
    out["vacancies_hidden_mean"] = float(rows["vacancies_hidden"].mean())
    start = float(sum(economy.firm_size0[f.number] for f in economy.growth_firms))
    end = float(sum(f.size for f in economy.growth_firms))
    # jobs in growth firms held by the model's people (the firms' other staff are not modelled)
    out["growth_firm_net_jobs"] = end - start
    out["firm_net_jobs"] = float(sum(f.size for f in model.firms) - economy.firm_size0.sum())
    # money: the final year's ledger rows
    ledger = model.ledger.to_frame()
    last = ledger[ledger["week"] > model.week - WEEKS_PER_YEAR]
    years = len(final) / WEEKS_PER_YEAR
    benefits = last[last["item"].isin(BENEFIT_ITEMS)]
    for payer in PAYERS:
        out[f"unemployment_benefits_{payer}_eur_per_year"] = float(
            benefits.loc[benefits["payer"] == payer, "amount_eur"].sum() / years)
    out["unemployment_benefits_eur_per_year"] = float(benefits["amount_eur"].sum() / years)
    spending = last[last["item"] != TAX_ITEM]
    out["unemployment_expenditure_eur_per_year"] = float(spending["amount_eur"].sum() / years)
    out["tax_revenue_eur_per_year"] = float(
        -last.loc[last["item"] == TAX_ITEM, "amount_eur"].sum() / years)
    out["net_public_cost_eur_per_year"] = float(last["amount_eur"].sum() / years)
    return out
