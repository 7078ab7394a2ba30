"""One writer at a time on a processed folder: an ``flock`` on ``OUT/.lock``.

Every command that writes into the processed folder (``ingest``, ``indicators``, ``codebook``,
``build``, and :func:`talentstats.store.catalog.write_datasets` itself) holds the exclusive lock for
its whole run; the report commands (``bulletin``, ``assessment``) hold it shared, so that a
report is never rendered from a folder that is being rewritten. A second run is refused at
once with :class:`FolderBusy` (the CLI exits 2) and changes nothing.

Why ``flock``: the kernel releases it when the holder dies, SIGKILL included, so a lock left
by a killed run never blocks the next one, and there is no stale-PID guessing. The file's text
(pid, command, start time) only makes the refusal message useful; the lock is the ``flock``.
Its descriptor is closed in forked children (``os.register_at_fork``), so a worker that
outlives a killed parent does not keep the folder locked. POSIX only (Linux, macOS); on NFS
Linux maps ``flock`` to a POSIX byte-range lock, which also works across machines.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from talentstats.errors import FolderBusy
from talentstats.profile.text import printable

__all__ = ["LOCK_NAME", "hold", "holds"]

LOCK_NAME = ".lock"


@dataclass
class _Held:
    fd: int
    shared: bool
    depth: int


# realpath of the folder -> the lock this process holds on it (flock is per open file, so a
# nested request in the same process must reuse it, not open the file again)
_held: dict[str, _Held] = {}


def _forget_in_child() -> None:
    for h in _held.values():
        try:
            os.close(h.fd)
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def holds(folder: str | Path) -> bool:
    """Whether this process holds the lock on ``folder`` (exclusive or shared)."""
    return os.path.realpath(folder) in _held


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f"pid {info['pid']}, {info['command']}, {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


@contextmanager
def hold(folder: str | Path, *, shared: bool = False, create: bool = True) -> Iterator[bool]:
    """Hold the processed folder's lock for the ``with`` block; yields whether it is held.

    Parameters
    ----------
    shared
        A reader's lock (report rendering): many at once, none while a writer holds it.
    create
        Create the folder when missing. Without it, a missing folder (or one the user cannot
        write, for a shared lock) is not locked, and the command reports its own error.

    Raises
    ------
    FolderBusy
        When another process holds a conflicting lock. Nothing has been changed.
    """
    folder = Path(folder)
    key = os.path.realpath(folder)
    mine = _held.get(key)
    if mine is not None:
        if mine.shared and not shared:
            raise RuntimeError(f"{folder}: cannot upgrade a shared lock to an exclusive one")
        mine.depth += 1
        try:
            yield True
        finally:
            mine.depth -= 1
        return
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        yield False
        return
    path = folder / LOCK_NAME
    try:
        # never O_TRUNC: a refused run must not touch the holder's note
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if not shared or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        try:  # a researcher's read-only copy: share the lock if the file is there
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            yield False
            return
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise FolderBusy(folder, holder, shared=shared) from None
    if not shared:
        command = printable(" ".join(["talentstats", *sys.argv[1:]]))  # argv may not be UTF-8
        note = {"pid": os.getpid(), "command": command[:200],
                "since": datetime.now().astimezone().isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(note, ensure_ascii=False).encode("utf-8"), 0)
    _held[key] = _Held(fd, shared, 1)
    try:
        yield True
    finally:
        del _held[key]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
