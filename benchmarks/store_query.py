"""How fast is "mean and 10-90 % band of a metric by week across 10,000 runs of one scenario"?

Builds a synthetic results store in a temporary folder (10,000 runs x 74 weeks x 2 scopes x
30 metrics by default), then times ``StoreReader.band_by_week`` on it. Goal: under 2 s.

How the synthetic store relates to real writes: a real sweep writes each run through
``ResultsStore.write`` into its own folder and the coordinator compacts every
``COMPACT_EVERY`` done runs of a scenario into one segment. Doing 10,000 real writes takes
minutes, so this script writes the compacted part in bulk, straight into segments of
``COMPACT_EVERY`` runs in the layout compaction produces, then lets ``ResultsStore.recover``
register them (which also checks that the store accepts them), and writes the last
``COMPACT_EVERY - 1`` runs through the real ``begin``/``write``/``finish`` path. That is the
slowest state a store passes through between compactions: the most loose run folders.

    python benchmarks/store_query.py [--runs 10000] [--weeks 74] [--metrics 30] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.experiments.store.identity import RunMeta, make_run_id
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.registry import REGISTRY_COLUMNS
from simulation.experiments.store.writer import COMPACT_EVERY, ResultsStore

SCENARIO = "baseline"
SCENARIO_HASH = "synthetic-baseline"
CODE_VERSION = "benchmark"
ENTROPY = 2**96 + 12345
SUMMARY_METRICS = 10


def run_meta(replication: int, weeks: int) -> RunMeta:
    return RunMeta(scenario=SCENARIO, scenario_hash=SCENARIO_HASH, parameters={},
                   entropy=ENTROPY, spawn_key=(replication,), replication=replication,
                   weeks=weeks, code_version=CODE_VERSION, batch="benchmark")


def metric_names(metrics: int) -> list[str]:
    return [f"metric_{m:02d}" for m in range(metrics)]


def weekly_columns(rng: np.random.Generator, rows: int, metrics: int) -> dict[str, np.ndarray]:
    """Metric columns: a few integer stocks, the rest rates and euros as floats."""
    names = metric_names(metrics)
    return {name: (rng.integers(0, 50_000, rows) if m % 6 == 0 else rng.random(rows))
            for m, name in enumerate(names)}


def run_frames(rng: np.random.Generator, weeks: int, metrics: int,
               ) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame]:
    weekly = pd.DataFrame({"week": np.repeat(np.arange(weeks), 2),
                           "scope": np.tile(["region", "target"], weeks),
                           **weekly_columns(rng, 2 * weeks, metrics)})
    summary = {f"summary_{k:02d}": float(v) for k, v in enumerate(rng.random(SUMMARY_METRICS))}
    ledger = pd.DataFrame({"week": np.arange(weeks), "payer": "state", "payee": "provider",
                           "item": "outcome_fee", "scope": "target",
                           "amount_eur": rng.random(weeks) * 1e4})
    return weekly, summary, ledger


def segment_tables(run_ids: list[str], replications: range, weeks: int, metrics: int,
                   rng: np.random.Generator) -> dict[str, pa.Table]:
    """One segment's tables, column-wise for many runs at once (what compaction writes)."""
    runs, per_run = len(run_ids), 2 * weeks
    ids = np.array(run_ids, dtype=object)
    weekly = pa.table({
        "run_id": np.repeat(ids, per_run), "scenario": np.full(runs * per_run, SCENARIO),
        "week": np.tile(np.repeat(np.arange(weeks), 2), runs),
        "scope": np.tile(["region", "target"], runs * weeks),
        **weekly_columns(rng, runs * per_run, metrics),
    })
    summary = pa.table({"run_id": ids, "scenario": np.full(runs, SCENARIO),
                        **{f"summary_{k:02d}": rng.random(runs) for k in range(SUMMARY_METRICS)}})
    ledger = pa.table({
        "run_id": np.repeat(ids, weeks), "scenario": np.full(runs * weeks, SCENARIO),
        "week": np.tile(np.arange(weeks), runs), "payer": np.full(runs * weeks, "state"),
        "payee": np.full(runs * weeks, "provider"), "item": np.full(runs * weeks, "outcome_fee"),
        "scope": np.full(runs * weeks, "target"), "amount_eur": rng.random(runs * weeks) * 1e4,
    })
    now = datetime.now().isoformat()
    rows = [{"run_id": run_id, "scenario": SCENARIO, "scenario_hash": SCENARIO_HASH,
             "parameters": "{}", "entropy": str(ENTROPY), "spawn_key": str(rep),
             "replication": rep, "weeks": weeks, "code_version": CODE_VERSION,
             "batch": "benchmark", "tags": "{}", "status": "done", "started_at": now,
             "finished_at": now, "content_hash": None, "location": None}
            for run_id, rep in zip(run_ids, replications, strict=True)]
    schema = pa.schema([(name, pa.int64() if name in ("replication", "weeks") else pa.string())
                        for name in REGISTRY_COLUMNS])
    return {"weekly": weekly, "summary": summary, "ledger": ledger,
            "runs": pa.Table.from_pylist(rows, schema=schema)}


def write_segments(root: Path, runs: int, weeks: int, metrics: int) -> None:
    rng = np.random.default_rng(2024)
    partition = root / "data" / f"scenario={SCENARIO}"
    partition.mkdir(parents=True, exist_ok=True)
    for start in range(0, runs, COMPACT_EVERY):
        replications = range(start, min(start + COMPACT_EVERY, runs))
        run_ids = [make_run_id(scenario_hash=SCENARIO_HASH, entropy=ENTROPY, spawn_key=(rep,),
                               weeks=weeks, code_version=CODE_VERSION) for rep in replications]
        name = "segment-" + hashlib.sha256(",".join(sorted(run_ids)).encode()).hexdigest()[:16]
        staging = Path(tempfile.mkdtemp(dir=root / "tmp")) / name
        staging.mkdir()
        for table, data in segment_tables(run_ids, replications, weeks, metrics, rng).items():
            pq.write_table(data, staging / f"{table}.parquet")
        os.replace(staging, partition / name)
        staging.parent.rmdir()


def build_store(root: Path, runs: int, weeks: int, metrics: int) -> None:
    loose = min(COMPACT_EVERY - 1, runs)
    ResultsStore(root).close()  # creates the folders
    started = time.perf_counter()
    write_segments(root, runs - loose, weeks, metrics)
    with ResultsStore(root, fsync=False) as store:
        settled = len(store.recover().segments_settled)
        bulk_done = time.perf_counter()
        rng = np.random.default_rng(7)
        for rep in range(runs - loose, runs):
            run_id = store.begin(run_meta(rep, weeks))
            store.write(run_id, *run_frames(rng, weeks, metrics))
            store.finish(run_id)
    real_done = time.perf_counter()
    print(f"built {runs} runs: {settled} in segments ({bulk_done - started:.1f} s, bulk), "
          f"{loose} through write() ({real_done - bulk_done:.1f} s, "
          f"{1000 * (real_done - bulk_done) / max(loose, 1):.0f} ms per run, fsync off)")


def time_band(root: Path, metric: str, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        with StoreReader(root) as reader:  # a fresh reader each time: no warm connection
            started = time.perf_counter()
            band = reader.band_by_week(SCENARIO, metric)
            timings.append(time.perf_counter() - started)
    assert int(band["runs"].iloc[0]) > 0
    print(band.head(3).to_string(index=False))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=74)
    parser.add_argument("--metrics", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the store here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch) / "store"
        build_store(root, args.runs, args.weeks, args.metrics)
        timings = time_band(root, "metric_03", args.repeat)
    print(f"band_by_week over {args.runs} runs x {args.weeks} weeks: "
          f"best {min(timings):.3f} s, median {float(np.median(timings)):.3f} s "
          f"(goal < 2 s)")


if __name__ == "__main__":
    main()
