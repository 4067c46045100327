"""Path arguments checked before any work: input files that must be readable files, and
output folders that must exist (or be creatable) and be writable.

Output *files* are checked by :func:`simulation.experiments.outputs.check_output`. Every
refusal is a :class:`~simulation.cli.common.UsageError` naming the option and the path.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from simulation.cli.common import UsageError

_SHOWN = 120  # characters of a path shown in a message


def _shown(path: Path) -> str:
    text = str(path)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "path too long"
    return exc.strerror or str(exc)


def input_file(path: Path, option: str) -> Path:
    """A file to read: exists, is a file (not a folder) and is readable."""
    try:
        found = path.stat()
    except FileNotFoundError:
        raise UsageError(f"{option} {_shown(path)}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{option} {_shown(path)}: {_reason(exc)}") from None
    if stat.S_ISDIR(found.st_mode):
        raise UsageError(f"{option} {_shown(path)}: is a folder, not a file")
    if not stat.S_ISREG(found.st_mode):
        raise UsageError(f"{option} {_shown(path)}: not a regular file")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{option} {_shown(path)}: not readable")
    return path


def output_folder(path: Path, option: str) -> Path:
    """A folder to write into: exists and is writable, or can be made in a writable folder."""
    try:
        if path.exists():
            if not path.is_dir():
                raise UsageError(f"{option} {_shown(path)}: is a file, not a folder")
            if not os.access(path, os.W_OK | os.X_OK):
                raise UsageError(f"{option} {_shown(path)}: folder is not writable")
            return path
        parent = next((p for p in path.absolute().parents if p.exists()), None)
    except OSError as exc:
        raise UsageError(f"{option} {_shown(path)}: {_reason(exc)}") from None
    if parent is None or not parent.is_dir():
        raise UsageError(f"{option} {_shown(path)}: cannot be made (no folder above it)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {_shown(path)}: cannot be made ({parent} is not "
                         "writable)")
    if any(len(os.fsencode(part)) > 255 for part in path.parts):
        raise UsageError(f"{option} {_shown(path)}: a folder name is too long")
    return path
