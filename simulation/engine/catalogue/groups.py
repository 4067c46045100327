"""Named selections of metrics: what each table, chart and command shows, in its order.

A name prefixed ``target_`` is the metric's target-group twin. Where a surface shows every
metric of a group for both scopes, the group lists the plain names and the surface adds the
prefix.
"""

from __future__ import annotations

GROUPS: dict[str, tuple[str, ...]] = {
    # gross change beside net effect: the register's stocks, whose change over a window a
    # programme would report (people in work are left out: the model follows only people who
    # were job seekers, so their number grows from zero in any run)
    "gross_net": ("activation_rate", "unemployed", "long_term_unemployed", "job_seekers"),
    # the job seekers' flows the weekly table counts, in its column order
    "weekly_flows": (
        "registrations", "meetings", "referrals", "placements", "completions", "dropouts",
        "job_losses", "sustained_3m", "sustained_6m", "sustained_12m",
    ),
    # ``pilotsim run``: the region, then the same for the target group
    "headline": (
        "placements", "sustained_3m", "activation_rate_end", "unemployed_end",
        "long_term_unemployed_end", "cost_total_eur", "cost_state_eur",
        "cost_municipality_eur", "cost_other_eur",
    ),
    # ``pilotsim compare``: the target group, then the region
    "effects": (
        "placements", "sustained_3m", "sustained_12m", "activation_rate_end",
        "activation_rate_mean", "unemployed_end", "long_term_unemployed_end",
        "weeks_to_employment", "lasting_employment_rate_served", "served", "cost_total_eur",
        "cost_state_eur", "cost_municipality_eur", "cost_other_eur",
        "cost_per_net_placement_eur",
    ),
    # ``pilotsim compare``: the firm side and the economy (scenarios with a [growth] section)
    "growth": (
        "jobs_created", "regional_value_added_eur_per_year",
        "regional_value_added_total_eur_per_year", "unemployment_expenditure_eur_per_year",
        "unemployment_benefits_eur_per_year", "unemployment_benefits_state_eur_per_year",
        "unemployment_benefits_municipality_eur_per_year",
        "unemployment_benefits_other_eur_per_year", "tax_revenue_eur_per_year",
        "net_public_cost_eur_per_year", "hidden_surfaced", "time_to_fill_posted_weeks",
        "time_to_fill_hidden_weeks", "growth_firm_hires", "first_hires", "new_firms",
        "referral_hires", "training_completions",
    ),
    # ``pilotsim sweep``: one column each
    "sweep": (
        "placements", "unemployed_end", "activation_rate_end", "cost_total_eur",
        "target_placements", "target_cost_total_eur",
    ),
    # the report's effects table: the target group, then the region
    "report_effects": (
        "activation_rate_end", "activation_rate_mean", "placements", "sustained_3m",
        "sustained_12m", "employed_share_end", "weeks_to_employment", "unemployed_end",
        "long_term_unemployed_end", "served", "lasting_employment_rate_served",
        "mean_wait_weeks", "cost_total_eur", "cost_state_eur", "cost_municipality_eur",
        "cost_other_eur", "cost_per_net_placement_eur", "cost_per_net_lasting_placement_eur",
    ),
    # the report's weekly paths (one column each, the target group above the region)
    "report_series": ("activation_rate", "unemployed", "long_term_unemployed"),
    # the dashboard's weekly paths (a 2 × 2 grid)
    "dashboard_series": ("employed", "activation_rate", "unemployed", "long_term_unemployed"),
    # the dashboard's effects table, for the scope chosen
    "dashboard_effects": (
        "placements", "sustained_3m", "sustained_12m", "employed_end", "activation_rate_end",
        "activation_rate_mean", "unemployed_end", "long_term_unemployed_end",
        "weeks_to_employment", "served", "cost_total_eur", "cost_state_eur",
        "cost_municipality_eur", "cost_other_eur", "cost_per_net_placement_eur",
        "cost_per_net_lasting_placement_eur",
    ),
    # the dashboard's headline boxes, from its effects table
    "dashboard_kpis": (
        "placements", "activation_rate_end", "long_term_unemployed_end", "cost_total_eur",
        "cost_per_net_placement_eur",
    ),
    # the dashboard's provider table
    "dashboard_providers": (
        "provider_profit_eur", "provider_revenue_eur", "provider_cost_eur", "provider_exits",
        "provider_entries", "provider_clients", "provider_placements",
        "provider_placement_rate", "provider_creaming_gap", "provider_parked_share",
    ),
}
