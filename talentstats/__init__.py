"""talentstats: Dongguan talent statistics, from towns' workbooks to the annual bulletin.

Researchers start with :func:`load`::

    import talentstats
    obs = talentstats.load("observations", years=[2016])
"""

__version__ = "0.1.0"
