"""Whether a NO_PROXY list lets pods reach the EKS Pod Identity agent directly."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from labkit.facts import value

AGENT_IPV4 = value("eks.pod-identity-agent-address")["ipv4"]
AGENT_IPV6 = value("eks.pod-identity-agent-address")["ipv6"]


def agent_bypassed(no_proxy: Iterable[str], *, ipv6: bool = False) -> bool:
    """Whether NO_PROXY entries (exact address, CIDR or `*`) cover the agent: 169.254.170.23, or on IPv6
    clusters (where the SDK is pointed at http://[fd00:ec2::23]/v1/credentials) fd00:ec2::23."""
    agent = ipaddress.ip_address(AGENT_IPV6 if ipv6 else AGENT_IPV4)
    for entry in no_proxy:
        entry = entry.strip()
        if entry == "*" or entry.strip("[]") == str(agent):
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
