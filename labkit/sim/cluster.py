"""A lab EKS cluster: name, region, account, ARN, its OIDC issuer, and service-account tokens it signs.

Kept small on purpose: the kubelet, pods, `apply` and `run_pod` extend this class elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labkit.sim.eks import EksCluster
from labkit.sim.issuer import Issuer
from labkit.sim.webidentity import epoch

if TYPE_CHECKING:
    from labkit.sim.lab import Lab
    from labkit.sim.nodes import FargateProfile, NodeGroup
    from labkit.sim.pods import PodRun, PodRuntime

STS_AUDIENCE = "sts.amazonaws.com"
DEFAULT_EXPIRES_IN = 86400  # the IRSA webhook's default token lifetime (labkit.facts eks.irsa-token-expiration)


class Cluster:
    """One EKS cluster of a lab."""

    def __init__(self, lab: Lab, record: EksCluster) -> None:
        self.lab = lab
        self._record = record
        self._runtime: PodRuntime | None = None

    @property
    def name(self) -> str:
        """The cluster name."""
        return self._record.name

    @property
    def region(self) -> str:
        """The cluster's region."""
        return self._record.region

    @property
    def account_id(self) -> str:
        """The account that owns the cluster."""
        return self._record.account_id

    @property
    def arn(self) -> str:
        """`arn:aws:eks:<region>:<account>:cluster/<name>`."""
        return self._record.arn

    @property
    def issuer(self) -> Issuer:
        """The cluster's OIDC issuer (keys, discovery, JWKS)."""
        return self._record.issuer

    @property
    def oidc_issuer(self) -> str:
        """`https://oidc.eks.<region>.amazonaws.com/id/<32 HEX>`, as describe_cluster reports it."""
        return self._record.issuer.url

    @property
    def oidc_provider(self) -> str:
        """The issuer without `https://`: IAM's provider name and the prefix of `:sub`/`:aud` keys."""
        return self._record.issuer.host_path

    def oidc_provider_arn(self, account_id: str | None = None) -> str:
        """The ARN an IAM OIDC provider for this cluster has in `account_id` (default: the cluster's)."""
        return f"arn:aws:iam::{account_id or self.account_id}:oidc-provider/{self.oidc_provider}"

    def service_account_uid(self, namespace: str, service_account: str) -> str:
        """The (deterministic) uid of a service account."""
        return self._uid("serviceaccount", namespace, service_account)

    def mint_token(self, namespace: str, service_account: str, audience: str | list[str] = STS_AUDIENCE,
                   expires_in: int = DEFAULT_EXPIRES_IN, *, pod: str | None = None, pod_uid: str | None = None,
                   node: str | None = None, **claims: Any) -> str:
        """A projected service-account token as the API server issues it (RS256 by the cluster's issuer).

        `pod`/`node` bind the token to a pod (and node) as the kubelet's TokenRequest does; extra keyword
        arguments override or add top-level claims.
        """
        now = epoch(self.lab.clock.now())
        binding: dict[str, Any] = {
            "namespace": namespace,
            "serviceaccount": {"name": service_account, "uid": self.service_account_uid(namespace, service_account)},
        }
        if pod:
            binding["pod"] = {"name": pod, "uid": pod_uid or self._uid("pod", namespace, pod)}
        if node:
            binding["node"] = {"name": node, "uid": self._uid("node", node)}
        body: dict[str, Any] = {
            "aud": [audience] if isinstance(audience, str) else list(audience),
            "exp": now + expires_in, "iat": now, "nbf": now, "iss": self.oidc_issuer,
            "jti": self.lab.ids.uuid("token-jti"),
            "kubernetes.io": binding,
            "sub": f"system:serviceaccount:{namespace}:{service_account}",
        }
        body.update(claims)
        return self.issuer.sign(body)

    # -- Kubernetes, nodes and pods (logic in labkit.sim.pods, nodes, kubelet) -------------------------------------
    @property
    def runtime(self) -> PodRuntime:
        """The cluster's API server, nodes, kubelet and pod processes (created on first use)."""
        if self._runtime is None:
            from labkit.sim.pods import PodRuntime

            self._runtime = PodRuntime(self)
        return self._runtime

    def apply(self, manifest: Any) -> list[str]:
        """`kubectl apply`: YAML text, a dict or a list of dicts; returns kubectl's lines."""
        return self.runtime.api.apply(manifest)

    def get(self, kind: str, name: str, namespace: str = "default") -> dict[str, Any]:
        """`kubectl get KIND NAME -o json` as a dict."""
        return self.runtime.api.get(kind, name, namespace)

    def describe(self, kind: str, name: str, namespace: str = "default") -> str:
        """`kubectl get KIND NAME -o yaml`."""
        return self.runtime.api.describe(kind, name, namespace)

    def delete(self, kind: str, name: str, namespace: str = "default") -> str:
        """`kubectl delete KIND NAME`."""
        if kind.lower() in ("pod", "pods", "po"):
            return self.runtime.delete_pod(name, namespace)
        return self.runtime.api.delete(kind, name, namespace)

    def add_nodegroup(self, name: str, kind: str = "ec2-linux", **options: Any) -> NodeGroup:
        """A node group (node role + instance profile through IAM, IMDS per node); see NodePool.add_nodegroup."""
        return self.runtime.nodes.add_nodegroup(name, kind, **options)  # type: ignore[arg-type]

    def add_fargate_profile(self, name: str, selectors: list[dict[str, Any]]) -> FargateProfile:
        """A Fargate profile: pods matching a selector (namespace + labels) run on Fargate."""
        return self.runtime.nodes.add_fargate_profile(name, selectors)

    def run_pod(self, name_or_manifest: Any, command: Any = None, **options: Any) -> PodRun:
        """Run a command in a pod (applied from a manifest, or existing) as a real subprocess; see PodRuntime."""
        return self.runtime.run_pod(name_or_manifest, command, **options)

    def logs(self, pod: str, namespace: str = "default") -> str:
        """`kubectl logs POD`."""
        return self.runtime.logs(pod, namespace)

    def exec_env(self, pod: str, namespace: str = "default") -> str:
        """`kubectl exec POD -- env`."""
        return self.runtime.exec_env(pod, namespace)

    def kubectl_run(self, name: str, **options: Any) -> tuple[str, PodRun | None]:
        """`kubectl run` with its real flag semantics (see PodRuntime.kubectl_run)."""
        return self.runtime.kubectl_run(name, **options)

    def kubectl(self, command_line: str) -> str:
        """A kubectl command line for notebooks: run, get, describe, logs, exec -- env, apply -f -, delete."""
        from labkit.sim.kubectl import kubectl

        return kubectl(self, command_line)

    def _uid(self, *parts: str) -> str:
        raw = self.lab.ids.fixed("uid", self.arn, *parts, alphabet="0123456789abcdef")
        return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-a{raw[17:20]}-{raw[20:32]}"

    def __repr__(self) -> str:
        return f"<Cluster {self.name} {self.region} issuer={self.oidc_issuer}>"
