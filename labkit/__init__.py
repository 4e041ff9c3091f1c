"""labkit: an offline lab for AWS workload identity on Kubernetes (IRSA and EKS Pod Identity).

Import stays light: the heavy pieces (the lab's AWS, plots, widgets) load on first use.

    >>> from labkit.policy import evaluate          # the IAM policy engine
    >>> from labkit.sim import Lab                   # the lab: AWS on loopback, clusters, pods
"""

from __future__ import annotations

from labkit.errors import (
    AwsError,
    CheckFailed,
    InputError,
    InventoryError,
    KubernetesError,
    LabError,
    LabkitError,
    ManifestError,
    MissingDependency,
    NetworkBlocked,
    PolicyError,
)
from labkit.facts import FACTS, Fact, fact

__all__ = [
    "AwsError",
    "CheckFailed",
    "FACTS",
    "Fact",
    "InputError",
    "InventoryError",
    "KubernetesError",
    "LabError",
    "LabkitError",
    "ManifestError",
    "MissingDependency",
    "NetworkBlocked",
    "PolicyError",
    "fact",
]
