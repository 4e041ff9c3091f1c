"""Whether a NO_PROXY list lets pods reach the EKS Pod Identity agent directly."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from labkit.facts import value

AGENT_IPV4 = value("eks.pod-identity-agent-address")["ipv4"]


def agent_bypassed(no_proxy: Iterable[str]) -> bool:
    """Whether NO_PROXY entries (exact address, CIDR or `*`) cover the agent's 169.254.170.23."""
    agent = ipaddress.ip_address(AGENT_IPV4)
    for entry in no_proxy:
        entry = entry.strip()
        if entry in ("*", AGENT_IPV4):
            return True
        if "/" in entry:
            try:
                if agent in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue  # a host name with a slash is not a network; SDKs ignore it too
    return False


def split_no_proxy(text: str) -> list[str]:
    """The entries of a NO_PROXY value (comma separated, spaces ignored)."""
    return [part.strip() for part in text.split(",") if part.strip()]
