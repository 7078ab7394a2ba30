"""The project's exceptions: one base, narrow subclasses that carry context."""

from __future__ import annotations

__all__ = ["ConfigError", "DataNotFound", "FolderBusy", "ParameterError", "TalentstatsError",
           "UnsafeQuery"]


class TalentstatsError(Exception):
    """Base of every error talentstats raises on purpose; the CLI prints it without a traceback."""


class ParameterError(TalentstatsError):
    """A user-given parameter (year, folder, option) is invalid."""


class ConfigError(ParameterError):
    """The deployment profile (TALENTSTATS_CONFIG) lacks a file, or a file holds a wrong value."""


class DataNotFound(TalentstatsError):
    """A dataset or a year the command needs is not in the processed folder."""


class UnsafeQuery(TalentstatsError):
    """A researcher's SQL tried to reach files, extensions or settings."""


class FolderBusy(TalentstatsError):
    """Another talentstats run holds the processed folder's lock; nothing was changed."""

    def __init__(self, folder, holder: str, *, shared: bool = False):
        self.folder = folder
        self.holder = holder
        verb = "正在写入" if shared else "正被使用"
        super().__init__(
            f"处理后数据目录 {folder} {verb}（另一个 talentstats 进程：{holder}），本次运行未做任何"
            f"更改，请待其结束后重试 / the processed folder {folder} is locked by another "
            f"talentstats run ({holder}); nothing was changed: run again when it has finished"
        )
