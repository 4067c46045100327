"""Target-group rules: who is a client of an intervention.

A target group is a list of rules joined by "or"; each rule joins its
conditions by "and". For example Pori: under-25s unemployed over 6 months, or
labour-market-subsidy recipients with over 200 paid days.
"""

from __future__ import annotations

import numpy as np

from simulation.engine.seekers import JobSeekers
from simulation.params.schema import BENEFIT_TYPES, EDUCATION_LEVELS, Scenario, TargetRule


def rule_matches(rule: TargetRule, scenario: Scenario, seekers: JobSeekers,
                 index: np.ndarray) -> np.ndarray:
    """Which of ``index`` meet every condition of ``rule``."""
    match = np.ones(len(index), dtype=bool)
    if rule.benefit_types is not None:
        benefit = seekers.benefit[index]
        of_type = np.zeros(len(index), dtype=bool)
        for b in rule.benefit_types:  # a few codes: cheaper than np.isin's sort
            of_type |= benefit == BENEFIT_TYPES.index(b)
        match &= of_type
    if rule.min_age is not None:
        match &= seekers.age[index] >= rule.min_age
    if rule.max_age is not None:
        match &= seekers.age[index] < rule.max_age  # "under 25" is max_age = 25
    if rule.min_spell_weeks is not None:
        match &= seekers.weeks_since_work[index] >= rule.min_spell_weeks
    if rule.min_labour_market_subsidy_days is not None:
        match &= seekers.lms_days[index] >= rule.min_labour_market_subsidy_days
    if rule.education_levels is not None:
        codes = [EDUCATION_LEVELS.index(e) for e in rule.education_levels]
        match &= np.isin(seekers.education[index], codes)
    if rule.municipalities is not None:
        names = scenario.region.municipalities
        codes = [names.index(m) for m in rule.municipalities if m in names]
        match &= np.isin(seekers.municipality[index], codes)
    return match


def in_target_group(scenario: Scenario, seekers: JobSeekers, index: np.ndarray) -> np.ndarray:
    """Which of ``index`` belong to the scenario's target group."""
    match = np.zeros(len(index), dtype=bool)
    for rule in scenario.target_group.any_of:
        match |= rule_matches(rule, scenario, seekers, index)
    return match
