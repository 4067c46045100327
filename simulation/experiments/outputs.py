"""Writing a file the user named: checked before any work, written whole or not at all.

Every command that writes a file (``export``, ``compare --csv``, ``report --out``,
``power --html``, ``sensitivity --html``) goes through :func:`check_output` before it runs a
single replication and :func:`write_output` at the end. The rules:

- the file's folder exists, is a folder and is writable;
- the target is a regular file or absent; anything else (a folder, a device such as
  ``/dev/null``, a FIFO, a socket, a symbolic link) is never replaced, even when asked to
  overwrite;
- an existing regular file is replaced only when asked to (``--force``);
- the file is written beside its destination and renamed into place, so a crash or a refusal
  leaves no half-written file, and it gets the normal permissions (``0666`` less the umask;
  temporary files would otherwise be private, ``0600``).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

# Longest name of one path component on common Linux/macOS file systems (bytes), and the
# temporary-file decoration we add to it (".NAME." + 8 random characters + ".tmp").
NAME_MAX = 255
_TEMP_EXTRA = 14


class OutputError(ValueError):
    """An output path that cannot or must not be written; the message names the path."""


class OutputExistsError(OutputError, FileExistsError):
    """The output file exists and overwriting it was not asked for."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _existing(path: Path) -> os.stat_result | None:
    """The target's own status (links not followed), or None when it is absent."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{path}: cannot be checked ({exc.strerror or exc})") from None


def check_output(path: Path | str, overwrite: bool) -> Path:
    """Refuse an output path that :func:`write_output` could not or must not write.

    Returns the path. Raises :class:`OutputError` with a one-line reason naming the path.
    """
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise OutputError(f"{path}: names a folder, not a file")
    if len(os.fsencode(path.name)) + _TEMP_EXTRA > NAME_MAX:
        raise OutputError(f"{path.name[:40]}...: file name too long "
                          f"(at most {NAME_MAX - _TEMP_EXTRA} bytes)")
    folder = path.parent
    try:
        folder_stat = os.stat(folder)
    except FileNotFoundError:
        raise OutputError(f"{folder}: no such folder") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise OutputError(f"{str(path)[:60]}...: path too long") from None
        raise OutputError(f"{folder}: cannot be used ({exc.strerror or exc})") from None
    if not stat.S_ISDIR(folder_stat.st_mode):
        raise OutputError(f"{folder}: not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: folder is not writable")
    found = _existing(path)
    if found is not None:
        if not stat.S_ISREG(found.st_mode):
            raise OutputError(f"{path}: is {_kind(found.st_mode)}, not a file; "
                              "it is never replaced")
        if not overwrite:
            raise OutputExistsError(f"{path}: exists; pass --force to overwrite")
    return path


def default_mode() -> int:
    """Permissions of a new file under this process's umask."""
    try:  # read it without changing it (os.umask would race with other threads)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_output(path: Path | str, write: Callable[[Path], None], overwrite: bool) -> Path:
    """Write a file through ``write(temporary_path)`` and move it into place.

    Without ``overwrite`` never replaces a file, not even one that appears meanwhile; with it,
    replaces only a regular file (checked again just before the rename).
    """
    path = check_output(path, overwrite)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        write(temp)
        os.chmod(temp, default_mode())
        if overwrite:
            found = _existing(path)
            if found is not None and not stat.S_ISREG(found.st_mode):
                raise OutputError(f"{path}: is {_kind(found.st_mode)}, not a file; "
                                  "it is never replaced")
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)  # fails if the target appeared meanwhile: no clobber
            except FileExistsError:
                raise OutputExistsError(f"{path}: exists; pass --force to overwrite") from None
    finally:
        temp.unlink(missing_ok=True)
    return path
