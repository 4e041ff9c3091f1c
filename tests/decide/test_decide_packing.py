"""Trust-policy packing: the engine's fast search agrees with packing one binding at a time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.decide import iam
from labkit.policy import irsa_trust_policy, policy_size

ACCOUNT = "111122223333"
ISSUERS = [f"https://oidc.eks.us-east-1.amazonaws.com/id/{i:032X}" for i in range(5)]
bindings = st.lists(st.tuples(st.sampled_from(ISSUERS), st.from_regex(r"[a-z][a-z0-9-]{0,29}", fullmatch=True),
                              st.from_regex(r"[a-z][a-z0-9-]{0,50}", fullmatch=True)),
                    min_size=1, max_size=40, unique=True)


def _one_at_a_time(items: list, packing: str, limit: int) -> int:
    """Roles needed when bindings are added one by one until the next would not fit."""
    roles, current = 0, []
    for binding in items:
        if current and policy_size(irsa_trust_policy(ACCOUNT, current + [binding], packing=packing)) > limit:
            roles, current = roles + 1, []
        current.append(binding)
    return roles + 1


@settings(max_examples=60, deadline=None)
@given(bindings, st.sampled_from(iam.PACKINGS), st.sampled_from(iam.ceilings()))
def test_roles_needed_matches_one_at_a_time(items: list, packing: str, limit: int) -> None:
    assert iam.roles_needed(ACCOUNT, items, packing, limit) == _one_at_a_time(items, packing, limit)


@settings(max_examples=30, deadline=None)
@given(bindings, st.sampled_from(iam.PACKINGS))
def test_cached_sizes_equal_measured_sizes(items: list, packing: str) -> None:
    measured = policy_size(irsa_trust_policy(ACCOUNT, items, packing=packing))
    assert iam.trust_characters(ACCOUNT, items, packing) == measured
    assert iam.trust_characters(ACCOUNT, items, packing) == measured  # second call answers from the cache
