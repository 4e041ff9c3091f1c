"""The real AWS CLI (PyPI ``awscli``, v1) against a lab, and the shell steps `labkit plan` emits, parsed.

    result = run_aws(lab, ["iam", "list-roles"])          # CompletedProcess; result.stdout is the CLI's JSON
    result = run_aws(lab, "sts get-caller-identity --query Account --output text")

The CLI runs as ``python -m awscli`` with this interpreter, in an environment built from scratch: the lab's
endpoint (``AWS_ENDPOINT_URL``), config and credentials files written in a temporary folder (the account's
admin as ``[default]``, plus any named profiles), and the offline guard on, so it can only reach loopback.
None of the caller's ``AWS_*`` settings or ``~/.aws`` files are read.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labkit import netguard
from labkit.errors import MissingDependency

if TYPE_CHECKING:
    from labkit.sim.lab import Lab

CLI_TIMEOUT = 120.0  # a cold CLI start is about a second; waiters poll
DEFAULT_REGION = "us-east-1"


def require_awscli() -> None:
    """Raise MissingDependency unless the AWS CLI (v1, from PyPI) is importable."""
    if importlib.util.find_spec("awscli") is None:
        raise MissingDependency("the AWS CLI is not installed: pip install -e '.[dev]' (or pip install awscli)")


def write_aws_files(lab: Lab, folder: Path, account_id: str | None = None, *, region: str = DEFAULT_REGION,
                    profiles: Mapping[str, str] | None = None) -> dict[str, str]:
    """Config and credentials files for the lab in `folder`; returns the variables that point at them.

    `[default]` is the admin of `account_id` (the lab's default account); `profiles` maps more profile
    names to account ids (e.g. ``{"audit": "444455556666"}`` for ``--profile audit``).
    """
    accounts = {"default": account_id or lab.account_id, **(profiles or {})}
    config, credentials = [], []
    for name, account in accounts.items():
        admin = lab.account(account).admin
        config.append(f"[{'default' if name == 'default' else 'profile ' + name}]\nregion = {region}\noutput = json\n")
        credentials.append(f"[{name}]\naws_access_key_id = {admin.access_key_id}\n"
                           f"aws_secret_access_key = {admin.secret_access_key}\n")
    (folder / "config").write_text("\n".join(config))
    (folder / "credentials").write_text("\n".join(credentials))
    return {"AWS_CONFIG_FILE": str(folder / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials")}


def aws_environment(lab: Lab, folder: Path, account_id: str | None = None, *, region: str = DEFAULT_REGION,
                    profiles: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a CLI process: lab endpoint, lab files, guard on; nothing from the caller's AWS_*."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LANG": "C.UTF-8",
           "PYTHONIOENCODING": "utf-8", "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_DEFAULT_REGION": region, "AWS_ENDPOINT_URL": lab.endpoint_url}
    env.update(write_aws_files(lab, folder, account_id, region=region, profiles=profiles))
    return netguard.child_environment(env)


def run_aws(lab: Lab, args: str | Sequence[str], account_id: str | None = None, *, region: str = DEFAULT_REGION,
            profiles: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None,
            timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run ``aws <args>`` (the real CLI) against the lab as the admin of `account_id`; never raises on exit codes.

    `args` is a list, or one string split as a shell would (without the leading ``aws``). Relative
    ``file://`` paths resolve against `cwd`.
    """
    require_awscli()
    argv = shlex.split(args) if isinstance(args, str) else list(args)
    if argv[:1] == ["aws"]:
        argv = argv[1:]
    with tempfile.TemporaryDirectory(prefix="labkit-aws-") as folder:
        env = aws_environment(lab, Path(folder), account_id, region=region, profiles=profiles)
        return subprocess.run([sys.executable, "-m", "awscli", *argv], env=env, cwd=cwd or folder,
                              capture_output=True, text=True, timeout=timeout, check=False)


# -- the steps `labkit plan` (and the course text) write as shell -----------------------------------------------------
@dataclass(frozen=True)
class ShellStep:
    """One step of a set-up script: a file written by a heredoc, or a command line (argv, pipes split)."""

    kind: str  # "file" or the program: "aws", "eksctl", "kubectl", ...
    line: int
    text: str
    argv: tuple[str, ...] = ()
    pipeline: tuple[tuple[str, ...], ...] = ()
    content: str = ""  # for "file": what the heredoc writes

    @property
    def filename(self) -> str:
        """The file a `cat > FILE <<'EOF'` step writes."""
        return self.argv[-1] if self.kind == "file" else ""


def parse_shell_steps(script: str) -> list[ShellStep]:
    """The steps of a plan's `cli_steps` text: heredoc files and command lines (comments and blanks dropped)."""
    lines = script.splitlines()
    steps: list[ShellStep] = []
    index = 0
    while index < len(lines):
        number, text = index + 1, lines[index]
        index += 1
        tokens = shlex.split(text, comments=True)
        if not tokens:
            continue
        if tokens[0] == "cat" and "<<" in text:
            index, step = _heredoc(lines, index, number, text)
            steps.append(step)
            continue
        pipeline = tuple(tuple(part) for part in _split_pipes(tokens))
        steps.append(ShellStep(kind=tokens[0], line=number, text=text, argv=pipeline[0], pipeline=pipeline))
    return steps


def _heredoc(lines: list[str], index: int, number: int, text: str) -> tuple[int, ShellStep]:
    """`cat > FILE <<'EOF'` ... `EOF`: the next index and the file step."""
    target = text.split(">", 1)[1].split("<<", 1)[0].strip()
    marker = text.split("<<", 1)[1].strip().strip("'\"")
    end = lines.index(marker, index)
    content = "\n".join(lines[index:end]) + "\n"
    return end + 1, ShellStep(kind="file", line=number, text=text, argv=("cat", target), content=content)


def _split_pipes(tokens: list[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":
            parts.append([])
        else:
            parts[-1].append(token)
    return parts
