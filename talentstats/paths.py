"""Every path the project uses, in one place.

Defaults are relative to the working folder, so talentstats runs from a statistician's own
project folder as well as from this repository. Each can be moved by an environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "config_dir",
    "export_dir",
    "inside",
    "key_file",
    "logs_dir",
    "processed_dir",
    "raw_dir",
    "reports_dir",
    "sample_dir",
    "templates_dir",
    "utf8_path",
]


def _env_path(var: str, default: str | Path) -> Path:
    return Path(os.environ.get(var) or default)


def raw_dir() -> Path:
    """Where submissions are collected (read only): ``data/raw``."""
    return _env_path("TALENTSTATS_RAW", "data/raw")


def sample_dir() -> Path:
    """Where ``talentstats sample`` writes the generated collection."""
    return raw_dir() / "sample"


def processed_dir() -> Path:
    """The processed datasets (docs/data-contract.md): ``data/processed``."""
    return _env_path("TALENTSTATS_PROCESSED", "data/processed")


def reports_dir() -> Path:
    """Bulletins, assessment reports, feedback workbooks: ``reports``."""
    return _env_path("TALENTSTATS_REPORTS", "reports")


def logs_dir(reports: str | Path | None = None) -> Path:
    """Run logs (one JSON-lines file per command run): ``reports/logs``."""
    return Path(reports if reports is not None else reports_dir()) / "logs"


def templates_dir() -> Path:
    """Where ``talentstats template`` writes blank workbooks: ``reports/templates``."""
    return reports_dir() / "templates"


def export_dir() -> Path:
    """Where ``talentstats export`` writes: ``reports/export``."""
    return reports_dir() / "export"


def key_file() -> Path:
    """The secret key of the roster pseudonyms.

    Kept outside the repository and outside the processed folder:
    ``$TALENTSTATS_KEY_FILE`` or ``~/.config/talentstats/pseudonym.key``.
    """
    default = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return _env_path("TALENTSTATS_KEY_FILE", default / "talentstats" / "pseudonym.key")


def config_dir() -> Path | None:
    """The deployment profile folder, ``$TALENTSTATS_CONFIG``; None: the packaged Dongguan
    profile (``talentstats/data``). Read and checked by ``talentstats.profile.config``."""
    value = os.environ.get("TALENTSTATS_CONFIG", "").strip()
    return Path(value).expanduser() if value else None


def inside(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path`` is ``folder`` or lies under it, once both are resolved (links, ``..``)."""
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def utf8_path(path: str | Path) -> Path:
    """``path``, refused when its name is not UTF-8 (a folder from a Windows zip unpacked on
    Linux): Parquet, notebooks and JSON cannot be written under such a name. Read-only
    folders (RAW_DIR) need no such check: their names are decoded (``text.decode_name``).

    Raises
    ------
    ParameterError
        Asking to rename the folder.
    """
    text = str(Path(path).absolute())
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        from talentstats.errors import ParameterError
        from talentstats.profile.text import decode_name

        raise ParameterError(
            f"路径名不是 UTF-8 编码，请重命名：{decode_name(text)} / the path's name is not "
            "UTF-8 (a Windows zip unpacked on Linux?): rename it"
        ) from None
    return Path(path)
