"""The offline guard: refuse every network connection that does not stay on this machine's loopback.

labkit must never reach real AWS. The guard patches the socket layer of a Python process so that a
connection to a non-loopback address raises `NetworkBlocked` (and is written to a log, so a test run
fails even when the caller swallowed the error). The same module maps the link-local addresses a pod
talks to (169.254.169.254 for IMDS, 169.254.170.23 for the Pod Identity agent) onto loopback ports, so
the real SDK code inside a lab pod reaches the lab's servers unchanged; a mapped host name (for example a
simulated corporate proxy) resolves to its loopback stand-in.

Child Pythons (notebook kernels, lab pods) get the guard through ``labkit/netguard_site/sitecustomize.py``
when ``LABKIT_NETGUARD=1`` and that folder is on ``PYTHONPATH`` (see `child_environment`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import traceback
from collections.abc import Mapping
from pathlib import Path

from labkit.errors import NetworkBlocked

ENV_ON = "LABKIT_NETGUARD"
ENV_LOG = "LABKIT_NETGUARD_LOG"
ENV_MAP = "LABKIT_ADDRESS_MAP"
SITE_DIR = Path(__file__).with_name("netguard_site")

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_originals: dict[str, object] = {}
_address_map: dict[tuple[str, int], tuple[str, int]] = {}
_log_path: str | None = None


def parse_address_map(text: str) -> dict[tuple[str, int], tuple[str, int]]:
    """Parse ``"169.254.170.23:80=127.0.0.1:5123;[fd00:ec2::23]:80=[::1]:5123"`` into a mapping."""
    mapping = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        source, _, target = item.partition("=")
        mapping[_split_hostport(source)] = _split_hostport(target)
    return mapping


def format_address_map(mapping: Mapping[tuple[str, int], tuple[str, int]]) -> str:
    """The inverse of `parse_address_map`."""
    return ";".join(f"{_join_hostport(*src)}={_join_hostport(*dst)}" for src, dst in mapping.items())


def is_loopback(host: str) -> bool:
    """True for loopback IP literals and the usual loopback host names."""
    host = host.strip("[]").split("%", 1)[0]
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def install(log_path: str | None = None, address_map: Mapping[tuple[str, int], tuple[str, int]] | None = None) -> None:
    """Turn the guard on in this process (idempotent); later calls may add mappings."""
    global _log_path
    _log_path = log_path or _log_path
    _address_map.update(address_map or {})
    if _originals:
        return
    _originals.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        sendto=socket.socket.sendto,
        getaddrinfo=socket.getaddrinfo,
    )
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]


def uninstall() -> None:
    """Restore the socket layer (for tests of the guard itself)."""
    if not _originals:
        return
    socket.socket.connect = _originals.pop("connect")  # type: ignore[method-assign]
    socket.socket.connect_ex = _originals.pop("connect_ex")  # type: ignore[method-assign]
    socket.socket.sendto = _originals.pop("sendto")  # type: ignore[method-assign]
    socket.getaddrinfo = _originals.pop("getaddrinfo")  # type: ignore[assignment]
    _address_map.clear()


def installed() -> bool:
    """Whether the guard is on in this process."""
    return bool(_originals)


def install_from_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Install the guard when ``LABKIT_NETGUARD=1``; used by the sitecustomize of child Pythons."""
    if environ.get(ENV_ON) != "1":
        return False
    install(environ.get(ENV_LOG) or None, parse_address_map(environ.get(ENV_MAP, "")))
    return True


def child_environment(
    base: Mapping[str, str], address_map: Mapping[tuple[str, int], tuple[str, int]] | None = None
) -> dict[str, str]:
    """A copy of ``base`` that turns the guard on in any Python started with it."""
    env = dict(base)
    paths = [str(SITE_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(SITE_DIR)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env[ENV_ON] = "1"
    if _log_path:
        env[ENV_LOG] = _log_path
    if address_map:
        env[ENV_MAP] = format_address_map(address_map)
    return env


def violations(log_path: str | os.PathLike[str]) -> list[str]:
    """The refused connections written to a guard log (empty when there were none)."""
    path = Path(log_path)
    return path.read_text().splitlines() if path.exists() else []


def _split_hostport(text: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    return host.strip("[]"), int(port)


def _join_hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _check(address: object) -> object:
    """Map or refuse one socket address; return the address to really use."""
    if not (isinstance(address, tuple) and len(address) >= 2 and isinstance(address[0], str)):
        return address  # AF_UNIX paths and other families stay local by construction
    host, port = address[0].strip("[]"), address[1]
    target = _address_map.get((host, port))
    if target is not None:
        return (target[0], target[1], *address[2:])
    if is_loopback(host):
        return address
    _refuse(f"{host}:{port}")
    return address  # not reached


def _refuse(where: str) -> None:
    message = (
        f"labkit network guard: connection to {where} refused. The lab runs offline and may only "
        "talk to loopback (127.0.0.0/8, ::1); nothing may reach real AWS or the internet."
    )
    if _log_path:
        caller = "".join(traceback.format_stack(limit=6)[:-2]).replace("\n", " | ")
        with open(_log_path, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {where} refused; from: {caller[-600:]}\n")
    raise NetworkBlocked(message)


def _guarded_connect(self: socket.socket, address: object) -> None:
    return _originals["connect"](self, _check(address))  # type: ignore[operator]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    return _originals["connect_ex"](self, _check(address))  # type: ignore[operator]


def _guarded_sendto(self: socket.socket, data: bytes, *args: object) -> int:
    if args:
        args = (*args[:-1], _check(args[-1]))
    return _originals["sendto"](self, data, *args)  # type: ignore[operator]


def _guarded_getaddrinfo(host: object, port: object, *args: object, **kwargs: object) -> list:
    if isinstance(host, bytes):
        host = host.decode()
    if isinstance(host, str) and host and not is_loopback(host) and not _is_ip_literal(host):
        target = _address_map.get((host, _port_number(port)))
        if target is None:
            _refuse(f"{host}:{port} (name lookup)")
        else:
            host, port = target  # a name the lab stands in for (e.g. a simulated proxy)
    return _originals["getaddrinfo"](host, port, *args, **kwargs)  # type: ignore[operator]


def _port_number(port: object) -> int:
    try:
        return int(port)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return {"http": 80, "https": 443}.get(str(port), -1)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True
