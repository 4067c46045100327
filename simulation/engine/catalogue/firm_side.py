"""Metrics of the firm side and the regional economy (scenarios with a ``[growth]`` section).

From ``engine.growth``: its weekly counters and columns (region rows of the weekly table) and
``growth_summary``. Money per year is the run's final 52 weeks of the ledger, scaled to a
year. Scenarios without a firm side report none of them.
"""

from __future__ import annotations

from simulation.engine.catalogue.metric import Aggregation, Kind, Metric, Scope
from simulation.params.fields import PAYERS

A = Aggregation
COUNT, EUROS, WEEKS = Kind.COUNT, Kind.EUROS, Kind.WEEKS
PAYER_NAMES = {"state": "the state", "municipality": "municipalities", "other": "other funds"}


def _m(name: str, label: str, unit: str, kind: Kind, aggregation: Aggregation,
       description: str, basis: str | None = None) -> Metric:
    return Metric(name, label, unit, kind, Scope.REGION, aggregation, description, basis=basis)


def _counter(name: str, label: str, unit: str, description: str) -> Metric:
    return _m(name, label, unit, COUNT, A.FLOW_TOTAL, description, basis=name)


def _per_year(name: str, label: str, description: str) -> Metric:
    return _m(name, label, "€/year", EUROS, A.FINAL_YEAR, description)


FIRM_SIDE: tuple[Metric, ...] = (
    # the weekly counters, totalled over the run
    _counter("hidden_surfaced", "Hidden vacancies surfaced", "vacancies",
             "Unadvertised vacancies made public by a coordinator's visit or in the contact "
             "weeks after it."),
    _counter("fills_posted", "Advertised vacancies filled", "vacancies",
             "Advertised vacancies filled by hires."),
    _counter("fills_hidden", "Hidden vacancies filled", "vacancies",
             "Unadvertised vacancies filled by hires."),
    _counter("growth_firm_hires", "Hires by growth firms", "persons",
             "Hires into growth firms, including programme completers placed there."),
    _counter("growth_needs", "Growth firms' recruitment needs", "vacancies",
             "Recruitment needs arising from the growth firms' growth."),
    _counter("growth_vacancies", "Growth firms' vacancies", "vacancies",
             "Vacancies the growth firms opened from their needs (the rest is growth forgone)."),
    _counter("first_hire_decisions", "First-hire decisions", "firms",
             "Solo entrepreneurs who decided to make a first hire and opened a vacancy."),
    _counter("first_hires", "First hires", "firms",
             "Solo entrepreneurs who made their first hire."),
    _counter("firm_visits", "Coordinator visits", "visits",
             "Firm visits made by the programme's coordinators."),
    _counter("referred_candidates", "Candidates referred by coordinators", "persons",
             "Register candidates proposed by coordinators to the firms they visited."),
    _counter("referral_hires", "Hires from coordinator referrals", "persons",
             "Referred candidates the firms hired."),
    _counter("training_starts", "Training starts", "persons",
             "People starting the programme's targeted training or work placements."),
    _counter("training_completions", "Training completions", "persons",
             "People completing the programme's targeted training or work placements."),
    _counter("start_up_advised", "Start-up advice clients", "persons",
             "Unemployed people given start-up advice on a voucher."),
    _counter("start_ups", "Start-ups", "persons",
             "Advised people who started a business on a start-up grant."),
    _counter("new_firms", "New firms", "firms",
             "Start-ups still trading when the grant ended (new solo entrepreneurs)."),
    _counter("mass_screened", "Screened by the mass recruiter", "persons",
             "Job seekers screened by the large employer recruiting in bulk."),
    _counter("mass_hires", "Mass-recruitment hires", "persons",
             "Screened job seekers the large employer hired."),
    _counter("cross_border_hires", "Cross-border hires", "persons",
             "Mobile job seekers hired to jobs abroad."),
    # levels and changes
    _m("jobs_start", "Jobs at the start", "jobs", COUNT, A.AT_START,
       "The model's people in work (open market, subsidised or self-employed) at the start."),
    _m("jobs_final_year", "Jobs in the final year", "jobs", COUNT, A.FINAL_YEAR,
       "The model's people in work, abroad included, on average over the final year.",
       basis="jobs"),
    _m("jobs_created", "Jobs created", "jobs", COUNT, A.CHANGE,
       "Jobs in the final year minus jobs at the start."),
    _m("jobs_abroad_final_year", "Jobs abroad in the final year", "jobs", COUNT, A.FINAL_YEAR,
       "The model's people working abroad, on average over the final year.",
       basis="jobs_abroad"),
    _per_year("regional_value_added_eur_per_year", "Regional value added, direct",
              "Value added by the jobs in the region (not abroad) over the final year."),
    _per_year("regional_value_added_total_eur_per_year",
              "Regional value added, with indirect effects",
              "Direct value added times the indirect-effects multiplier, over the final year."),
    _m("time_to_fill_posted_weeks", "Time to fill, advertised", "weeks", WEEKS, A.RATIO,
       "Open advertised vacancy-weeks over the run per advertised vacancy filled."),
    _m("time_to_fill_hidden_weeks", "Time to fill, hidden", "weeks", WEEKS, A.RATIO,
       "Open unadvertised vacancy-weeks over the run per unadvertised vacancy filled."),
    _m("vacancies_posted_mean", "Advertised vacancies, mean", "vacancies", COUNT,
       A.WEEKLY_MEAN, "Open advertised vacancies, on average over the weeks.",
       basis="vacancies_posted"),
    _m("vacancies_hidden_mean", "Hidden vacancies, mean", "vacancies", COUNT, A.WEEKLY_MEAN,
       "Open unadvertised vacancies, on average over the weeks.", basis="vacancies_hidden"),
    _m("growth_firm_net_jobs", "Net jobs in growth firms", "jobs", COUNT, A.CHANGE,
       "Change over the run in the growth firms' staff from the model's people (their other "
       "staff are not modelled)."),
    _m("firm_net_jobs", "Net jobs in all firms", "jobs", COUNT, A.CHANGE,
       "Change over the run in all firms' staff from the model's people."),
    # public money in the final year
    *(_per_year(f"unemployment_benefits_{payer}_eur_per_year",
                f"Unemployment benefits paid by {PAYER_NAMES[payer]}",
                f"Unemployment benefits paid by {PAYER_NAMES[payer]} over the final year.")
      for payer in PAYERS),
    _per_year("unemployment_benefits_eur_per_year", "Unemployment benefits",
              "Earnings-related and basic allowances, labour-market subsidy and service "
              "increases paid over the final year."),
    _per_year("unemployment_expenditure_eur_per_year", "Unemployment expenditure",
              "Everything the ledger paid over the final year except tax revenue (benefits, "
              "services, subsidies, staff, fees)."),
    _per_year("tax_revenue_eur_per_year", "Tax revenue from work",
              "Income tax and contributions from the model's people's work over the final "
              "year."),
    _per_year("net_public_cost_eur_per_year", "Net public cost",
              "Unemployment expenditure less tax revenue from work, over the final year."),
    # columns of the weekly table only (the counters above are weekly columns too)
    _m("vacancies_posted", "Advertised vacancies", "vacancies", COUNT, A.WEEK_STOCK,
       "Open advertised vacancies of all firms."),
    _m("vacancies_hidden", "Hidden vacancies", "vacancies", COUNT, A.WEEK_STOCK,
       "Open unadvertised vacancies of all firms."),
    _m("growth_firm_jobs", "Jobs in growth firms", "jobs", COUNT, A.WEEK_STOCK,
       "The growth firms' staff from the model's people."),
    _m("firms_served", "Firms reached", "firms", COUNT, A.WEEK_STOCK,
       "Firms the programme has reached so far, by a coordinator's visit or a provider's "
       "guidance."),
    _m("jobs", "Jobs", "jobs", COUNT, A.WEEK_STOCK,
       "The model's people in work (open market, subsidised or self-employed), abroad "
       "included."),
    _m("jobs_abroad", "Jobs abroad", "jobs", COUNT, A.WEEK_STOCK,
       "The model's people working abroad."),
    _m("value_added_direct_eur", "Value added, direct", "€", EUROS, A.WEEK_FLOW,
       "Value added in the week by the jobs in the region (not abroad)."),
    _m("value_added_total_eur", "Value added, with indirect effects", "€", EUROS, A.WEEK_FLOW,
       "Direct value added in the week times the indirect-effects multiplier."),
)
