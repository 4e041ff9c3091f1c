"""The package's public face: dependencies agree across pyproject.toml and environment.yml, a small pinned
surface, and an import that stays light."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import labkit

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names that differ from PyPI's, and pip-only lines to ignore.
CONDA_NAMES = {"pyyaml": "pyyaml", "pyjwt": "pyjwt"}


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def pyproject_requirements() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["dev"]
    return {_norm(r.name): r.specifier for r in map(Requirement, lines)}


def conda_requirements() -> dict[str, SpecifierSet]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    for item in env["dependencies"]:
        if isinstance(item, str) and item.split()[0] not in ("python", "pip"):
            name, _, spec = item.partition(" ")
            found[_norm(CONDA_NAMES.get(name, name))] = SpecifierSet(spec.replace(" ", ""))
    return found


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    assert conda_requirements().keys() == pyproject_requirements().keys()


def test_environment_yml_bounds_match_pyproject():
    conda, pip = conda_requirements(), pyproject_requirements()
    mismatched = {name: (str(conda[name]), str(pip[name])) for name in pip if conda[name] != pip[name]}
    assert mismatched == {}


def test_environment_yml_installs_labkit_itself_and_uses_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    pip_lines = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert "-e ." in pip_lines


def test_public_surface_is_pinned_and_sorted():
    assert labkit.__all__ == sorted(labkit.__all__)
    assert labkit.__all__ == [
        "AwsError", "CheckFailed", "FACTS", "Fact", "InputError", "InventoryError", "KubernetesError", "LabError", "LabkitError",
        "ManifestError", "MissingDependency", "NetworkBlocked", "PolicyError", "fact",
    ]


def test_import_labkit_stays_light():
    code = "import sys, labkit; heavy = {'moto', 'boto3', 'pandas', 'matplotlib', 'ipywidgets'} & set(sys.modules); print(sorted(heavy))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_fact_is_sourced_and_dated():
    for fact in labkit.FACTS.values():
        assert fact.source and fact.summary, fact.id
        assert len(fact.as_of) == 10 and fact.as_of[4] == "-", fact.id


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
