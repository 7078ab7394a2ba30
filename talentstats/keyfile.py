"""The pseudonym key file: where it may lie, and reading it (created on first use).

Shell-side: the pipeline reads the key once and hands its bytes to the pseudonymiser
(``talentstats.reading.pseudonym``), which does no I/O.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from talentstats.errors import ParameterError

__all__ = ["KEY_BYTES", "check_key_location", "load_or_create_key"]

KEY_BYTES = 32


def check_key_location(path: str | os.PathLike, folders: Iterable[str | os.PathLike] = ()) -> None:
    """Refuse a key file inside a folder the run uses, or inside a git repository.

    ``folders`` are the folders a run reads or writes (RAW_DIR, the processed and the reports
    folder); the default raw and processed folders are always among them.

    Raises
    ------
    ParameterError
        When the key lies inside one of them, or inside a git repository.
    """
    from talentstats.paths import inside, processed_dir, raw_dir

    path = Path(path)
    for folder in (*folders, processed_dir(), raw_dir()):
        if inside(path, folder):
            raise ParameterError(
                f"假名密钥 {path} 不能放在本次运行读写的目录 {folder} 之内 / the pseudonym key "
                f"{path} must not lie inside {folder}, a folder the run reads or writes; "
                "set TALENTSTATS_KEY_FILE or --key-file to a path outside it"
            )
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            raise ParameterError(
                f"the pseudonym key {path} must not lie inside the repository {parent}; "
                "set TALENTSTATS_KEY_FILE to a path outside it"
            )


def load_or_create_key(path: str | os.PathLike) -> bytes:
    """The secret key of the pseudonyms, created on first use.

    The key is 32 random bytes in a file of mode 0600 (its folder is created with mode 0700).
    Keep it safe and keep it the same from year to year: pseudonyms only match across years
    under the same key.

    Parameters
    ----------
    path
        Where the key lives, normally ``talentstats.paths.key_file()``.

    Raises
    ------
    ParameterError
        When the path lies inside a git repository or the raw or processed data folder, or the
        file exists but does not hold a key of 32 bytes. A key file that group or others can
        read is used, with a warning.
    """
    path = Path(path)
    check_key_location(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            import logging

            logging.getLogger(__name__).warning(
                "假名密钥 %s 可被其他用户读取（权限 %o），请执行 chmod 600 / the pseudonym key %s "
                "can be read by group or others (mode %o): chmod 600 it", path, mode, path, mode)
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise ParameterError(
                f"{path} holds {len(key)} bytes, not a {KEY_BYTES}-byte pseudonym key; "
                "restore the right key file (do not delete it: pseudonyms would change)"
            ) from None
        return key
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    os.chmod(path, 0o600)  # in case the umask narrowed nothing but the mode was widened
    return key
