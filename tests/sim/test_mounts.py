"""Mount paths inside a lab pod: only mapped prefixes are redirected, Linux and Windows forms."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit import netguard
from labkit.sim import mounts

IRSA = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
WINDOWS = "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount"


@pytest.fixture
def volume(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "token").write_text("header.claims.signature")
    mounts.install({IRSA: str(tmp_path), WINDOWS: str(tmp_path)})
    yield tmp_path
    mounts.uninstall()


def test_a_mounted_path_opens_the_pods_file(volume: Path) -> None:
    assert open(f"{IRSA}/token").read() == "header.claims.signature"
    assert os.stat(f"{IRSA}/token").st_size == len("header.claims.signature")
    assert os.path.exists(f"{IRSA}/token") and os.path.isdir(IRSA)
    fd = os.open(f"{IRSA}/token", os.O_RDONLY)
    os.close(fd)


def test_the_windows_form_opens_the_same_file(volume: Path) -> None:
    assert open(f"{WINDOWS}\\token").read() == "header.claims.signature"


def test_other_paths_and_lookalike_prefixes_are_untouched(volume: Path) -> None:
    assert mounts.host_path(IRSA + "-other/token") == IRSA + "-other/token"
    assert mounts.host_path("/etc/hostname") == "/etc/hostname"
    assert mounts.host_path(3) == 3  # file descriptors pass through
    assert not os.path.exists("/var/run/secrets/eks.amazonaws.com/serviceaccount-other/token")


def test_uninstall_restores_the_builtins(tmp_path: Path) -> None:
    original = open
    mounts.install({IRSA: str(tmp_path)})
    mounts.uninstall()
    import builtins

    assert builtins.open is original and mounts.host_path(f"{IRSA}/token") == f"{IRSA}/token"


def test_a_child_python_gets_the_mounts_from_its_environment(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("abc")
    env = netguard.child_environment({"PATH": os.environ.get("PATH", ""),
                                      mounts.ENV_PATH_MAP: mounts.format_path_map({IRSA: str(tmp_path)})})
    done = subprocess.run([sys.executable, "-c", f"print(open('{IRSA}/token').read())"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "abc\n"
