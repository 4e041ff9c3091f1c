"""The pitfalls the audit looks for, as data: id, severity, why it matters, the fix, and the fact behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labkit.audit.sources import Location

SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Check:
    """One pitfall the audit can find."""

    id: str
    severity: str
    title: str
    why: str
    fix: str
    fact: str | None = None


CHECKS: dict[str, Check] = {check.id: check for check in (
    Check("static-keys-in-secret", "high", "AWS access keys stored in a Secret",
          "Long-lived keys do not rotate, sit base64-encoded in etcd (and often in git), and any pod that mounts "
          "the Secret acts as that IAM user.",
          "Delete the keys (and deactivate them in IAM); give the workload a role through EKS Pod Identity or IRSA.",
          "eks.static-credentials"),
    Check("static-keys-in-env", "high", "AWS access keys in a container's environment",
          "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in env come first in the SDK credential chain: they silently "
          "override IRSA and Pod Identity, and they never rotate.",
          "Remove the variables (and the Secret behind them); rely on the role from Pod Identity or IRSA.",
          "sdk.credential-chain-order"),
    Check("default-service-account", "medium", "Pod on the default service account next to an annotated one",
          "The pod names no serviceAccountName, so it runs as `default` and gets no IRSA credentials, although an "
          "annotated service account exists in its namespace (the webhook only mutates pods of annotated SAs).",
          "Set spec.serviceAccountName (in the pod template) to the annotated service account."),
    Check("wildcard-in-string-equals", "high", "Wildcard inside StringEquals",
          "StringEquals compares literally: `*` or `?` matches only that character, so no real token matches and "
          "the role cannot be assumed (or the author meant a broader StringLike).",
          "Pin the exact value (system:serviceaccount:<namespace>:<name>) with StringEquals, or use StringLike "
          "deliberately and as narrowly as possible.", "eks.irsa-trust-conditions"),
    Check("broad-string-like-sub", "high", "Over-broad StringLike on the token subject",
          "A wildcard in the namespace part of `:sub` lets service accounts of any matching namespace assume the "
          "role: anyone who can create a service account there gets its permissions.",
          "Pin system:serviceaccount:<namespace>:<name> with StringEquals (list several if needed).",
          "eks.irsa-trust-conditions"),
    Check("namespace-wide-string-like-sub", "low", "StringLike lets every service account of a namespace in",
          "system:serviceaccount:<namespace>:* trusts every current and future service account of the namespace.",
          "List the service accounts that need the role with StringEquals.", "eks.irsa-trust-conditions"),
    Check("trust-without-aud", "medium", "IRSA trust policy without an audience condition",
          "Without `<issuer>:aud` the role accepts tokens minted for any audience of the cluster's issuer, not only "
          "the ones the webhook projects for STS.",
          "Add \"<issuer>:aud\": \"sts.amazonaws.com\" under StringEquals.", "eks.irsa-trust-conditions"),
    Check("trust-without-sub", "critical", "IRSA trust policy without a subject condition",
          "Without `<issuer>:sub` every service account of the cluster (every pod that can get a token) can "
          "assume the role.",
          "Add \"<issuer>:sub\": \"system:serviceaccount:<namespace>:<name>\" under StringEquals.",
          "eks.irsa-trust-conditions"),
    Check("pod-identity-trust-without-tag-session", "high", "Pod Identity trust policy without sts:TagSession",
          "EKS Pod Identity assumes the role with six session tags; without sts:TagSession the AssumeRole fails and "
          "the pod gets no credentials.",
          "Allow [\"sts:AssumeRole\", \"sts:TagSession\"] for the service principal pods.eks.amazonaws.com.",
          "eks.pod-identity-session-tags"),
    Check("association-for-fargate-pod", "high", "Pod Identity association for a pod that runs on Fargate",
          "Pod Identity is not available on Fargate: the pod starts without valid credentials (or falls back to "
          "nothing), whatever the association says.",
          "Use IRSA for this service account: OIDC provider, web-identity trust, annotation; delete the association.",
          "eks.pod-identity-unsupported"),
    Check("association-for-windows-pod", "high", "Pod Identity association for a Windows pod",
          "The Pod Identity agent runs only on Linux nodes: a Windows pod gets no credentials from the association.",
          "Use IRSA for this service account; delete the association.", "eks.pod-identity-unsupported"),
    Check("proxy-without-agent-no-proxy", "high", "Proxy set but NO_PROXY lacks the Pod Identity agent",
          "With HTTP(S)_PROXY set the SDK sends the credential request for 169.254.170.23 to the proxy, which "
          "cannot reach the node-local agent: credential fetching fails.",
          "Add 169.254.170.23 (and fd00:ec2::23 on IPv6 clusters) to NO_PROXY/no_proxy.",
          "eks.pod-identity-agent-address"),
    Check("imds-v1-allowed", "high", "IMDSv1 allowed on the nodes",
          "Without HttpTokens=required any pod can read the node role's credentials with a plain GET to "
          "169.254.169.254, bypassing the per-workload roles.",
          "Set MetadataOptions HttpTokens=required (eksctl: disableIMDSv1: true).", "eks.imds-hardening"),
    Check("imds-hop-limit", "high", "IMDS hop limit above 1",
          "A hop limit above 1 lets IMDSv2 responses reach pods behind the node's network namespace, so pods can "
          "take the node role. Neither IRSA nor Pod Identity needs it.",
          "Set MetadataOptions HttpPutResponseHopLimit=1 (only hostNetwork pods then reach IMDS).",
          "eks.imds-hardening"),
    Check("cni-policy-on-node-role", "medium", "AmazonEKS_CNI_Policy still on the node role",
          "aws-node already has its own role, yet the node role keeps the CNI permissions: every pod that reaches "
          "IMDS can manage ENIs and IP addresses.",
          "Detach arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy from the node role.", "eks.cni-own-role"),
)}


@dataclass(frozen=True)
class Finding:
    """One pitfall found at one location."""

    check: Check
    location: Location
    detail: str

    @property
    def id(self) -> str:
        """The check's id."""
        return self.check.id

    @property
    def severity(self) -> str:
        """The check's severity."""
        return self.check.severity

    def to_dict(self) -> dict[str, Any]:
        """JSON form: id, severity, location, what was found, why, fix, fact."""
        loc = self.location
        return {"id": self.check.id, "severity": self.check.severity, "file": loc.file, "document": loc.document,
                "path": loc.path, "line": loc.line, "message": self.detail, "why": self.check.why,
                "fix": self.check.fix, "fact": self.check.fact}

    def __repr__(self) -> str:
        return f"<Finding {self.check.id} at {self.location}>"


def finding(check_id: str, location: Location, detail: str) -> Finding:
    """A finding of the check called `check_id`."""
    return Finding(CHECKS[check_id], location, detail)
