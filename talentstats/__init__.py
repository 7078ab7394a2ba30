"""talentstats: Dongguan talent statistics, from towns' workbooks to the annual bulletin.

Researchers start with :func:`load`::

    import talentstats
    obs = talentstats.load("observations", years=[2016])
"""

__version__ = "0.1.0"

from talentstats.api import indicator_panel, load, tr1_table  # noqa: E402
from talentstats.query import run_query  # noqa: E402

__all__ = ["__version__", "indicator_panel", "load", "run_query", "tr1_table"]
