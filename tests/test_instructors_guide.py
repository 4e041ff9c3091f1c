"""What docs/instructors.md promises, checked offline: Binder's build rules for environment.yml, the
JupyterHub values, and the kernel spec that turns the offline guard on in hub and Binder kernels."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from labkit import course, netguard

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "instructors.md"
OVERRIDES = ROOT / ".jupyter" / "lab" / "settings" / "overrides.json"
# repo2docker 2026.4.0, repo2docker/buildpacks/conda/__init__.py: how it reads the Python version (first
# matching dependency line; none -> its default 3.10) and the versions it has base environments for.
REPO2DOCKER_PYTHON = re.compile(r"python\s*=+\s*([\d\.]*)")
REPO2DOCKER_PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
GUARD_FLAGS = "--env LABKIT_NETGUARD 1 --env PYTHONPATH /srv/labkit/labkit/netguard_site"


def yaml_blocks(text: str) -> list[object]:
    """The fenced ```yaml blocks of a Markdown text, parsed."""
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)]


def test_repo2docker_reads_a_supported_python_that_labkit_accepts():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = [m.group(1) for d in env["dependencies"] if isinstance(d, str) and (m := REPO2DOCKER_PYTHON.match(d))]
    assert found, "repo2docker would fall back to Python 3.10: write the version as `python =X.Y`"
    version = ".".join(found[0].split(".")[:2])
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert version in REPO2DOCKER_PYTHONS and SpecifierSet(requires).contains(version + ".0")


def test_nothing_makes_repo2docker_ignore_environment_yml():
    # a binder/ or .binder/ folder, or a Dockerfile, takes precedence over environment.yml at the root
    assert [p for p in ("binder", ".binder", "Dockerfile") if (ROOT / p).exists()] == []


def test_hub_values_carry_the_shipped_settings_and_open_start_here():
    [values] = [block for block in yaml_blocks(GUIDE.read_text()) if isinstance(block, dict) and "singleuser" in block]
    single = values["singleuser"]
    [settings] = single["extraFiles"].values()
    assert settings["data"] == json.loads(OVERRIDES.read_text())
    assert settings["mountPath"].endswith("/share/jupyter/lab/settings/overrides.json")
    assert single["defaultUrl"].endswith(course.START_NOTEBOOK)
    assert single["lifecycleHooks"]["postStart"]["exec"]["command"][0] == "gitpuller"
    assert "LABKIT_NETGUARD" not in single["extraEnv"], "the guard in the server would cut it off from the hub"


def test_the_guide_installs_the_guard_kernel_spec_for_hub_and_binder():
    text = GUIDE.read_text()
    assert GUARD_FLAGS in text
    assert '--env PYTHONPATH "${REPO_DIR}/labkit/netguard_site"' in text


@pytest.mark.timeout(120)
def test_a_kernel_from_that_spec_runs_with_the_guard_on(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(tmp_path), "--name", "python3",
                    "--env", netguard.ENV_ON, "1", "--env", "PYTHONPATH", str(netguard.SITE_DIR)],
                   check=True, capture_output=True)
    spec = tmp_path / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    assert json.loads(spec.read_text())["env"][netguard.ENV_ON] == "1"
    # the server's own environment has no guard: only the spec can turn it on
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_") and k != "PYTHONPATH"}
    env["JUPYTER_PATH"] = str(tmp_path / "share" / "jupyter")
    code = ("from jupyter_client.manager import start_new_kernel\n"
            "km, kc = start_new_kernel(kernel_name='python3')\n"
            "reply = kc.execute_interactive('from labkit import netguard; print(netguard.installed())', timeout=60)\n"
            "km.shutdown_kernel(now=True)\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True", done.stdout


def test_readme_links_the_guide():
    assert "docs/instructors.md" in (ROOT / "README.md").read_text()


def test_binder_post_build_gives_kernels_the_guard_and_the_settings():
    post_build = Path(__file__).resolve().parent.parent / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs postBuild only when it is executable"
    text = post_build.read_text()
    assert text.startswith("#!/bin/bash") and "set -euo pipefail" in text
    assert "--env LABKIT_NETGUARD 1" in text and "labkit/netguard_site" in text
    assert ".jupyter/lab/settings/overrides.json" in text
