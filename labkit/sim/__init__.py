"""The lab: AWS on loopback (a gateway over moto), EKS clusters, and pods that run real code.

Heavy modules load on first use: ``from labkit.sim import Lab`` imports the lab, not ``import labkit.sim``.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Lab": "labkit.sim.lab",
    "Cluster": "labkit.sim.cluster",
    "LabClock": "labkit.sim.clock",
    "PodIdentityAgent": "labkit.sim.agent",
    "InstanceMetadataService": "labkit.sim.imds",
    "WebhookConfig": "labkit.sim.webhook",
    "mutate_pod": "labkit.sim.webhook",
    "PodRun": "labkit.sim.pods",
    "CorporateProxy": "labkit.sim.proxy",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'labkit.sim' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)
