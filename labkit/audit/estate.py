"""What the audit learns across all inputs before it judges: pods, service accounts, associations, Fargate
selectors, roles. Checks that need more than one document (an association and the pod it serves) read this."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from labkit.audit.sources import Location
from labkit.decide.inventory import Selector


@dataclass(frozen=True)
class Container:
    """A container's environment: name -> (value or None when from a reference, location)."""

    name: str
    env: dict[str, tuple[str | None, Location]]
    location: Location
    env_from_secrets: tuple[str, ...] = ()  # Secrets loaded whole with envFrom


@dataclass(frozen=True)
class Pod:
    """A pod or a pod template of a workload controller."""

    kind: str
    name: str
    namespace: str
    service_account: str | None  # None when the spec names none (the API server then uses `default`)
    labels: dict[str, str]
    windows: bool
    containers: tuple[Container, ...]
    location: Location  # of the pod spec


@dataclass(frozen=True)
class Association:
    """A Pod Identity association (eksctl, EKS API JSON or CloudFormation)."""

    namespace: str
    service_account: str
    location: Location


@dataclass(frozen=True)
class FargateSelector:
    """A Fargate profile selector found in an input, with where it was found."""

    selector: Selector
    location: Location

    @classmethod
    def of(cls, namespace: object, labels: Mapping[Any, Any], location: Location) -> FargateSelector:
        """A selector from raw input values."""
        pairs = tuple(sorted((str(key), str(value)) for key, value in labels.items()))
        return cls(Selector(str(namespace or ""), pairs), location)

    def selects_namespace(self, namespace: str) -> bool:
        """Whether this selector puts every pod of `namespace` on Fargate (it has no labels to match)."""
        return not self.selector.labels and self.selector.selects(namespace, {})

    def selects(self, pod: Pod) -> bool:
        """Whether this selector puts the pod on Fargate."""
        return self.selector.selects(pod.namespace, pod.labels)


@dataclass
class Estate:
    """Everything collected from the inputs."""

    pods: list[Pod] = field(default_factory=list)
    annotated_service_accounts: dict[tuple[str, str], Location] = field(default_factory=dict)
    secrets_with_keys: set[tuple[str, str]] = field(default_factory=set)  # (namespace, name)
    associations: list[Association] = field(default_factory=list)
    fargate_selectors: list[FargateSelector] = field(default_factory=list)
    aws_node_roles: list[Location] = field(default_factory=list)  # evidence that aws-node has its own role
    node_roles_with_cni_policy: list[tuple[str, Location]] = field(default_factory=list)  # (role, where)

    def association_for(self, namespace: str, service_account: str) -> Association | None:
        """The association of a service account, if any input has one."""
        for association in self.associations:
            if (association.namespace, association.service_account) == (namespace, service_account):
                return association
        return None
