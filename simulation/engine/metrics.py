"""Weekly metrics: a tidy table with one row per week and scope.

An observer: it counts what the week's actions report and reads the stocks at the end of the
week, and changes no one's state.

Scopes are ``region`` (every registered job seeker) and ``target`` (the
intervention's target group; in a baseline, the same rule applied without
intervention, so the two can be compared). Stocks are counted at the end of
the week; flows are counted as they happen. Costs are added from the ledger
when the table is built, so there is one source of truth for money.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.engine.catalogue import in_group
from simulation.engine.ledger import Ledger
from simulation.engine.seekers import IN_SERVICE, SUBSIDISED, UNEMPLOYED, JobSeekers, State
from simulation.params.fields import PAYERS
from simulation.params.schema import N_BANDS

if TYPE_CHECKING:
    from simulation.engine.clock import Clock

STATE_COLUMNS = [s.name.lower() for s in State]
FLOWS = in_group("weekly_flows")
LONG_TERM_WEEKS = 52
PERSON_FLOWS = ("placements", "job_losses")  # logged per person, for comparisons with a baseline


class WeeklyMetrics:
    """Collects flows during a week and stocks at its end."""

    def __init__(self, seekers: JobSeekers, clock: Clock, ledger: Ledger,
                 start_date: str) -> None:
        self.seekers, self.clock, self.ledger = seekers, clock, ledger
        self.rows: list[dict[str, float]] = []
        # this week's flows by scope [other, target]: plain ints, counted many times a week
        self.flows: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        # Labore-style exit counts by spell band (region): person-weeks at risk,
        # exits to work, exits to services
        self.duration_exits = np.zeros((3, N_BANDS), dtype=np.int64)
        self.person_log: list[tuple[str, int, np.ndarray]] = []
        # completed open-unemployment spells ending in a job, by length in weeks
        self.completed_spells = np.zeros(0, dtype=np.int64)
        self.start_date = datetime.date.fromisoformat(start_date)

    def calendar_year(self, week: int) -> int:
        """The calendar year a week belongs to: the year of its fourth day (as ISO weeks)."""
        return (self.start_date + datetime.timedelta(days=7 * (week - 1) + 3)).year

    def year_bit(self, year: int) -> np.uint32:
        """The bit of a calendar year in the ``seeker_years`` / ``client_years`` columns."""
        return np.uint32(1 << (year - self.start_date.year))

    def count_flow(self, name: str, index: np.ndarray) -> None:
        in_target = int(np.count_nonzero(self.seekers.target[index]))
        flow = self.flows[name]
        flow[0] += len(index) - in_target
        flow[1] += in_target
        if name in PERSON_FLOWS and len(index):
            self.person_log.append((name, self.clock.week, np.array(index, dtype=np.int64)))

    def person_events(self) -> pd.DataFrame:
        """Who started or lost a job when: columns ``person, week, event``."""
        if not self.person_log:
            return pd.DataFrame({"person": pd.Series(dtype="int64"),
                                 "week": pd.Series(dtype="int64"),
                                 "event": pd.Series(dtype="object")})
        return pd.DataFrame({
            "person": np.concatenate([index for _, _, index in self.person_log]),
            "week": np.concatenate([np.full(len(index), week, dtype=np.int64)
                                    for _, week, index in self.person_log]),
            "event": np.concatenate([np.full(len(index), name, dtype=object)
                                     for name, _, index in self.person_log]),
        })

    def _band_counts(self, index: np.ndarray) -> np.ndarray:
        s = self.seekers
        return np.bincount(s.band(s.spell_weeks[index]), minlength=N_BANDS)

    def count_at_risk(self, unemployed: np.ndarray) -> None:
        self.duration_exits[0] += self._band_counts(unemployed)

    def count_exits_to_work(self, index: np.ndarray) -> None:
        self.duration_exits[1] += self._band_counts(index)

    def count_exits_to_services(self, index: np.ndarray, unemployed: bool = False) -> None:
        """Count those of ``index`` leaving open unemployment for a service (``unemployed``:
        all of them are known to be unemployed)."""
        s = self.seekers
        # a follow-on service continues a chain: no exit from open unemployment
        open_ = ~s.chained[index]
        if not unemployed:
            open_ &= s.state[index] == UNEMPLOYED
        from_open = index[open_]
        s.chained[index] = False
        if len(from_open):
            self.duration_exits[2] += self._band_counts(from_open)

    def count_completed_spells(self, index: np.ndarray) -> None:
        """Add the spells of those of ``index`` leaving open unemployment for a job."""
        s = self.seekers
        weeks = s.spell_weeks[index[s.state[index] == UNEMPLOYED]]
        if len(weeks) == 0:
            return
        counts = np.bincount(weeks, minlength=len(self.completed_spells))
        counts[: len(self.completed_spells)] += self.completed_spells
        self.completed_spells = counts

    def record(self, service_counters: tuple[np.ndarray, np.ndarray, np.ndarray],
               service_names: list[str], extra: dict[str, float]) -> None:
        """The week's rows, one per scope: stocks now, the week's flows, the services' week
        counters (admissions, waiting weeks, starts by service; by scope) and ``extra``
        region columns (the firm side)."""
        s = self.seekers
        state = s.view("state")
        target = s.view("target")
        # state and scope in one small int (at most 11) counted once
        counts = np.bincount(state + np.int8(len(State)) * target, minlength=2 * len(State))
        by_scope = {"region": counts[:len(State)] + counts[len(State):],
                    "target": counts[len(State):]}
        long_term = (state == UNEMPLOYED) & (s.view("spell_weeks") >= LONG_TERM_WEEKS)
        waiting = s.view("waiting_service") >= 0
        # counts by scope without boolean-mask copies
        long_term_n = {"region": np.count_nonzero(long_term),
                       "target": np.count_nonzero(long_term & target)}
        waiting_n = {"region": np.count_nonzero(waiting),
                     "target": np.count_nonzero(waiting & target)}
        admitted, waits, starts = service_counters
        starts_by_scope = {"region": (starts[0] + starts[1]).tolist(), "target": starts[1].tolist()}
        start_columns = [f"starts_{name}" for name in service_names]
        flows = [self.flows[name] for name in FLOWS]
        week = self.clock.week
        for scope, stock in by_scope.items():
            row: dict[str, float] = {"week": week, "scope": scope}
            row.update(zip(STATE_COLUMNS, stock.tolist(), strict=True))
            active = stock[UNEMPLOYED] + stock[IN_SERVICE] + stock[SUBSIDISED]
            in_services = stock[IN_SERVICE] + stock[SUBSIDISED]
            row["job_seekers"] = int(active)
            row["activation_rate"] = in_services / active if active else 0.0
            row["long_term_unemployed"] = int(long_term_n[scope])
            row["waiting"] = int(waiting_n[scope])
            pick = (0, 1) if scope == "region" else (1,)
            n_admitted = sum(int(admitted[i]) for i in pick)
            row["admissions"] = n_admitted
            row["mean_wait_weeks"] = (sum(waits[i] for i in pick) / n_admitted
                                      if n_admitted else float("nan"))
            row.update(zip(start_columns, starts_by_scope[scope], strict=True))
            if scope == "region":
                row.update(zip(FLOWS, (flow[0] + flow[1] for flow in flows), strict=True))
                row.update(extra)
            else:
                row.update(zip(FLOWS, (flow[1] for flow in flows), strict=True))
            self.rows.append(row)
        self.flows.clear()

    def frame(self, ledger: pd.DataFrame | None = None) -> pd.DataFrame:
        """The weekly table with costs by payer and item from the ledger (``ledger``: its
        ``to_frame()``, when the caller has it already)."""
        weekly = pd.DataFrame(self.rows)
        own = [c for c in weekly.columns if c.startswith("cost_")]  # from ``extra``, if any
        if own:
            weekly[own] = weekly[own].fillna(0.0)
        costs = _weekly_costs(weekly, self.ledger.to_frame() if ledger is None else ledger)
        return pd.concat([weekly, costs], axis=1)

    def duration_exit_frame(self) -> pd.DataFrame:
        """Monthly exit rates by spell band, to work and to services (region)."""
        at_risk, to_work, to_services = self.duration_exits.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            weekly_work = np.where(at_risk > 0, to_work / at_risk, np.nan)
            weekly_services = np.where(at_risk > 0, to_services / at_risk, np.nan)
        return pd.DataFrame({
            "band": range(N_BANDS),
            "person_weeks": at_risk.astype(np.int64),
            "exits_to_work": to_work.astype(np.int64),
            "exits_to_services": to_services.astype(np.int64),
            "monthly_to_work": _monthly(weekly_work),
            "monthly_to_services": _monthly(weekly_services),
        })


def _monthly(weekly: np.ndarray) -> np.ndarray:
    """Monthly rates from weekly ones. The C library's pow, one band at a time: numpy's own
    vectorised power differs in the last bit between processors (AVX-512 or not), and the
    same run must give the same table on any machine."""
    return np.array([1 - math.pow(1 - w, 52 / 12) for w in weekly.tolist()], dtype=np.float64)


def _weekly_costs(weekly: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """Cost columns for the rows of ``weekly``: by payer (``cost_<payer>_eur``), their total
    and by item (``cost_<item>_eur``, items in name order). A region row sums every ledger
    row of its week, a target row the week's target rows; a week without ledger rows costs 0.
    """
    rows = _weekly_rows(weekly)
    payer_rank, payers = pd.factorize(ledger["payer"], sort=True)
    by_payer = _pivot_sums(rows, ledger, payer_rank, len(payers))
    # every payer has a column, in PAYERS order, paid or not
    column_of = {p: i for i, p in enumerate(payers)}
    columns = {f"cost_{p}_eur": by_payer[:, column_of[p]] if p in column_of
               else np.zeros(len(weekly)) for p in PAYERS}
    costs = pd.DataFrame(columns)
    costs["cost_total_eur"] = costs.sum(axis=1)
    item_rank, items = pd.factorize(ledger["item"], sort=True)
    by_item = pd.DataFrame(_pivot_sums(rows, ledger, item_rank, len(items)),
                           columns=[f"cost_{i}_eur" for i in items])
    return pd.concat([costs, by_item], axis=1)


def _weekly_rows(weekly: pd.DataFrame) -> pd.Series:
    """The row number of each week and scope of ``weekly``, by ``2 * week + scope`` (scope
    0 the region, 1 the target group)."""
    target = (weekly["scope"] == "target").to_numpy()
    slots = 2 * weekly["week"].to_numpy(dtype=np.int64) + target
    return pd.Series(np.arange(len(weekly)), index=slots)


def _pivot_sums(rows: pd.Series, ledger: pd.DataFrame, rank: np.ndarray, n: int) -> np.ndarray:
    """Ledger amounts summed by week, scope and a column's value (its ``rank`` of ``n`` in
    name order): a matrix with a row per weekly row (``rows``, see ``_weekly_rows``).

    The bits are those of ``pivot_table`` over the ledger's rows for the region followed by
    its target rows. Pandas sums a group in row order, compensated, or by ``reduceat`` when
    the groups come in order; so the group keys here are numbers in the pivot's key order
    (week, scope, name), and every ledger row is in, even one of a week ``weekly`` lacks.
    """
    out = np.zeros((len(rows), n))
    if not len(ledger):
        return out
    week = ledger["week"].to_numpy(dtype=np.int64)
    target = (ledger["scope"] == "target").to_numpy()
    region_keys = 2 * n * week + rank
    keys = np.concatenate([region_keys, (region_keys + n)[target]])
    amounts = ledger["amount_eur"].to_numpy()
    sums = pd.Series(np.concatenate([amounts, amounts[target]])).groupby(keys).sum()
    key = sums.index.to_numpy()
    row = rows.reindex(key // n, fill_value=-1).to_numpy()  # -1: a week weekly lacks
    found = row >= 0
    out[row[found], key[found] % n] = sums.to_numpy()[found]
    return out
