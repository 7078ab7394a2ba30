"""talentstats: Dongguan talent statistics, from towns' workbooks to the annual bulletin.

Researchers start with :func:`load`::

    import talentstats
    obs = talentstats.load("observations", years=[2016])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The researchers' names are loaded on first use (PEP 562), so that importing a submodule,
# e.g. in an ingest worker, does not import pandas and DuckDB with the package.
_LAZY = {
    "indicator_panel": "talentstats.store.api",
    "load": "talentstats.store.api",
    "tr1_table": "talentstats.store.api",
    "run_query": "talentstats.store.query",
}

__all__ = ["__version__", "indicator_panel", "load", "run_query", "tr1_table"]

if TYPE_CHECKING:
    from talentstats.store.api import indicator_panel, load, tr1_table
    from talentstats.store.query import run_query


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'talentstats' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
