"""The README's main job, timed as a user runs it: ``compare --all`` then ``report --all``.

    python benchmarks/main_job.py [--rounds 1] [--replications 5] [--keep DIR]

Each round runs, in a fresh empty folder and as fresh processes, exactly the README's first
quick-start command after the install: ``pilotsim compare --all --replications 5`` (which
runs and stores every comparison's replications) and then ``pilotsim report --all
--replications 5 --force`` (which reads them back and writes the HTML report). It prints each
step's wall time with the load average, since the machines are shared; with several rounds,
minimum and median. (No CPU figure: the worker pool ends without being waited for, so its
CPU time is not counted as the command's.)
Goal (issue 19): the main job ≤ 90 s on 2 cores after the install.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _step(args: list[str], folder: Path) -> float:
    """Wall seconds of one pilotsim command run in ``folder``."""
    pilotsim = Path(sys.executable).with_name("pilotsim")
    start = time.perf_counter()
    subprocess.run([str(pilotsim), *args], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="run in this (new) folder and keep it")
    args = parser.parse_args()
    if args.keep is not None and args.rounds != 1:
        parser.error("--keep runs one round")
    reps = ["--replications", str(args.replications)]
    steps = {"compare": ["compare", "--all", *reps],
             "report": ["report", "--all", *reps, "--force"]}
    figures: dict[str, list[float]] = {name: [] for name in (*steps, "total")}
    print(f"the main job, {args.replications} replications, {args.rounds} round(s); "
          f"load before: {os.getloadavg()[0]:.2f}")
    for _ in range(args.rounds):
        if args.keep is not None:
            args.keep.mkdir(parents=True)
            folder = args.keep
        else:
            folder = Path(tempfile.mkdtemp(prefix="pilotsim-main-job-"))
        try:
            measured = {name: _step(command, folder) for name, command in steps.items()}
        finally:
            if args.keep is None:
                shutil.rmtree(folder, ignore_errors=True)
        measured["total"] = sum(measured.values())
        for name, value in measured.items():
            figures[name].append(value)
        print("  " + ", ".join(f"{name} {wall:.1f} s" for name, wall in measured.items())
              + f"; load {os.getloadavg()[0]:.2f}")
    if args.rounds > 1:
        for name, walls in figures.items():
            print(f"{name:<8} min {min(walls):.1f} s, median {statistics.median(walls):.1f} s")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
