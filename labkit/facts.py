"""Sourced facts: quotas, limits and behaviours the course and the engines rely on.

Every number labkit enforces or teaches lives here once, with its source and the date it was checked.
Where the course's source text is out of date, the fact says what changed (``changed``) so the course can
teach the current value and mention the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHECKED = "2026-12-04"  # the day these rows were last compared with ../shared/facts.md

_IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
_EKS_SA = "https://docs.aws.amazon.com/eks/latest/userguide/service-accounts.html"
_POD_ID = "https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html"
_POD_ID_ABAC = "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html"
_POD_ID_TARGET = "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-assign-target-role.html"
_POD_ID_AGENT = "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html"
_POD_ID_HOW = "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html"
_WEBHOOK = "https://github.com/aws/amazon-eks-pod-identity-webhook (pkg/constants.go, pkg/handler/handler.go)"
_BEST_PRACTICES = "https://docs.aws.amazon.com/eks/latest/userguide/best-practices-security.html"


@dataclass(frozen=True)
class Fact:
    """One sourced fact: a value, what it means, where it comes from and when it was checked."""

    id: str
    value: Any
    summary: str
    source: str
    as_of: str
    changed: str = ""  # what an older text says, when the fact changed
    adjustable: bool | None = None

    def __repr__(self) -> str:
        return f"<Fact {self.id}={self.value!r}>"


_ROWS = (
    Fact("iam.oidc-providers-per-account", 100,
         "IAM OIDC identity providers per account (default; adjustable, auto-approved up to 700). "
         "IRSA needs one per cluster.",
         f"{_IAM_QUOTAS} (quota L-858F3967); {_EKS_SA}", "2026-03-06", adjustable=True),
    Fact("iam.oidc-providers-per-account-max", 700,
         "Auto-approved maximum for OIDC providers per account.", _IAM_QUOTAS, "2026-03-06"),
    Fact("iam.oidc-client-ids-per-provider", 100, "Client IDs (audiences) per IAM OIDC provider.",
         "CreateOpenIDConnectProvider API reference", "2026-03-06"),
    Fact("iam.oidc-thumbprints-per-provider", 5,
         "Thumbprints per OIDC provider; optional now that IAM trusts its library of root CAs.",
         "UpdateOpenIDConnectProviderThumbprint API reference", "2026-03-06",
         changed="Older guides say the thumbprint is required and must be updated on certificate rotation."),
    Fact("iam.trust-policy-size-default", 2048,
         "Role trust policy length in non-whitespace characters (default quota L-C07B4B0D).",
         _IAM_QUOTAS, "2026-03-06", adjustable=True),
    Fact("iam.trust-policy-size-raised", 4096,
         "Maximum trust policy length through Service Quotas, as the official table stated in March 2026.",
         _IAM_QUOTAS, "2026-03-06"),
    Fact("iam.trust-policy-size-raised-2026", 8192,
         "Maximum trust policy length reported after a May 2026 change (not yet in the stored official "
         "table: verify live).",
         "FogSecurity/aws-size README commit d8978be (2026-05-26); pytorch/test-infra issue #5825 (2026-05-05)",
         "2026-05-26", changed="4,096 was the ceiling until about May 2026."),
    Fact("iam.whitespace-not-counted", True,
         "IAM does not count white space when it measures a policy against a size quota.",
         f"{_IAM_QUOTAS}; GetAccountSummary AssumeRolePolicySizeQuota", "2026-03-06"),
    Fact("iam.role-inline-policy-size", 10240,
         "Aggregate size of all inline policies of one role (not adjustable).", _IAM_QUOTAS, "2026-03-06",
         adjustable=False),
    Fact("iam.user-inline-policy-size", 2048, "Aggregate size of all inline policies of one user.",
         _IAM_QUOTAS, "2026-03-06", adjustable=False),
    Fact("iam.group-inline-policy-size", 5120, "Aggregate size of all inline policies of one group.",
         _IAM_QUOTAS, "2026-03-06", adjustable=False),
    Fact("iam.managed-policy-size", 6144, "Size of one customer managed policy (quota L-ED111B8C).",
         _IAM_QUOTAS, "2026-03-06", adjustable=False),
    Fact("iam.managed-policies-per-role", 10, "Managed policies attached to one role (adjustable to 25).",
         f"{_IAM_QUOTAS}; FogSecurity/aws-size commit abec82b", "2026-05-26", adjustable=True),
    Fact("iam.roles-per-account", 1000,
         "Roles per account (default; maximum 5,000 in the March 2026 table, 10,000 reported since mid-2026).",
         _IAM_QUOTAS, "2026-03-06", adjustable=True),
    Fact("sts.session-policy-size", 2048, "Passed session policy plus policy ARNs, in characters.",
         _IAM_QUOTAS, "2026-03-06"),
    Fact("sts.session-tags-max", 50, "Session tags per role session.", _IAM_QUOTAS, "2026-03-06"),
    Fact("sts.duration-min", 900, "Shortest DurationSeconds for AssumeRole*.",
         "AssumeRoleWithWebIdentity API reference", "2026-03-06"),
    Fact("sts.duration-default", 3600, "Default DurationSeconds for AssumeRole*.",
         "AssumeRoleWithWebIdentity API reference", "2026-03-06"),
    Fact("sts.duration-max", 43200, "Longest role session (a role's MaxSessionDuration is 1 to 12 hours).",
         _IAM_QUOTAS, "2026-03-06"),
    Fact("sts.role-chaining-max", 3600, "A session from role chaining lasts at most one hour.",
         _IAM_QUOTAS, "2026-03-06"),
    Fact("eks.pod-identity-associations-per-cluster", 5000,
         "EKS Pod Identity associations per cluster (not adjustable in Service Quotas).",
         f"{_POD_ID} (Limits)", "2026-03-06", adjustable=False,
         changed="Older EKS docs (about 2024) said 1,000."),
    Fact("eks.pod-identity-session-tags",
         ("eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account",
          "kubernetes-pod-name", "kubernetes-pod-uid"),
         "The six session tags EKS Pod Identity attaches; all transitive; read as ${aws:PrincipalTag/<key>}.",
         _POD_ID_ABAC, "2026-03-06",
         changed="The source text lists four tags; there are six."),
    Fact("eks.pod-identity-disable-session-tags", "2025-06-11",
         "Session tags can be turned off per association (disableSessionTags), e.g. for PackedPolicyTooLarge.",
         f"{_POD_ID_ABAC}; AWS API changes 2025-06-11", "2025-06-11",
         changed="Before June 2025 the tags could not be turned off."),
    Fact("eks.pod-identity-target-role", "2025-06-11",
         "An association's targetRoleArn (any account) makes EKS chain two AssumeRole calls; roleArn stays in "
         "the cluster's account.", _POD_ID_TARGET, "2025-06-11",
         changed="Older texts: cross-account only through role chaining you set up yourself."),
    Fact("eks.pod-identity-agent-cache", {"default": 6 * 3600, "target-role": 59 * 60},
         "The agent caches credentials 6 h (59 min with a target role); editing an association does not "
         "reset the cache: recreate the pods.", _POD_ID_TARGET, "2026-03-06"),
    Fact("eks.pod-identity-eventual-consistency", "several seconds",
         "A new or changed association may take several seconds to take effect.", _POD_ID, "2026-03-06"),
    Fact("eks.pod-identity-unsupported",
         ("fargate", "windows", "outposts", "eks-anywhere", "self-managed", "rosa"),
         "Pod Identity works only for Linux pods on EC2 nodes of Amazon EKS: not Fargate (Linux or Windows), "
         "Windows EC2 nodes, Outposts, EKS Anywhere or self-managed Kubernetes.",
         f"{_POD_ID} (restrictions)", "2026-03-06"),
    Fact("eks.pod-identity-agent-address",
         {"ipv4": "169.254.170.23", "ipv6": "fd00:ec2::23", "port": 80, "probe-port": 2703, "metrics-port": 2705},
         "The agent runs on hostNetwork at link-local 169.254.170.23 / [fd00:ec2::23]: credentials on port 80, "
         "probes on 2703, metrics on 2705. Add both addresses to NO_PROXY.",
         f"{_POD_ID}; {_POD_ID_AGENT}; aws/eks-pod-identity-agent cmd/server.go", "2026-03-06"),
    Fact("eks.pod-identity-agent-uses-node-role", "eks-auth:AssumeRoleForPodIdentity",
         "The agent calls EKS Auth with the node role (AmazonEKSWorkerNodePolicy grants the action), not IRSA.",
         _POD_ID_AGENT, "2026-03-06"),
    Fact("eks.pod-identity-audience", "pods.eks.amazonaws.com",
         "Audience of the Pod Identity projected token and the trust policy's service principal.",
         _POD_ID_HOW, "2026-03-06"),
    Fact("eks.pod-identity-full-uri", "http://169.254.170.23/v1/credentials",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI injected for Pod Identity (IPv6 clusters: http://[fd00:ec2::23]/v1/credentials).",
         f"{_POD_ID_HOW}; {_WEBHOOK}", "2026-03-06"),
    Fact("eks.pod-identity-min-sdk-boto3", "1.34.41",
         "Oldest boto3/botocore that knows the container provider used by Pod Identity; older SDKs fall "
         "through to the node role.",
         "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html", "2026-03-06"),
    Fact("eks.pod-identity-min-sdk",
         {"boto3": "1.34.41", "botocore": "1.34.41", "aws-cli-v1": "1.30.0", "aws-cli-v2": "2.15.0",
          "java-v2": "2.21.30", "java-v1": "1.12.746", "go-v1": "1.47.11", "js-v2": "2.1550.0", "js-v3": "3.458.0",
          "kotlin": "1.0.1", "ruby-core": "3.188.0", "cpp": "1.11.263", "dotnet": "3.7.734.0",
          "powershell": "4.1.502", "php": "3.287.1"},
         "Oldest release of each AWS SDK (numbered versions) that supports EKS Pod Identity; older SDKs skip the "
         "container provider and fall through to the node role. Go v2 (release-2023-11-14) and Rust "
         "(release-2024-03-13) are dated releases.",
         "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html", "2026-03-06"),
    Fact("eks.pod-identity-min-version", {"1.28": "eks.4"},
         "Only Kubernetes 1.28 needs a minimum platform version (eks.4); every other supported version works.",
         _POD_ID, "2026-03-06", changed="Historically: 1.24 eks.13, 1.25 eks.10, 1.26 eks.9, 1.27 eks.8."),
    Fact("eks.pod-identity-min-platform-versions",
         {"1.24": "eks.13", "1.25": "eks.10", "1.26": "eks.9", "1.27": "eks.8", "1.28": "eks.4"},
         "Oldest EKS platform version per Kubernetes version that runs Pod Identity (1.29 and later: all); "
         "clusters older than 1.24 cannot use it.",
         f"{_POD_ID} (earlier versions in awsdocs/amazon-eks-user-guide)", "2026-03-06"),
    Fact("eks.fargate-profile-selection", "namespace+labels",
         "A pod runs on Fargate when a Fargate profile selector matches its namespace (wildcards * and ? allowed) "
         "and all the selector's labels; otherwise it goes to EC2 nodes.",
         "https://docs.aws.amazon.com/eks/latest/userguide/fargate-profile.html", "2026-03-06"),
    Fact("eks.aws-recommends-pod-identity", "2025-07-19",
         "AWS recommends EKS Pod Identity whenever possible; IRSA stays for Fargate, Windows, EKS Anywhere, "
         "ROSA, self-managed clusters.", _EKS_SA, "2025-07-19"),
    Fact("eks.irsa-oidc-provider-per-cluster", 1,
         "IRSA needs one IAM OIDC provider per cluster in every account whose roles the cluster assumes.",
         "https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html", "2026-03-06"),
    Fact("eks.irsa-cross-account", "provider-in-target-account",
         "IRSA cross-account: the target account creates an OIDC provider for the cluster's issuer, or the pod "
         "chains AssumeRole from its IRSA role.",
         "https://docs.aws.amazon.com/eks/latest/userguide/cross-account-access.html", "2026-03-06"),
    Fact("eks.irsa-trust-conditions", ("aud", "sub"),
         "An IRSA trust statement should pin both <issuer>:aud (sts.amazonaws.com) and <issuer>:sub "
         "(system:serviceaccount:<namespace>:<name>); without sub any service account of the cluster can assume "
         "the role. StringEquals compares literally: a * in it matches only a literal *.",
         "https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html; "
         "IAM condition operators (String condition operators)", "2026-03-06"),
    Fact("eks.static-credentials", "anti-pattern",
         "Long-lived access keys in Secrets or env do not rotate, sit in etcd and git, and outrank IRSA and "
         "Pod Identity in the SDK's credential chain.",
         "https://docs.aws.amazon.com/eks/latest/userguide/service-accounts.html; botocore credential chain",
         "2026-03-06"),
    Fact("eks.irsa-token-expiration", 86400,
         "The webhook asks the kubelet for an IRSA token of 86,400 s by default (minimum 600); the Pod Identity "
         "default is jittered to 79,200-86,400 s.", _WEBHOOK, "2026-03-06",
         changed="The source text says 1 hour extended to 90 days: 1 h is the plain Kubernetes default and "
                 "90 days is EKS's grace for ordinary API tokens, unrelated to IRSA."),
    Fact("eks.irsa-token-min-expiration", 600, "Shortest token lifetime the webhook accepts.", _WEBHOOK,
         "2026-03-06"),
    Fact("eks.pod-identity-token-jitter", (79200, 86400),
         "Pod Identity token expiration is drawn from this range when it would be exactly 86,400 s.",
         f"{_WEBHOOK} (addJitterToDefaultToken)", "2025-03-03"),
    Fact("k8s.kubelet-token-refresh", 0.8,
         "The kubelet refreshes a projected token older than 80% of its lifetime (or 24 h).",
         "https://docs.aws.amazon.com/eks/latest/userguide/pod-configuration.html", "2026-03-06"),
    Fact("k8s.projected-token-default-expiration", 3600,
         "Plain Kubernetes projected service-account tokens default to 1 hour (minimum 10 minutes).",
         "Kubernetes API ServiceAccountTokenProjection", "2026-03-06"),
    Fact("eks.api-token-grace-days", 90,
         "EKS extends ordinary Kubernetes API service-account tokens to 90 days for old clients; "
         "unrelated to the IRSA STS exchange.", _EKS_SA, "2026-03-06"),
    Fact("eks.oidc-key-rotation-days", 7,
         "EKS rotates the OIDC signing key every seven days and keeps old public keys until their tokens expire.",
         "https://docs.aws.amazon.com/eks/latest/userguide/irsa-fetch-keys.html", "2026-03-06"),
    Fact("eks.imds-hardening", {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
         "IMDSv2 required with hop limit 1 keeps non-hostNetwork pods away from the node role; hostNetwork "
         "pods still reach IMDS. Neither IRSA nor Pod Identity needs pod access to IMDS.",
         _BEST_PRACTICES, "2026-03-06",
         changed="Claims that IRSA or Pod Identity need hop limit 2 are wrong."),
    Fact("eks.al2023-default-hop-limit", 1,
         "AL2023 managed node groups default to hop limit 1.",
         "https://docs.aws.amazon.com/eks/latest/userguide/al2023.html", "2026-03-06"),
    Fact("eks.cni-own-role", "AmazonEKS_CNI_Policy",
         "Give kube-system/aws-node its own role and detach AmazonEKS_CNI_Policy from the node role.",
         "https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html", "2026-03-06"),
    Fact("kubectl.serviceaccount-flag-removed", "1.24",
         "kubectl run --serviceaccount was deprecated, then removed in kubectl 1.24; use --overrides or a manifest.",
         "kubernetes/kubernetes PR #108820", "2022-03-22"),
    Fact("sdk.credential-chain-order",
         ("env", "assume-role", "assume-role-with-web-identity", "sso", "shared-credentials-file", "login",
          "custom-process", "config-file", "ec2-credentials-file", "boto-config", "container-role", "iam-role"),
         "botocore's default provider order: static env keys beat IRSA, IRSA beats Pod Identity, all beat IMDS.",
         "botocore.credentials.create_credential_resolver (measured, ../shared/moto-notes.md Q7)", "2026-11-01"),
)

FACTS: dict[str, Fact] = {row.id: row for row in _ROWS}


def fact(fact_id: str) -> Fact:
    """The fact with this id; KeyError names the known ids when it is missing."""
    try:
        return FACTS[fact_id]
    except KeyError:
        raise KeyError(f"no fact {fact_id!r}; known: {', '.join(sorted(FACTS))}") from None


def value(fact_id: str) -> Any:
    """The value of a fact, for code that enforces it."""
    return fact(fact_id).value
