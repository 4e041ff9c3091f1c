"""Policy size as IAM counts it, and how many IRSA bindings fit in one trust policy."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from labkit import facts

Packing = Literal["per-sa", "per-cluster"]

# Which quota applies to which kind of document; the numbers live in labkit.facts with their sources.
LIMIT_FACTS: dict[str, str] = {
    "trust": "iam.trust-policy-size-default",
    "trust-raised": "iam.trust-policy-size-raised",
    "trust-raised-2026": "iam.trust-policy-size-raised-2026",
    "role-inline": "iam.role-inline-policy-size",
    "user-inline": "iam.user-inline-policy-size",
    "group-inline": "iam.group-inline-policy-size",
    "managed": "iam.managed-policy-size",
    "boundary": "iam.managed-policy-size",  # a boundary is a managed policy
    "session": "sts.session-policy-size",
}


def limit(name: str) -> int:
    """The size quota called `name` (see LIMIT_FACTS), read from labkit.facts."""
    try:
        return int(facts.value(LIMIT_FACTS[name]))
    except KeyError:
        raise KeyError(f"no size limit {name!r}; known: {', '.join(sorted(LIMIT_FACTS))}") from None


def trust_policy_ceilings() -> tuple[int, int, int]:
    """The default trust-policy quota and the two raised ceilings (4,096 documented, 8,192 since 2026)."""
    return (limit("trust"), limit("trust-raised"), limit("trust-raised-2026"))


def policy_size(doc: Mapping[str, Any] | str) -> int:
    """Characters IAM counts for a policy: every character except white space."""
    text = doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return sum(1 for char in text if not char.isspace())


def fits(doc: Mapping[str, Any] | str, limit: int) -> bool:
    """Whether the policy is within `limit` characters as IAM counts them."""
    return policy_size(doc) <= limit


def inline_size(docs: Iterable[Mapping[str, Any] | str]) -> int:
    """The aggregate IAM measures for an entity's inline policies: their sizes added up."""
    return sum(policy_size(doc) for doc in docs)


def inline_policies_fit(docs: Iterable[Mapping[str, Any] | str], entity: Literal["role", "user", "group"] = "role") -> bool:
    """Whether all inline policies of one role (10,240), user (2,048) or group (5,120) fit together."""
    return inline_size(docs) <= limit(f"{entity}-inline")


def service_accounts_per_role(
    account_id: str,
    issuers: Sequence[str],
    *,
    packing: Packing = "per-sa",
    limit: int,
    namespace_length: int = 12,
    sa_name_length: int = 20,
    audience: str = "sts.amazonaws.com",
    partition: str = "aws",
) -> int:
    """How many service accounts one trust policy holds within `limit`, measured on the generated JSON.

    Bindings are spread round-robin over `issuers` (one per cluster) with names of the given lengths.
    """
    if not issuers:
        raise ValueError("need at least one OIDC issuer")
    count = 0
    while _bindings_fit(account_id, issuers, count + 1, packing, limit, namespace_length, sa_name_length,
                        audience, partition):
        count += 1
    return count


def _bindings_fit(account_id: str, issuers: Sequence[str], count: int, packing: Packing, limit: int,
                  namespace_length: int, sa_name_length: int, audience: str, partition: str) -> bool:
    """Whether `count` generated bindings fit under `limit`."""
    from labkit.policy.builders import irsa_trust_policy

    bindings = [
        (issuers[i % len(issuers)], _name("ns", i, namespace_length), _name("sa", i, sa_name_length))
        for i in range(count)
    ]
    doc = irsa_trust_policy(account_id, bindings, audience=audience, packing=packing, partition=partition)
    return fits(doc, limit)


def _name(prefix: str, index: int, length: int) -> str:
    """A unique Kubernetes-style name of exactly `length` characters."""
    stem = f"{prefix}{index}"
    if len(stem) > length:
        raise ValueError(f"length {length} too short for {index + 1} distinct names")
    return stem + "x" * (length - len(stem))


@dataclass(frozen=True)
class Capacity:
    """How many service accounts one trust policy holds for a packing and a size limit."""

    packing: Packing
    limit: int
    service_accounts: int


def trust_policy_capacity(
    account_id: str,
    issuers: Sequence[str],
    *,
    limits: Sequence[int] | None = None,
    packings: Sequence[Packing] = ("per-sa", "per-cluster"),
    namespace_length: int = 12,
    sa_name_length: int = 20,
) -> list[Capacity]:
    """One row per (packing, limit): service accounts that fit, for the default and raised trust quotas."""
    return [
        Capacity(packing, size_limit, service_accounts_per_role(
            account_id, issuers, packing=packing, limit=size_limit,
            namespace_length=namespace_length, sa_name_length=sa_name_length))
        for packing in packings
        for size_limit in (limits or trust_policy_ceilings())
    ]
