"""Metrics of the job seekers: flows, stocks, services and what happens to people.

Computed by ``engine.metrics`` (the weekly table) and ``engine.results`` (the run's summary).
The order of each aggregation's entries is the order of the summary's keys.
"""

from __future__ import annotations

from simulation.engine.catalogue.metric import Aggregation, Kind, Metric, Scope

COUNT, SHARE, WEEKS = Kind.COUNT, Kind.SHARE, Kind.WEEKS
BOTH = Scope.BOTH
A = Aggregation


def _flow(name: str, label: str, unit: str, description: str) -> Metric:
    return Metric(name, label, unit, COUNT, BOTH, A.FLOW_TOTAL, description, basis=name)


def _at_end(name: str, label: str, description: str) -> Metric:
    return Metric(f"{name}_end", label, "persons", COUNT, BOTH, A.AT_END, description,
                  basis=name)


def _weekly(name: str, label: str, unit: str, kind: Kind, description: str,
            aggregation: Aggregation = A.WEEK_STOCK) -> Metric:
    return Metric(name, label, unit, kind, BOTH, aggregation, description)


LABOUR: tuple[Metric, ...] = (
    # totals of the weekly flows over the run
    Metric("placements", "Placements", "persons", COUNT, BOTH, A.FLOW_TOTAL,
           "Jobs started on the open market during the run, each start counted (a person "
           "placed twice counts twice), including people kept on by their employer after a "
           "service.", basis="placements", phrase="placements (jobs found)"),
    _flow("sustained_3m", "Placements lasting 3 months", "persons",
          "Placements that reached 13 weeks of continuous work during the run (one made in "
          "the run's last 13 weeks cannot)."),
    _flow("sustained_6m", "Placements lasting 6 months", "persons",
          "Placements that reached 26 weeks of continuous work during the run."),
    _flow("sustained_12m", "Placements lasting 12 months", "persons",
          "Placements that reached 52 weeks of continuous work during the run."),
    _flow("referrals", "Referrals to services", "persons",
          "Referrals to a service during the run (by a coach after a meeting, as a follow-on "
          "after a service, or by a provider to training); each puts the person in the queue "
          "for a place."),
    _flow("meetings", "Coach meetings", "meetings",
          "Meetings of openly unemployed job seekers with their public-office coach during "
          "the run."),
    _flow("admissions", "Admissions to services", "persons",
          "People admitted from a service queue to a service place during the run (programme "
          "cohorts started directly are not counted)."),
    _flow("registrations", "New registrations", "persons",
          "Job seekers newly registering at the employment office during the run."),
    _flow("job_losses", "Job losses", "persons",
          "Open-market jobs that ended in a return to unemployment during the run."),
    # stocks in the run's last week
    _at_end("unemployed", "Unemployed at the end",
            "Registered job seekers in open unemployment (neither in a service nor in a "
            "subsidised job) in the run's last week."),
    _at_end("long_term_unemployed", "Long-term unemployed at the end",
            "Openly unemployed people whose registered spell had lasted 52 weeks or more in "
            "the last week (a service interrupts the spell)."),
    _at_end("in_service", "In services at the end",
            "People in a service other than a subsidised job in the last week."),
    _at_end("subsidised", "In subsidised jobs at the end",
            "People in a subsidised job in the last week."),
    _at_end("employed", "Employed at the end",
            "The model's people in open-market work in the last week (subsidised jobs not "
            "counted)."),
    _at_end("job_seekers", "Job seekers at the end",
            "Registered job seekers in the last week: unemployed, in a service or in a "
            "subsidised job."),
    _at_end("waiting", "Waiting for a service place at the end",
            "People queued for a service place in the last week."),
    Metric("activation_rate_end", "Activation rate at the end", "share", SHARE, BOTH,
           A.AT_END, "Share of the registered job seekers who were in a service or a "
           "subsidised job in the run's last week.", basis="activation_rate"),
    Metric("activation_rate_mean", "Activation rate, mean", "share", SHARE, BOTH,
           A.WEEKLY_MEAN, "The weekly activation rate averaged over the run's weeks.",
           basis="activation_rate", phrase="activation rate, mean over the run"),
    Metric("mean_wait_weeks", "Mean wait for a service place", "weeks", WEEKS, BOTH,
           A.PER_ADMISSION, "Mean weeks from joining a service queue to admission, over "
           "everyone admitted during the run (0 when nobody was).", basis="mean_wait_weeks",
           phrase="mean wait for a service place (weeks)"),
    # following people rather than weeks
    Metric("served", "Served in services", "persons", COUNT, BOTH, A.PER_PERSON,
           "People who started a service during the run, each counted once.",
           phrase="people who started a service"),
    Metric("lasting_employment_rate_served", "Lasting-employment rate of those served",
           "share", SHARE, BOTH, A.PER_PERSON,
           "Share of the people served during the run who had a job lasting at least 3 "
           "months at some time in the run (before or after their service)."),
    Metric("weeks_to_employment", "Weeks to first job (initial cohort)", "weeks", WEEKS,
           BOTH, A.PER_PERSON,
           "Mean weeks to the first job of the people registered when the run started, "
           "counting those never placed as the run's length (a mean censored at its end).",
           phrase="weeks to first job (initial members, censored)"),
    Metric("employed_share_end", "Initial members employed at the end", "share", SHARE, BOTH,
           A.PER_PERSON, "Share of the people registered when the run started who were in "
           "open-market work in its last week."),
    Metric("clients_during_run", "Job seekers during the run", "persons", COUNT, BOTH,
           A.PER_PERSON, "Distinct people who were registered job seekers at the end of some "
           "week of the run: those there at the start and those who registered or (for the "
           "target group) came to meet its rule later, as a pilot counts its clients over its "
           "whole period."),
    Metric("clients_during_{year}", "Job seekers during a year", "persons", COUNT, BOTH,
           A.PER_PERSON, "Distinct people who were registered job seekers at the end of some "
           "week of the calendar year, as registers count clients (a part year counts its "
           "simulated weeks only)."),
    # columns of the weekly table only (its flows above are weekly columns too)
    _weekly("unemployed", "Unemployed", "persons", COUNT,
            "Registered job seekers in open unemployment at the end of the week."),
    _weekly("long_term_unemployed", "Long-term unemployed", "persons", COUNT,
            "Openly unemployed people whose registered spell has lasted 52 weeks or more."),
    _weekly("in_service", "In services", "persons", COUNT,
            "People in a service other than a subsidised job."),
    _weekly("subsidised", "In subsidised jobs", "persons", COUNT,
            "People in a subsidised job."),
    _weekly("employed", "Employed (former job seekers in work)", "persons", COUNT,
            "The model's people in open-market work at the end of the week."),
    _weekly("studying", "Studying", "persons", COUNT,
            "People who have left the register to study."),
    _weekly("out_of_labour_force", "Out of the labour force", "persons", COUNT,
            "People who have left the register and the labour force."),
    _weekly("job_seekers", "Job seekers", "persons", COUNT,
            "Registered job seekers: unemployed, in a service or in a subsidised job."),
    _weekly("waiting", "Waiting for a service place", "persons", COUNT,
            "People queued for a service place."),
    _weekly("activation_rate", "Activation rate", "share", SHARE,
            "Share of the registered job seekers in a service or a subsidised job at the end "
            "of the week."),
    _weekly("completions", "Service completions", "persons", COUNT,
            "People who completed a service in the week.", A.WEEK_FLOW),
    _weekly("dropouts", "Service drop-outs", "persons", COUNT,
            "People who left a service early for open unemployment in the week.", A.WEEK_FLOW),
    _weekly("starts_{service}", "Starts by service", "persons", COUNT,
            "People who started the named service in the week.", A.WEEK_FLOW),
    Metric("outside_{metric}", "Effect outside the target group", "as the metric", COUNT,
           Scope.REGION, A.PAIRED,
           "The effect on the job seekers outside the target group: the region's paired effect "
           "minus the target group's, for counts and euros that add up."),
    Metric("displacement_share_{outcome}", "Displacement share", "share", SHARE, Scope.REGION,
           A.PAIRED,
           "The loss of the job seekers outside the target group per unit gained by the target "
           "group (people in work at the end, or lasting placements): 0 when nobody else loses, "
           "1 when every gain is someone else's loss; undefined when the target group gains "
           "nothing clear."),
    Metric("activation_model_cuts", "Activation model cuts", "review periods", COUNT, BOTH,
           A.RUN_COUNT,
           "Review periods of 65 paid benefit days that ended without enough work or services, "
           "so the benefit was cut by 4.65 % for the next 65 paid days (national activation "
           "model, from 2018)."),
    Metric("activation_model_cut_seekers", "Benefits cut this week", "persons", COUNT,
           Scope.REGION, A.WEEK_FLOW,
           "Job seekers paid a benefit in the week with the activation model's 4.65 % cut "
           "(national activation model, from 2018; a weekly column of scenarios that have it)."),
)
