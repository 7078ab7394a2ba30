"""environment.yml (for conda users) must list exactly the dependencies of pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    reqs = [*meta["dependencies"], *meta["optional-dependencies"]["dev"]]
    return {Requirement(r).name.lower(): str(Requirement(r).specifier) for r in reqs}


def _conda_requirements() -> tuple[dict[str, str], str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    found: dict[str, str] = {}
    python = ""
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section installs the project itself
            continue
        req = Requirement(dep.replace("=", "==", 1) if "=" in dep and not any(
            op in dep for op in (">=", "<=", "==", "!=", "~=")) else dep)
        if req.name == "python":
            python = str(req.specifier)
        elif req.name != "pip":
            found[req.name.lower()] = str(req.specifier)
    return found, python


def test_environment_yml_lists_the_same_packages_and_versions():
    conda, _ = _conda_requirements()
    assert conda == _pyproject_requirements()


def test_environment_yml_pins_the_python_of_pyproject():
    _, python = _conda_requirements()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert python == "==3.11"
    assert "3.11" in meta["requires-python"]
