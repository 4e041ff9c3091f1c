"""The labkit command: help, bad usage, and `labkit lab` serving the course."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from labkit import course
from labkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_help_lists_lab(capsys: pytest.CaptureFixture[str]):
    assert main([]) == 0
    assert "lab" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as caught:
        main(["no-such-command"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_exercises_check_passes_on_the_repo(capsys: pytest.CaptureFixture[str]):
    assert main(["exercises", "--check", "--root", str(ROOT)]) == 0


def test_exercises_outside_a_course_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["exercises", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no solutions/ folder" in err and "Traceback" not in err


def test_lab_environment_drops_aws_settings_and_turns_the_guard_on():
    env = course.lab_environment({"AWS_ACCESS_KEY_ID": "AKIA", "AWS_PROFILE": "prod", "PATH": "/bin"})
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_PROFILE" not in env
    assert env["LABKIT_NETGUARD"] == "1" and env["AWS_CONFIG_FILE"] == os.devnull


@pytest.mark.parametrize(("environ", "expected"), [({}, True), ({"NO_BROWSER": "1"}, False), ({"CI": "true"}, False)])
def test_browser_opens_only_when_wanted(environ: dict[str, str], expected: bool):
    assert course.wants_browser(environ) is expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_labkit_lab_serves_the_course(tmp_path: Path):
    port = _free_port()
    env = dict(os.environ, NO_BROWSER="1", JUPYTER_TOKEN="labkit-test", HOME=str(tmp_path),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    process = subprocess.Popen([sys.executable, "-m", "labkit", "lab", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = _get_json(f"http://127.0.0.1:{port}/api/status?token=labkit-test", deadline=60)
        assert "started" in status
        listing = _get_json(f"http://127.0.0.1:{port}/api/contents/notebooks?token=labkit-test", deadline=5)
        assert "00-start-here.ipynb" in {item["name"] for item in listing["content"]}
    finally:
        process.terminate()
        process.wait(timeout=30)


def _get_json(url: str, *, deadline: float) -> dict:
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.3)
