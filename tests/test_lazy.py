"""Lazy package exports: names resolve on first use, unknown names fail like a module's, dir() lists them."""

import subprocess
import sys

import pytest

import labkit.sim


def test_a_lazy_name_resolves_to_its_module_attribute():
    from labkit.sim.clock import LabClock

    assert labkit.sim.LabClock is LabClock


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'labkit.sim' has no attribute 'Nope'"):
        labkit.sim.Nope  # noqa: B018


def test_dir_lists_lazy_names():
    assert {"Lab", "Cluster", "LabClock"} <= set(dir(labkit.sim))


def test_importing_the_packages_loads_nothing_heavy():
    code = ("import sys, labkit.sim, labkit.ui, labkit.decide, labkit.audit; "
            "print(sorted({'moto', 'boto3', 'pandas', 'ipywidgets', 'matplotlib'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
