"""Load benchmark of the workshop dashboard: concurrent sessions on loopback.

Starts ``pilotsim dashboard`` (a fresh temporary store unless --store is given) and drives
``--sessions`` concurrent sessions through the Dash callback endpoint, as the page does: each
loads the page (which gives it its session cookie), presses Run on a workshop-size scenario,
polls progress, and asks for the compare view when the first answer (the first replications)
is ready and again when the full answer is. Sessions pick one of ``--distinct`` caseloads (the
baseline is shared); by default every session has its own setting.

Reports p50/p95 time from Run to the first answer and to the full answer (each rendered as
the compare view), the error count (refusals, failures, HTTP errors, timeouts), whether the
sessions were served in turn (no session that pressed Run later had its full answer, its
second turn, before an earlier one had its first answer), and the most worker processes seen
under the server (the forkserver and resource tracker are helpers, not workers). Stops by
itself after ``--timeout`` seconds. Goals on a 2-core machine: no errors, served in turn, no
more workers than configured, p95 to the first answer under 60 s.

    python benchmarks/dashboard_load.py --sessions 20 --workers 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import socket
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


def _post(base: str, body: dict[str, Any], timeout: float = 60, cookie: str = ""
          ) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(base + "_dash-update-component",
                                     data=json.dumps(body).encode(), headers=headers)
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
        # several callbacks listen to one input (the result's "ready" drives the view, the
        # parameter-uncertainty section and the out-of-date marker): a callback is found by
        # the whole list of its inputs, as the requests below send them
        self.by_inputs = {}
        for dep in deps:
            key = tuple(f"{item['id']}.{item['property']}" for item in dep["inputs"])
            self.by_inputs.setdefault(key, dep["output"])

    def body(self, trigger: str, inputs: list[dict[str, Any]], state: list[Any]
             ) -> dict[str, Any]:
        key = tuple(f"{item['id']}.{item['property']}" for item in inputs)
        spec = self.by_inputs[key]
        return {"output": spec, "outputs": _outputs(spec), "inputs": inputs, "state": state,
                "changedPropIds": [trigger]}


def _cookie(base: str) -> str:
    """The session cookie the page gets on its first request."""
    with urllib.request.urlopen(base, timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("pilotsim_session="):
                return header.split(";", 1)[0]
    return ""


def _view(base: str, calls: Callbacks, ready: str, cookie: str) -> bool:
    view = _post(base, calls.body("ready.data", [
        {"id": "ready", "property": "data", "value": ready},
        {"id": "scope", "property": "value", "value": "target"},
        {"id": "lang", "property": "value", "value": "en"}], []), cookie=cookie)
    return "effects-table" in json.dumps(view)


def session(base: str, calls: Callbacks, caseload: float, args: argparse.Namespace,
            deadline: float) -> dict[str, Any]:
    """One participant: Run, poll, see the first answer, then the full one."""
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
             [{"id": i, "property": "id", "value": i} for i in ids],
             {"id": "lang", "property": "value", "value": "en"},
             {"id": "draws", "property": "value", "value": 0}]
    cookie = _cookie(base)
    out: dict[str, Any] = {"error": "", "first": None, "full": None}
    out["start"] = time.monotonic()
    reply = _post(base, calls.body("run.n_clicks", [{"id": "run", "property": "n_clicks",
                                                     "value": 1}], state),
                  cookie=cookie)["response"]
    job = reply.get("job", {}).get("data")
    ready = reply.get("ready", {}).get("data")
    if job is None and ready is None:
        return {**out, "error": "refused: " + json.dumps(reply.get("run-message", {}))[:200]}
    n, shown = 0, None
    while True:
        if ready is not None and ready != shown:
            if not _view(base, calls, ready, cookie):
                return {**out, "error": "no compare view"}
            shown = ready
            now = time.monotonic()
            out["first"] = out["first"] or now
            if ready == job or job is None:
                out["full"] = now
                return out
        if time.monotonic() > deadline:
            return {**out, "error": "timeout"}
        time.sleep(0.7)
        n += 1
        reply = _post(base, calls.body(
            "poll.n_intervals", [{"id": "poll", "property": "n_intervals", "value": n}],
            [{"id": "job", "property": "data", "value": job},
             {"id": "ready", "property": "data", "value": shown}]),
            cookie=cookie).get("response", {})
        ready = reply.get("ready", {}).get("data", shown)
        message = json.dumps(reply.get("run-message", {}))
        if "run-error" in message:
            return {**out, "error": "failed: " + message[:200]}


def out_of_turn(results: list[dict[str, Any]]) -> int:
    """Pairs where a session that pressed Run later had its full answer (its second turn)
    before an earlier session had its first answer: round-robin never allows that."""
    done = [r for r in results if r["first"] is not None and r["full"] is not None]
    return sum(1 for a in done for b in done
               if a["start"] < b["start"] and b["full"] > b["first"]
               and b["full"] < a["first"])


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
    parser.add_argument("--caseload", type=float, default=None,
                        help="every session's caseload (with --store: a lever change against "
                             "a stored baseline, the workshop's usual step)")
    parser.add_argument("--distinct", type=int, default=None,
                        help="distinct lever settings among the sessions (default: each its "
                             "own)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--job-seekers", type=int, default=3000)
    parser.add_argument("--weeks", type=int, default=74)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    if not 1 <= args.sessions <= 100:
        parser.error("--sessions must be 1..100")
    args.distinct = args.distinct or args.sessions

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
        if args.caseload is not None:
            settings = [args.caseload] * args.distinct
        results: list[dict[str, Any]] = [{"error": "not started", "first": None,
                                          "full": None, "start": math.inf}] * args.sessions
        deadline = time.monotonic() + args.timeout

        def run(i: int, delay: float) -> None:
            time.sleep(delay)
            try:
                results[i] = session(base, calls, settings[i % args.distinct], args, deadline)
            except Exception as error:  # counted as an error, never a hang
                results[i] = {"error": f"{type(error).__name__}: {error}", "first": None,
                              "full": None, "start": math.inf}

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

    first = sorted(r["first"] - r["start"] for r in results if r["first"] is not None)
    full = sorted(r["full"] - r["start"] for r in results if r["full"] is not None)
    errors = [r["error"] for r in results if r["error"]]
    turns = out_of_turn(results)
    load = os.getloadavg()
    print(f"sessions {args.sessions} ({args.distinct} distinct settings), "
          f"{args.job_seekers:,} job seekers x {args.weeks} weeks, "
          f"{args.replications} replications + shared baseline, workers {args.workers}")
    print(f"time to first answer: p50 {_p(first, 0.5):.1f} s, p95 {_p(first, 0.95):.1f} s; "
          f"to full answer: p50 {_p(full, 0.5):.1f} s, p95 {_p(full, 0.95):.1f} s, max "
          f"{full[-1] if full else math.nan:.1f} s; wall {wall:.1f} s")
    print(f"errors: {len(errors)}" + (f" ({'; '.join(sorted(set(errors)))[:500]})"
                                      if errors else ""))
    print(f"served in turn: {'yes' if turns == 0 else 'NO'} ({turns} out-of-turn pairs)")
    print(f"worker processes: at most {most[0]} seen, {args.workers} configured")
    print(f"server healthy after the load: {healthy}")
    print(f"machine load average at the end (1, 5, 15 min): "
          f"{load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} on {os.cpu_count()} cores")
    ok = (not errors and turns == 0 and most[0] <= args.workers and _p(first, 0.95) < 60
          and healthy)
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


def _p(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of sorted values."""
    if not values:
        return math.nan
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


if __name__ == "__main__":
    sys.exit(main())
