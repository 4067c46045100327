"""Mutation testing of the modules that carry money, identity and headline numbers.

    pip install -e '.[test,mutation]'
    python tools/mutation.py                      # every mutant of the scope (hours)
    python tools/mutation.py --sample 40          # 40 mutants a module, seeded (minutes)
    python tools/mutation.py --report             # the table of the last run, no run

It wraps ``mutmut run`` (the version pinned in pyproject's ``mutation`` extra; the modules
and the fast test selection are ``[tool.mutmut]`` there): mutmut generates the mutants into
``mutants/``, records which selected tests call each mutated function, and runs only those
tests against each mutant, fastest first, stopping at the first failure. This script chooses
which mutants to run (the scope below: whole modules, and on the store's reuse and resume
path only the functions on that path), runs them, and prints the score by module and the
surviving mutants (``mutmut show NAME`` shows one as a diff). Not part of CI: see
docs/testing.md for the run times and the scores.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"

# Module (as reported) -> mutant name patterns. mutmut names a mutant
# ``<module>.x_<function>__mutmut_<n>`` or ``<module>.xǁ<Class>ǁ<method>__mutmut_<n>``.
SCOPE: dict[str, tuple[str, ...]] = {
    "engine/ledger": ("simulation.engine.ledger.*",),
    "engine/payments": ("simulation.engine.payments.*",),
    "params/settlement": ("simulation.params.settlement.*",),
    "engine/results": ("simulation.engine.results.*",),
    "engine/metrics": ("simulation.engine.metrics.*",),
    "engine/matching": ("simulation.engine.matching.*",),
    "engine/population": ("simulation.engine.population.*",),
    "engine/actions": ("simulation.engine.actions.*",),
    "engine/providers/fees": ("simulation.engine.providers.fees.*",),
    "experiments/counterfactuals": ("simulation.experiments.counterfactuals.*",),
    # the store's reuse and resume path: is this run already here, and read it back
    "store reuse and resume": (
        "simulation.experiments.store.identity.*",
        *(f"simulation.experiments.runner.{name}__mutmut_*" for name in (
            "x_requests", "xǁRunRequestǁseed_sequence", "x_run_meta", "x__identity",
            "x_execute", "x__begin", "x__stored_results")),
        *(f"simulation.experiments.store.writer.xǁResultsStoreǁ{name}__mutmut_*"
          for name in ("has", "_data_intact", "begin")),
        *(f"simulation.experiments.store.reader.{name}__mutmut_*" for name in (
            "x__take_snapshot", "xǁ_Snapshotǁfiles", "xǁStoreReaderǁ__init__",
            "xǁStoreReaderǁ_retrying", "xǁStoreReaderǁ_query", "xǁStoreReaderǁruns",
            "xǁStoreReaderǁ_table", "xǁStoreReaderǁweekly", "xǁStoreReaderǁsummaries",
            "xǁStoreReaderǁledger", "xǁStoreReaderǁdetails")),
    ),
}
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          None: "not run"}


def generate() -> dict[str, str]:
    """Generate the mutants (as ``mutmut run`` does first); mutant name -> module."""
    os.chdir(ROOT)
    from mutmut.__main__ import create_mutants  # mutmut 3.8 (pinned)
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir

    set_mutant_under_test("mutant_generation")
    MUTANTS.mkdir(exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    create_mutants(2)
    return {name: module for name in _all_names() for module in [_module_of(name)] if module}


def _all_names() -> list[str]:
    names = []
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        names += json.loads(meta.read_text())["exit_code_by_key"]
    return sorted(names)


def _module_of(name: str) -> str | None:
    for module, patterns in SCOPE.items():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return module
    return None


def _results() -> dict[str, int | None]:
    codes: dict[str, int | None] = {}
    for meta in MUTANTS.rglob("*.py.meta"):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def _durations() -> dict[str, float]:
    """Seconds each mutant's test run took (in one worker), from its latest run."""
    seconds: dict[str, float] = {}
    for meta in MUTANTS.rglob("*.py.meta"):
        seconds.update(json.loads(meta.read_text()).get("durations_by_key", {}))
    return seconds


def report(names: list[str], out: Path | None) -> None:
    codes, seconds = _results(), _durations()
    by_module: dict[str, Counter] = {module: Counter() for module in SCOPE}
    survivors = []
    for name in names:
        status = STATUS.get(codes.get(name), "suspicious")
        by_module[_module_of(name)][status] += 1
        by_module[_module_of(name)]["seconds"] += seconds.get(name, 0.0)
        if status in ("survived", "no tests", "timeout", "suspicious"):
            survivors.append((status, name))
    lines = ["| module | mutants run | killed | survived | no tests | timeout | score | "
             "worker time |", "|---|---|---|---|---|---|---|---|"]
    total: Counter = Counter()
    for module, counts in by_module.items():
        total.update(counts)
        lines.append(_row(module, counts))
    lines.append(_row("**all**", total))
    text = "\n".join(lines) + "\n\nNot killed:\n" + "\n".join(
        f"- {status}: `{name}`" for status, name in sorted(survivors, key=lambda x: x[1]))
    print(text)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")


def _row(module: str, counts: Counter) -> str:
    run = sum(v for k, v in counts.items() if k not in ("not run", "seconds"))
    killed = counts["killed"]
    score = f"{killed / run:.0%}" if run else "–"
    return (f"| {module} | {run} | {killed} | {counts['survived']} | {counts['no tests']} | "
            f"{counts['timeout']} | {score} | {counts['seconds'] / 60:.0f} min |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, help="mutants per module, chosen with --seed")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report", action="store_true", help="only print the last run's table")
    parser.add_argument("--again", action="store_true",
                        help="run again only the last run's mutants that were not killed (after "
                             "adding tests: a killed mutant stays killed, its test is still "
                             "selected)")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    chosen_file = MUTANTS / "chosen.json"
    if args.report:
        report(json.loads(chosen_file.read_text()), args.out)
        return
    if args.again:
        chosen = json.loads(chosen_file.read_text())
        codes = _results()
        again = [n for n in chosen if STATUS.get(codes.get(n)) != "killed"]
        generate()
        _run(again, args.max_children)
        report(chosen, args.out)
        return
    scoped = generate()
    chosen = []
    for module in SCOPE:
        names = sorted(n for n, m in scoped.items() if m == module)
        if args.sample is not None and len(names) > args.sample:
            names = sorted(random.Random(f"{args.seed}:{module}").sample(names, args.sample))
        chosen += names
    chosen_file.write_text(json.dumps(chosen))
    print(f"{len(chosen)} mutants of {len(scoped)} in scope", flush=True)
    _run(chosen, args.max_children)
    report(chosen, args.out)


def _run(names: list[str], max_children: int) -> None:
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children",
                    str(max_children), *names], cwd=ROOT, check=False)
    print(f"\nmutation run of {len(names)} mutants: {time.monotonic() - start:.0f} s wall "
          "clock", flush=True)


if __name__ == "__main__":
    main()
