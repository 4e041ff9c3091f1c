"""The lab: AWS on loopback (a gateway over moto), EKS clusters, and pods that run real code.

Heavy modules load on first use: ``from labkit.sim import Lab`` imports the lab, not ``import labkit.sim``.
"""

from __future__ import annotations

from labkit.lazy import lazy_exports

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
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
