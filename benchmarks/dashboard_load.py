"""Load benchmark of the workshop dashboard: concurrent sessions on loopback.

Starts ``pilotsim dashboard`` (a fresh temporary store unless --store is given) and drives
``--sessions`` concurrent sessions through the Dash callback endpoint, as the page does: each
presses Run on a workshop-size scenario, polls progress, then asks for the compare view. A
workshop table explores a few settings, so sessions pick one of ``--distinct`` caseloads (the
baseline is shared); ``--distinct`` equal to ``--sessions`` makes every session different.

Reports p50/p95 time from Run to the rendered compare view, the error count (refusals,
failures, HTTP errors, timeouts) and the most worker processes seen under the server (the
forkserver and resource tracker are helpers, not workers), against the configured number.
Stops by itself after ``--timeout`` seconds. Goals on a 2-core machine: no errors, no more
workers than configured, p95 under 60 s.

    python benchmarks/dashboard_load.py --sessions 20 --workers 2
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from dashboards.levers import levers_for

SCENARIO = "pirkanmaa"
CASELOAD = "interventions.coaching.caseload"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(base: str, body: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    request = urllib.request.Request(base + "_dash-update-component",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status == 204:  # every output was no_update
            return {}
        return json.loads(response.read())


def _outputs(spec: str) -> list[dict[str, str]] | dict[str, str]:
    """The ``outputs`` the renderer sends: a list for multi-output callbacks, else one."""
    def one(part: str) -> dict[str, str]:
        main, _, suffix = part.partition("@")
        id_, prop = main.rsplit(".", 1)
        return {"id": id_, "property": prop + (f"@{suffix}" if suffix else "")}

    if spec.startswith(".."):
        return [one(part) for part in spec[2:-2].split("...")]
    return one(spec)


class Callbacks:
    """The output specs of the page's callbacks, by one of their inputs."""

    def __init__(self, base: str) -> None:
        with urllib.request.urlopen(base + "_dash-dependencies", timeout=30) as response:
            deps = json.loads(response.read())
        self.by_input = {}
        for dep in deps:
            for item in dep["inputs"]:
                self.by_input.setdefault(f"{item['id']}.{item['property']}", dep["output"])

    def body(self, trigger: str, inputs: list[dict[str, Any]], state: list[Any]
             ) -> dict[str, Any]:
        spec = self.by_input[trigger]
        return {"output": spec, "outputs": _outputs(spec), "inputs": inputs, "state": state,
                "changedPropIds": [trigger]}


def session(base: str, calls: Callbacks, caseload: float, args: argparse.Namespace,
            deadline: float) -> tuple[float | None, str]:
    """One participant: Run, poll until ready, fetch the compare view."""
    levers = levers_for(SCENARIO)
    values = [caseload if lever.path == CASELOAD else lever.default for lever in levers]
    ids = [{"key": lever.path, "type": "lever"} for lever in levers]
    state = [{"id": "scenario", "property": "value", "value": SCENARIO},
             {"id": "job_seekers", "property": "value", "value": args.job_seekers},
             {"id": "weeks", "property": "value", "value": args.weeks},
             {"id": "target", "property": "value", "value": "scenario"},
             {"id": "replications", "property": "value", "value": args.replications},
             {"id": "seed", "property": "value", "value": 2017},
             {"id": "scope", "property": "value", "value": "target"},
             [{"id": i, "property": "value", "value": v} for i, v in zip(ids, values,
                                                                         strict=True)],
             [{"id": i, "property": "id", "value": i} for i in ids]]
    start = time.monotonic()
    reply = _post(base, calls.body("run.n_clicks", [{"id": "run", "property": "n_clicks",
                                                     "value": 1}], state))["response"]
    job = reply.get("job", {}).get("data")
    ready = reply.get("ready", {}).get("data")
    if job is None and ready is None:
        return None, "refused: " + json.dumps(reply.get("run-message", {}))[:200]
    n = 0
    while ready is None:
        if time.monotonic() > deadline:
            return None, "timeout"
        time.sleep(0.7)
        n += 1
        reply = _post(base, calls.body(
            "poll.n_intervals", [{"id": "poll", "property": "n_intervals", "value": n}],
            [{"id": "job", "property": "data", "value": job}])).get("response", {})
        ready = reply.get("ready", {}).get("data")
        message = json.dumps(reply.get("run-message", {}))
        if "run-error" in message:
            return None, "failed: " + message[:200]
    view = _post(base, calls.body("ready.data", [
        {"id": "ready", "property": "data", "value": ready},
        {"id": "scope", "property": "value", "value": "target"}], []))
    if "effects-table" not in json.dumps(view):
        return None, "no compare view: " + json.dumps(view)[:200]
    return time.monotonic() - start, ""


def count_workers(server: psutil.Process) -> int:
    """Worker processes under the server (not the forkserver or the resource tracker)."""
    count = 0
    try:
        for child in server.children(recursive=True):
            try:
                if child.status() == psutil.STATUS_ZOMBIE:
                    continue
                helper = child.ppid() == server.pid and any(
                    word in " ".join(child.cmdline())
                    for word in ("forkserver", "resource_tracker"))
                count += not helper
            except psutil.NoSuchProcess:
                continue
    except psutil.NoSuchProcess:
        pass
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--distinct", type=int, default=5,
                        help="distinct lever settings among the sessions")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--job-seekers", type=int, default=3000)
    parser.add_argument("--weeks", type=int, default=74)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    if not 1 <= args.sessions <= 100:
        parser.error("--sessions must be 1..100")

    store = args.store or Path(tempfile.mkdtemp(prefix="pilotsim-load-")) / "store"
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [sys.executable, "-c", "from simulation.cli.main import main; main()", "dashboard",
         "--port", str(port), "--workers", str(args.workers), "--store", str(store),
         "--max-queue", "32"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(base, timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > 90:
                    print("server did not start", file=sys.stderr)
                    return 2
                time.sleep(0.3)
        calls = Callbacks(base)
        watched = psutil.Process(server.pid)
        most = [0]
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                most[0] = max(most[0], count_workers(watched))
                time.sleep(0.1)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        rng = random.Random(8)
        settings = [100.0 - 20.0 * (k - (args.distinct - 1) / 2)
                    if args.distinct <= 5 else 40.0 + 5.0 * k for k in range(args.distinct)]
        results: list[tuple[float | None, str]] = [(None, "not started")] * args.sessions
        deadline = time.monotonic() + args.timeout

        def run(i: int, delay: float) -> None:
            time.sleep(delay)
            try:
                results[i] = session(base, calls, settings[i % args.distinct], args, deadline)
            except Exception as error:  # counted as an error, never a hang
                results[i] = (None, f"{type(error).__name__}: {error}")

        threads = [threading.Thread(target=run, args=(i, rng.uniform(0, 2)), daemon=True)
                   for i in range(args.sessions)]
        t0 = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 5)
        wall = time.monotonic() - t0
        stop.set()
        watcher.join(1)
        healthy = urllib.request.urlopen(base, timeout=5).status == 200
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()

    times = sorted(t for t, _ in results if t is not None)
    errors = [e for t, e in results if t is None]
    p50 = statistics.median(times) if times else float("nan")
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))] if times else \
        float("nan")
    print(f"sessions {args.sessions} ({args.distinct} distinct settings), "
          f"{args.job_seekers:,} job seekers x {args.weeks} weeks, "
          f"{args.replications} replications + shared baseline, workers {args.workers}")
    print(f"time to result: p50 {p50:.1f} s, p95 {p95:.1f} s, max "
          f"{times[-1] if times else float('nan'):.1f} s; wall {wall:.1f} s")
    print(f"errors: {len(errors)}" + (f" ({'; '.join(sorted(set(errors)))[:500]})"
                                      if errors else ""))
    print(f"worker processes: at most {most[0]} seen, {args.workers} configured")
    print(f"server healthy after the load: {healthy}")
    ok = not errors and most[0] <= args.workers and p95 < 60 and healthy
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
