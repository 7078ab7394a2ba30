"""The project's exceptions: one base, narrow subclasses that carry context."""

from __future__ import annotations

__all__ = ["DataNotFound", "ParameterError", "TalentstatsError", "UnsafeQuery"]


class TalentstatsError(Exception):
    """Base of every error talentstats raises on purpose; the CLI prints it without a traceback."""


class ParameterError(TalentstatsError):
    """A user-given parameter (year, folder, option) is invalid."""


class DataNotFound(TalentstatsError):
    """A dataset or a year the command needs is not in the processed folder."""


class UnsafeQuery(TalentstatsError):
    """A researcher's SQL tried to reach files, extensions or settings."""
