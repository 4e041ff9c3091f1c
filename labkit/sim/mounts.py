"""Volume mounts inside a lab pod: the paths a container sees, opened from the pod's folder on this machine.

A pod's environment names real EKS paths (``/var/run/secrets/eks.amazonaws.com/serviceaccount/token``, or
``C:\\var\\run\\secrets\\...`` on Windows). A lab pod is an ordinary subprocess, so the kubelet writes the files
into a per-pod folder and the pod's Python gets ``LABKIT_PATH_MAP`` (JSON ``{mount path: folder}``). The
netguard sitecustomize calls `install_from_environment`, which patches ``open``/``io.open``/``os.open``/
``os.stat`` for those prefixes only; every other path is untouched. Kept free of heavy imports: it runs at
the start of every pod.
"""

from __future__ import annotations

import builtins
import io
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

ENV_PATH_MAP = "LABKIT_PATH_MAP"

_mounts: list[tuple[str, str]] = []  # (container prefix, host folder), longest prefix first
_originals: dict[str, Callable[..., Any]] = {}


def format_path_map(mounts: Mapping[str, str]) -> str:
    """The value of ``LABKIT_PATH_MAP`` for ``{mount path: host folder}``."""
    return json.dumps(dict(mounts), sort_keys=True)


def host_path(path: Any) -> Any:
    """The host path for a container path under a mount; anything else unchanged."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        return path
    for prefix, folder in _mounts:
        if path == prefix or path.startswith(prefix + _separator(prefix)):
            rest = path[len(prefix):].replace("\\", "/").lstrip("/")
            return os.path.join(folder, rest) if rest else folder
    return path


def _separator(prefix: str) -> str:
    return "\\" if "\\" in prefix or prefix[1:3] == ":\\" else "/"


def install(mounts: Mapping[str, str]) -> None:
    """Map these container paths in this process (idempotent; later calls add mounts)."""
    known = dict(_mounts) | {prefix.rstrip("/\\"): folder for prefix, folder in mounts.items()}
    _mounts[:] = sorted(known.items(), key=lambda item: -len(item[0]))
    if _originals:
        return
    _originals.update(open=builtins.open, io_open=io.open, os_open=os.open, stat=os.stat)
    builtins.open = _mapped(_originals["open"])
    io.open = _mapped(_originals["io_open"])
    os.open = _mapped(_originals["os_open"])
    os.stat = _mapped(_originals["stat"])


def uninstall() -> None:
    """Restore the patched functions (for tests)."""
    if _originals:
        builtins.open, io.open = _originals.pop("open"), _originals.pop("io_open")
        os.open, os.stat = _originals.pop("os_open"), _originals.pop("stat")
    _mounts.clear()


def install_from_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Install the mounts named in ``LABKIT_PATH_MAP``; used by the sitecustomize of lab pods."""
    text = environ.get(ENV_PATH_MAP)
    if not text:
        return False
    install(json.loads(text))
    return True


def _mapped(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
        return function(host_path(path), *args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = function.__name__, function.__doc__
    return wrapper
