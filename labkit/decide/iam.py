"""The decision engine's one doorway to labkit.policy: trust and permission policies, sizes and packing.

Everything IAM-shaped the planner needs goes through here, so the policy engine is called in one place.
Trust-policy sizes depend only on the lengths of the names involved, so packing results are cached per shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labkit.policy import builders, size
from labkit.policy.size import Packing

Binding = tuple[str, str, str]  # (issuer, namespace, service account)
PACKINGS: tuple[Packing, ...] = ("per-sa", "per-cluster")
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


def ceilings() -> tuple[int, int, int]:
    """The trust-policy quotas to size against: default, raised (4,096) and raised since 2026 (8,192)."""
    return size.trust_policy_ceilings()


def irsa_trust(account_id: str, bindings: Sequence[Binding], *, packing: Packing = "per-sa",
               partition: str = "aws") -> dict[str, Any]:
    """The IRSA trust policy for these bindings in `account_id`."""
    return builders.irsa_trust_policy(account_id, bindings, packing=packing, partition=partition)


def pod_identity_trust() -> dict[str, Any]:
    """The EKS Pod Identity trust policy (the same for every cluster and service account)."""
    return builders.pod_identity_trust_policy()


def target_role_trust(source_role_arn: str, *, tag_session: bool = True) -> dict[str, Any]:
    """Trust policy of a role assumed by chaining from `source_role_arn`.

    For an association's target role EKS chains the two AssumeRole calls itself and the Pod Identity session
    tags are transitive, hence sts:TagSession; an IRSA pod chaining through an SDK profile needs only AssumeRole.
    """
    actions: str | list[str] = ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"
    statement = {"Effect": "Allow", "Principal": {"AWS": source_role_arn}, "Action": actions}
    return {"Version": builders.VERSION, "Statement": [statement]}


def permissions(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The least-privilege permission policy for (action, resource) pairs."""
    return builders.least_privilege_policy(pairs)


def abac_permissions(actions: Sequence[str], resources: Sequence[str]) -> dict[str, Any]:
    """An ABAC statement: resource ARNs with Pod Identity session-tag variables, scoped by namespace tag."""
    return builders.abac_policy(sorted(set(actions)), sorted(set(resources)))


def provider_arn(account_id: str, issuer: str, partition: str = "aws") -> str:
    """The IAM OIDC provider ARN for `issuer` in `account_id`."""
    return builders.oidc_provider_arn(account_id, issuer, partition=partition)


def characters(doc: dict[str, Any]) -> int:
    """Characters IAM counts for a policy document (white space is not counted)."""
    return size.policy_size(doc)


def trust_characters(account_id: str, bindings: Sequence[Binding], packing: Packing) -> int:
    """Characters of one IRSA trust policy holding every binding (cached by shape)."""
    return _size(account_id, list(dict.fromkeys(bindings)), packing)


def roles_needed(account_id: str, bindings: Sequence[Binding], packing: Packing, limit: int) -> int:
    """How many IRSA roles hold these bindings when each trust policy must fit `limit` (greedy, in order)."""
    unique = list(dict.fromkeys(bindings))
    key = (len(account_id), _shape(unique), packing, limit)
    if key not in _ROLES:
        _ROLES[key] = _pack(account_id, unique, packing, limit)
    return _ROLES[key]


Shape = tuple[tuple[int, int, int, int], ...]
_SIZES: dict[tuple[int, Shape, str], int] = {}
_ROLES: dict[tuple[int, Shape, str, int], int] = {}


def _shape(bindings: Sequence[Binding]) -> Shape:
    """What a trust policy's size depends on: which issuer (by first appearance) and each name's length.

    Kubernetes names and issuer URLs hold no character JSON escapes, so equal shapes have equal sizes.
    """
    issuers: dict[str, int] = {}
    shape = []
    for issuer, namespace, service_account in bindings:
        host = builders.issuer_host_path(issuer)
        shape.append((issuers.setdefault(host, len(issuers)), len(host), len(namespace), len(service_account)))
    return tuple(shape)


def _size(account_id: str, bindings: list[Binding], packing: Packing) -> int:
    """Size of the trust policy for these (unique) bindings, computed once per shape."""
    key = (len(account_id), _shape(bindings), packing)
    if key not in _SIZES:
        _SIZES[key] = size.policy_size(builders.irsa_trust_policy(account_id, bindings, packing=packing))
    return _SIZES[key]


def _pack(account_id: str, bindings: list[Binding], packing: Packing, limit: int) -> int:
    """Greedy packing: fill a role with the longest prefix that fits, then start the next role."""
    roles, start = 0, 0
    while start < len(bindings):
        fit = _longest_prefix(account_id, bindings[start:], packing, limit)
        if fit == 0:
            raise ValueError(f"one binding alone exceeds {limit} characters")
        roles, start = roles + 1, start + fit
    return roles


def _longest_prefix(account_id: str, bindings: list[Binding], packing: Packing, limit: int) -> int:
    """The most leading bindings one trust policy holds within `limit`.

    Sizes grow with every binding, so this is a search on the prefix length. It starts where the cost of the
    first binding predicts and gallops from there: a few documents of about `limit` characters are measured,
    not half of a long list (IAM's character count is linear in the document).
    """
    def fits(count: int) -> bool:
        return _size(account_id, bindings[:count], packing) <= limit

    first = _size(account_id, bindings[:1], packing)
    if first > limit:
        return 0
    per_binding = max(1, _size(account_id, bindings[:2], packing) - first) if len(bindings) > 1 else 1
    guess = max(1, min(len(bindings), 1 + (limit - first) // per_binding))
    low, high, step = 1, len(bindings), 1  # fits(1) holds: `first` is within the limit
    if fits(guess):
        low = guess
        while low < high:  # gallop up from the guess
            probe = min(guess + step, high)
            if not fits(probe):
                high = probe - 1
                break
            low, step = probe, step * 2
    else:
        high = guess - 1
        while high > low:  # gallop down from the guess
            probe = max(guess - step, low)
            if fits(probe):
                low = probe
                break
            high, step = probe - 1, step * 2
    while low < high:  # invariant: fits(low), and every count above high does not fit
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low
