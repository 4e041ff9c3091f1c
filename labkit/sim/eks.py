"""The lab's EKS control plane beyond moto: per-cluster issuers, Pod Identity associations, the agent add-on.

moto stores clusters but gives every cluster of a process the same 10-character issuer id and has no Pod
Identity associations or add-ons (../shared/moto-notes.md Q2). Each cluster here gets its own issuer
(`https://oidc.eks.<region>.amazonaws.com/id/<32 HEX>`, derived from the seed), and associations follow the
EKS API, with the 5,000 quota and a configurable delay before EKS Auth sees a change.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from labkit import facts
from labkit.sim.aws_errors import (
    InvalidParameterException,
    ResourceInUseException,
    ResourceLimitExceededException,
    ResourceNotFoundException,
)
from labkit.sim.clock import LabClock
from labkit.sim.iam import get_role, role_arn_account
from labkit.sim.ids import IdSource
from labkit.sim.issuer import Issuer, IssuerRegistry

ASSOCIATION_QUOTA = facts.value("eks.pod-identity-associations-per-cluster")
POD_IDENTITY_AGENT = "eks-pod-identity-agent"
AGENT_VERSION = "v1.3.4-eksbuild.1"
NO_CLUSTER = "No cluster found for name: {name}."
NO_ASSOCIATION = "No Pod Identity Association found for id: {id}"
ASSOCIATION_EXISTS = "Association already exists: {id}"
ASSOCIATION_LIMIT = "Pod Identity Associations per cluster limit ({limit}) reached for cluster {name}"
MISSING = "{name} is required"
ROLE_NOT_FOUND = "Role {arn} does not exist"
ROLE_OTHER_ACCOUNT = "The role {arn} must be in the same account as the cluster ({account})"
NO_ADDON = "No addon: {addon} found in cluster: {name}"
ADDON_EXISTS = "Addon already exists: {addon}"
UNKNOWN_ADDON = "Addon {addon} is not available in the lab (only eks-pod-identity-agent)"


@dataclass(frozen=True)
class EksCluster:
    """A lab cluster as EKS knows it: where it lives and its own OIDC issuer."""

    name: str
    region: str
    account_id: str
    issuer: Issuer

    @property
    def arn(self) -> str:
        """`arn:aws:eks:<region>:<acct>:cluster/<name>`."""
        return f"arn:aws:eks:{self.region}:{self.account_id}:cluster/{self.name}"


@dataclass(frozen=True)
class PodIdentityAssociation:
    """One EKS Pod Identity association, with the fields the EKS API returns."""

    cluster_name: str
    namespace: str
    service_account: str
    role_arn: str
    association_arn: str
    association_id: str
    created_at: datetime
    modified_at: datetime
    disable_session_tags: bool = False
    target_role_arn: str | None = None
    external_id: str | None = None
    owner_arn: str | None = None
    policy: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def as_api(self) -> dict[str, Any]:
        """The `association` object of the EKS API."""
        body: dict[str, Any] = {
            "clusterName": self.cluster_name, "namespace": self.namespace, "serviceAccount": self.service_account,
            "roleArn": self.role_arn, "associationArn": self.association_arn, "associationId": self.association_id,
            "tags": dict(self.tags), "createdAt": self.created_at.timestamp(),
            "modifiedAt": self.modified_at.timestamp(), "disableSessionTags": self.disable_session_tags,
        }
        optional = {"targetRoleArn": self.target_role_arn, "externalId": self.external_id,
                    "ownerArn": self.owner_arn, "policy": self.policy}
        body.update({k: v for k, v in optional.items() if v is not None})
        return body

    def summary(self) -> dict[str, Any]:
        """The list form of the association."""
        keys = ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn")
        return {k: v for k, v in self.as_api().items() if k in keys}


@dataclass
class _History:
    """Every version of one association with the lab time from which EKS Auth sees it (None: deleted)."""

    versions: list[tuple[datetime, PodIdentityAssociation | None]]

    @property
    def latest(self) -> PodIdentityAssociation | None:
        return self.versions[-1][1]

    def visible(self, now: datetime) -> PodIdentityAssociation | None:
        seen = [version for since, version in self.versions if since <= now]
        return seen[-1] if seen else None


@dataclass
class _Addon:
    name: str
    cluster: EksCluster
    arn: str
    created_at: datetime
    ready_at: datetime
    tags: dict[str, str]
    described: int = 0

    def status(self, now: datetime) -> str:
        # ACTIVE once the lab clock passes ready_at, or from the second look on, so that a waiter polling in
        # real time (aws eks wait addon-active) completes without anyone advancing the lab clock.
        return "ACTIVE" if now >= self.ready_at or self.described > 1 else "CREATING"

    def as_api(self, now: datetime) -> dict[str, Any]:
        return {"addonName": self.name, "clusterName": self.cluster.name, "status": self.status(now),
                "addonVersion": AGENT_VERSION, "health": {"issues": []}, "addonArn": self.arn,
                "createdAt": self.created_at.timestamp(), "modifiedAt": self.created_at.timestamp(),
                "tags": self.tags, "podIdentityAssociations": []}


class Eks:
    """Clusters, issuers, associations and add-ons of every account and region of one lab."""

    def __init__(self, clock: LabClock, ids: IdSource, issuers: IssuerRegistry, *,
                 association_delay: float = 2.0, addon_delay: float = 30.0,
                 association_quota: int = ASSOCIATION_QUOTA) -> None:
        self.clock = clock
        self.ids = ids
        self.issuers = issuers
        self.association_delay = timedelta(seconds=association_delay)
        self.addon_delay = timedelta(seconds=addon_delay)
        self.association_quota = association_quota
        self._clusters: dict[tuple[str, str, str], EksCluster] = {}
        self._associations: dict[tuple[str, str, str], dict[str, _History]] = {}
        self._addons: dict[tuple[str, str, str], dict[str, _Addon]] = {}
        self._lock = threading.RLock()

    # -- clusters -----------------------------------------------------------------------------------------------
    def issuer_url(self, account_id: str, region: str, name: str) -> str:
        """The issuer URL of a cluster: its 32-hex id depends only on seed, account, region and name."""
        return f"https://oidc.eks.{region}.amazonaws.com/id/{self.ids.fixed('issuer', account_id, region, name)}"

    def register_cluster(self, account_id: str, region: str, name: str) -> EksCluster:
        """Give a cluster moto just created its own issuer (served by the gateway from now on)."""
        with self._lock:
            key = (account_id, region, name)
            if key not in self._clusters:
                issuer = Issuer(self.issuer_url(account_id, region, name), self.clock, self.ids)
                self._clusters[key] = EksCluster(name, region, account_id, self.issuers.add(issuer))
            return self._clusters[key]

    def forget_cluster(self, account_id: str, region: str, name: str) -> None:
        """Drop a deleted cluster's associations and add-ons (its issuer stays published, as in AWS)."""
        with self._lock:
            self._clusters.pop((account_id, region, name), None)
            self._associations.pop((account_id, region, name), None)
            self._addons.pop((account_id, region, name), None)

    def cluster(self, account_id: str, region: str, name: str) -> EksCluster:
        """The cluster, or ResourceNotFoundException as EKS answers."""
        found = self._clusters.get((account_id, region, name))
        if found is None:
            raise ResourceNotFoundException(NO_CLUSTER.format(name=name))
        return found

    # -- Pod Identity associations ------------------------------------------------------------------------------
    def create_association(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """CreatePodIdentityAssociation."""
        cluster = self.cluster(account_id, region, params.get("name", ""))
        for name in ("namespace", "serviceAccount", "roleArn"):
            if not params.get(name):
                raise InvalidParameterException(MISSING.format(name=name))
        self._check_roles(cluster, params["roleArn"], params.get("targetRoleArn"))
        with self._lock:
            histories = self._associations.setdefault((account_id, region, cluster.name), {})
            live = [h.latest for h in histories.values() if h.latest is not None]
            clash = next((a for a in live if (a.namespace, a.service_account) ==
                          (params["namespace"], params["serviceAccount"])), None)
            if clash is not None:
                raise ResourceInUseException(ASSOCIATION_EXISTS.format(id=clash.association_id))
            if len(live) >= self.association_quota:
                raise ResourceLimitExceededException(
                    ASSOCIATION_LIMIT.format(limit=self.association_quota, name=cluster.name))
            association = self._new_association(cluster, params)
            histories[association.association_id] = _History([(self._effective(), association)])
        return {"association": association.as_api()}

    def _new_association(self, cluster: EksCluster, params: Mapping[str, Any]) -> PodIdentityAssociation:
        now = self.clock.now()
        association_id = "a-" + self.ids.text("association-id", 17, "abcdefghijklmnopqrstuvwxyz0123456789")
        target = params.get("targetRoleArn") or None
        return PodIdentityAssociation(
            cluster_name=cluster.name, namespace=params["namespace"], service_account=params["serviceAccount"],
            role_arn=params["roleArn"], association_id=association_id,
            association_arn=f"arn:aws:eks:{cluster.region}:{cluster.account_id}:podidentityassociation/"
                            f"{cluster.name}/{association_id}",
            created_at=now, modified_at=now, disable_session_tags=bool(params.get("disableSessionTags", False)),
            target_role_arn=target, external_id=self.ids.uuid("external-id") if target else None,
            policy=params.get("policy") or None, tags=dict(params.get("tags") or {}),
        )

    def _check_roles(self, cluster: EksCluster, role_arn: str, target_role_arn: str | None) -> None:
        if role_arn_account(role_arn) != cluster.account_id:
            raise InvalidParameterException(ROLE_OTHER_ACCOUNT.format(arn=role_arn, account=cluster.account_id))
        for arn in filter(None, (role_arn, target_role_arn)):
            if get_role(arn) is None:
                raise InvalidParameterException(ROLE_NOT_FOUND.format(arn=arn))

    def _effective(self) -> datetime:
        return self.clock.now() + self.association_delay

    def _history(self, account_id: str, region: str, params: Mapping[str, Any]) -> _History:
        cluster = self.cluster(account_id, region, params.get("name", ""))
        history = self._associations.get((account_id, region, cluster.name), {}).get(params.get("associationId", ""))
        if history is None or history.latest is None:
            raise ResourceNotFoundException(NO_ASSOCIATION.format(id=params.get("associationId", "")))
        return history

    def describe_association(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """DescribePodIdentityAssociation."""
        latest = self._history(account_id, region, params).latest
        assert latest is not None
        return {"association": latest.as_api()}

    def list_associations(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """ListPodIdentityAssociations (filters namespace and serviceAccount)."""
        cluster = self.cluster(account_id, region, params.get("name", ""))
        histories = self._associations.get((account_id, region, cluster.name), {}).values()
        found = [h.latest for h in histories if h.latest is not None]
        found = [a for a in found if params.get("namespace") in (None, a.namespace)
                 and params.get("serviceAccount") in (None, a.service_account)]
        return {"associations": [a.summary() for a in found]}

    def update_association(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """UpdatePodIdentityAssociation (role, target role, session tags, policy)."""
        cluster = self.cluster(account_id, region, params.get("name", ""))
        with self._lock:
            history = self._history(account_id, region, params)
            current = history.latest
            assert current is not None
            target = params.get("targetRoleArn", current.target_role_arn) or None
            self._check_roles(cluster, params.get("roleArn") or current.role_arn, target)
            updated = replace(
                current, role_arn=params.get("roleArn") or current.role_arn, target_role_arn=target,
                disable_session_tags=bool(params.get("disableSessionTags", current.disable_session_tags)),
                policy=params.get("policy", current.policy), modified_at=self.clock.now(),
                external_id=current.external_id or (self.ids.uuid("external-id") if target else None),
            )
            history.versions.append((self._effective(), updated))
        return {"association": updated.as_api()}

    def delete_association(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """DeletePodIdentityAssociation."""
        with self._lock:
            history = self._history(account_id, region, params)
            current = history.latest
            assert current is not None
            history.versions.append((self._effective(), None))
        return {"association": current.as_api()}

    def association_for(self, cluster: EksCluster, namespace: str, service_account: str) -> PodIdentityAssociation | None:
        """The association EKS Auth sees now for this service account (eventually consistent)."""
        now = self.clock.now()
        for history in self._associations.get((cluster.account_id, cluster.region, cluster.name), {}).values():
            version = history.visible(now)
            if version is not None and (version.namespace, version.service_account) == (namespace, service_account):
                return version
        return None

    # -- add-ons ------------------------------------------------------------------------------------------------
    def create_addon(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """CreateAddon (the lab knows eks-pod-identity-agent)."""
        cluster = self.cluster(account_id, region, params.get("name", ""))
        name = params.get("addonName", "")
        if name != POD_IDENTITY_AGENT:
            raise InvalidParameterException(UNKNOWN_ADDON.format(addon=name))
        with self._lock:
            addons = self._addons.setdefault((account_id, region, cluster.name), {})
            if name in addons:
                raise ResourceInUseException(ADDON_EXISTS.format(addon=name))
            now = self.clock.now()
            arn = f"arn:aws:eks:{region}:{account_id}:addon/{cluster.name}/{name}/{self.ids.uuid('addon-arn')}"
            addons[name] = _Addon(name, cluster, arn, now, now + self.addon_delay, dict(params.get("tags") or {}))
        return {"addon": addons[name].as_api(now)}

    def _addon(self, account_id: str, region: str, params: Mapping[str, Any]) -> _Addon:
        cluster = self.cluster(account_id, region, params.get("name", ""))
        addon = self._addons.get((account_id, region, cluster.name), {}).get(params.get("addonName", ""))
        if addon is None:
            raise ResourceNotFoundException(NO_ADDON.format(addon=params.get("addonName", ""), name=cluster.name))
        return addon

    def describe_addon(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """DescribeAddon."""
        addon = self._addon(account_id, region, params)
        addon.described += 1
        return {"addon": addon.as_api(self.clock.now())}

    def list_addons(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """ListAddons."""
        cluster = self.cluster(account_id, region, params.get("name", ""))
        return {"addons": sorted(self._addons.get((account_id, region, cluster.name), {}))}

    def delete_addon(self, account_id: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """DeleteAddon (gone at once; the answer shows DELETING)."""
        addon = self._addon(account_id, region, params)
        with self._lock:
            del self._addons[(account_id, region, addon.cluster.name)][addon.name]
        return {"addon": {**addon.as_api(self.clock.now()), "status": "DELETING"}}

    def addon_active(self, cluster: EksCluster) -> bool:
        """Whether the Pod Identity agent add-on is installed and ACTIVE on the cluster."""
        addon = self._addons.get((cluster.account_id, cluster.region, cluster.name), {}).get(POD_IDENTITY_AGENT)
        return addon is not None and addon.status(self.clock.now()) == "ACTIVE"
