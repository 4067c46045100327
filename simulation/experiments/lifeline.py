"""No orphans: local worker processes end when their coordinator ends, however it ends.

The local pool starts its workers through a forkserver, so a worker's parent is the
forkserver, not the coordinator. When the coordinator is killed (``kill -9``, the OOM killer)
nothing tells them: the forkserver waits for workers that wait for work, and the resource
tracker waits for both. Two watchers break that chain, each enough on its own on Linux:

- **in the forkserver** (imported as one of its preloaded modules): a thread notices that
  the forkserver's parent, the coordinator, is gone (it has been re-parented) and exits;
- **in each worker** (the pool's initializer): ``PR_SET_PDEATHSIG`` has the kernel kill the
  worker when its parent, the forkserver, dies; and a thread polls the coordinator's process
  id and exits when it is gone or a zombie (for systems without ``prctl`` and for the moment
  between the worker's start and the initializer).

Once the workers and the forkserver are gone, the resource tracker sees its last client
leave and exits too. Nothing here runs in the coordinator itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

POLL_SECONDS = 0.25
_PR_SET_PDEATHSIG = 1


def _gone(pid: int) -> bool:
    """True when process ``pid`` no longer runs (a zombie has stopped running too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


def _watch(still_there: Callable[[], bool]) -> None:
    def loop() -> None:
        while still_there():
            time.sleep(POLL_SECONDS)
        os._exit(0)  # no clean-up to do: the coordinator that wanted the results is gone

    threading.Thread(target=loop, name="pilotsim-lifeline", daemon=True).start()


def _die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent (thread) exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def worker_started(coordinator: int) -> None:
    """The local pool's initializer: tie this worker's life to its parent and coordinator."""
    # Ctrl-C reaches the whole process group; only the coordinator should react to it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent or _gone(coordinator):  # died before we were watching
        os._exit(0)
    _watch(lambda: not _gone(coordinator))


def _in_forkserver() -> bool:
    """True while the multiprocessing forkserver imports its preloaded modules."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and code.co_filename.endswith(
                os.path.join("multiprocessing", "forkserver.py")):
            return True
        frame = frame.f_back
    return False


def _watch_forkserver_parent() -> None:
    # The forkserver's parent is the coordinator; when it dies the forkserver is re-parented.
    coordinator = os.getppid()
    _watch(lambda: os.getppid() == coordinator)


if _in_forkserver():
    _watch_forkserver_parent()
