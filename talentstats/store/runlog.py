"""Run logs: what produced the processed data and the reports, one JSON-lines file per run.

Written by the shell (``pipeline``, ``cli``), never by the pure core. A run's file is
``<reports>/logs/<YYYYmmdd-HHMMSS>-<command>[-<year>]-<pid>.jsonl``: one JSON object per line,
each with ``event`` and ``time``, in the order things happened:

- ``start``: the command line, the parameters, the package and library versions, and the
  configuration in effect (absolute paths, the sha256 of every declaration file: forms, rules,
  indicators, units, reference data, a ``TALENTSTATS_CONFIG`` profile; every
  ``TALENTSTATS_*`` variable);
- ``key`` (ingest): the pseudonym key file's *location* and a fingerprint that tells whether
  two runs used the same key, never the key;
- ``inputs`` (ingest): every submission file with its size, mtime and sha256;
- ``stage``: a stage's name, its counts and its seconds;
- ``end``: the exit status (or the error), the manifest hash of the processed data it left, and
  the total seconds. A file without an ``end`` line is a run that was killed.

No personal data: file names, counts and hashes only (no roster rows, no cell values, no
finding messages). Reports log the manifest hash (:func:`talentstats.store.catalog.manifest_digest`)
of the processed data they were rendered from, and the sha256 of each file they wrote, so a
bulletin is traced to its data and the data to its inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from talentstats.profile.text import decode_name
from talentstats.reading.digest import sha256_file

__all__ = ["RunLog", "configuration", "environment", "file_digest", "key_fingerprint", "open_run",
           "versions"]

#: Distributions whose versions are logged (what can change a number or a report).
LIBRARIES = ("pandas", "numpy", "pyarrow", "python-calamine", "openpyxl", "duckdb", "pyyaml",
             "matplotlib", "papermill", "nbconvert")

_SECRET = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|_KEY)$")


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def versions() -> dict[str, str | None]:
    """talentstats, Python and the libraries that shape the outputs."""
    from talentstats import __version__

    out: dict[str, str | None] = {
        "talentstats": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for dist in LIBRARIES:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def environment() -> dict[str, str]:
    """Every ``TALENTSTATS_*`` variable; a name that looks like a secret has its value hidden."""
    return {k: ("<hidden>" if _SECRET.search(k) else v)
            for k, v in sorted(os.environ.items()) if k.startswith("TALENTSTATS_")}


def _tree_digests(root: Any, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for item in sorted(root.iterdir(), key=lambda t: t.name):
        if item.name.startswith((".", "__")):
            continue
        name = f"{prefix}{item.name}"
        if item.is_dir():
            out.update(_tree_digests(item, name + "/"))
        else:
            out[name] = hashlib.sha256(item.read_bytes()).hexdigest()
    return out


def configuration() -> dict[str, Any]:
    """The configuration in effect: default folders, and the sha256 of every declaration file.

    The declarations are the package's ``talentstats/data`` (forms, rules, indicators, units,
    reference data) and, when ``TALENTSTATS_CONFIG`` names a profile folder, its files; their
    hashes say which rules and targets produced a run's findings and numbers.
    """
    from importlib import resources

    from talentstats import paths

    config: dict[str, Any] = {
        "default_paths": {
            "raw": str(paths.raw_dir().absolute()),
            "processed": str(paths.processed_dir().absolute()),
            "reports": str(paths.reports_dir().absolute()),
            "key_file": str(paths.key_file().absolute()),
        },
        "declarations": _tree_digests(resources.files("talentstats").joinpath("data")),
    }
    profile = os.environ.get("TALENTSTATS_CONFIG")
    if profile and Path(profile).is_dir():
        config["profile"] = {"folder": str(Path(profile).absolute()),
                             "files": _tree_digests(Path(profile))}
    return config


def _utf8(value: Any) -> Any:
    """``value`` with every text in it writable as UTF-8: a file name or an argument that is
    not UTF-8 on disk (surrogate escapes) is decoded by ``text.decode_name``."""
    if isinstance(value, str):
        return decode_name(value)
    if isinstance(value, Mapping):
        return {_utf8(k): _utf8(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_utf8(v) for v in value]
    return value


def key_fingerprint(key: bytes) -> str:
    """16 hex digits that tell whether two runs used the same pseudonym key; not the key."""
    return hashlib.sha256(b"talentstats key fingerprint\0" + key).hexdigest()[:16]


def file_digest(path: Path) -> dict[str, Any]:
    """Size and sha256 of a file (for the outputs a report command wrote)."""
    return {"file": str(path), "bytes": path.stat().st_size, "sha256": sha256_file(path)}


class RunLog:
    """An open run log. With no folder it writes nothing (library calls that did not ask)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._fh = None
        self._started = time.perf_counter()
        self.ended = False
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(path, "x", encoding="utf-8")  # closed in close()

    def event(self, event: str, **fields: Any) -> None:
        """Append one line ``{"event": ..., "time": ..., **fields}`` and flush it."""
        if self._fh is None:
            return
        record = _utf8({"event": event, "time": _now(), **fields})
        self._fh.write(json.dumps(record, ensure_ascii=False, default=lambda v: _utf8(str(v)))
                       + "\n")
        self._fh.flush()

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, Any]]:
        """Time a stage; fill the yielded dict with its counts. Logged when the stage ends."""
        counts: dict[str, Any] = {}
        start = time.perf_counter()
        try:
            yield counts
        except BaseException:
            self.event("stage", stage=name, seconds=round(time.perf_counter() - start, 3),
                       failed=True, **counts)
            raise
        self.event("stage", stage=name, seconds=round(time.perf_counter() - start, 3), **counts)

    def end(self, status: int | str, **fields: Any) -> None:
        """The last line: exit status and whatever the run wants to leave (manifest hash...)."""
        if self.ended:
            return
        self.ended = True
        self.event("end", status=status, seconds=round(time.perf_counter() - self._started, 3),
                   **fields)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _log_path(log_dir: Path, command: str, tag: str) -> Path:
    stem = "-".join(p for p in (datetime.now().strftime("%Y%m%d-%H%M%S"), command, tag,
                                str(os.getpid())) if p)
    path = log_dir / f"{stem}.jsonl"
    n = 2
    while path.exists():
        path = log_dir / f"{stem}-{n}.jsonl"
        n += 1
    return path


@contextmanager
def open_run(command: str, log_dir: str | Path | None, *, tag: str = "",
             parameters: Mapping[str, Any] | None = None,
             config: Mapping[str, Any] | None = None) -> Iterator[RunLog]:
    """Open a run log in ``log_dir`` (None: log nothing) and write its ``start`` line.

    An exception leaving the block is logged as the ``end`` (status ``error`` or
    ``interrupted``, with the error's type and first line) and re-raised.
    """
    log = RunLog(_log_path(Path(log_dir), command, tag) if log_dir is not None else None)
    log.event("start", command=command, argv=sys.argv, cwd=os.getcwd(), pid=os.getpid(),
              parameters=dict(parameters or {}), versions=versions(),
              config={**configuration(), **dict(config or {})}, environment=environment())
    try:
        yield log
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "error"
        message = str(exc).splitlines()[0][:500] if str(exc) else ""
        log.end(status, error=type(exc).__name__, message=message)
        raise
    finally:
        log.close()
