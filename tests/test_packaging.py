"""What `pip install .` ships: every declaration, reference table, template and notebook."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "talentstats"


def _shipped() -> set[Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["talentstats"]
    return {p.resolve() for pattern in patterns for p in PACKAGE.glob(pattern) if p.is_file()}


def test_package_data_covers_every_data_file_and_notebook():
    needed = {
        p.resolve()
        for folder in ("data", "templates", "notebooks")
        for p in (PACKAGE / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
    }
    assert PACKAGE.joinpath("data/reference/census2020.csv").resolve() in needed
    assert needed - _shipped() == set()
