"""Evaluations per second: labkit.policy vs principalmapper, plus cases where principalmapper is wrong.

Run it (not a test; it prints rates and ratios)::

    pip install -e ".[bench]"        # principalmapper, in the `bench` extra
    python benchmarks/bench_policy.py [--seconds 1.0]

Both engines get the same identity policy (parsed once: a labkit `Policy`, a principalmapper `Node`) and the
same request context, for a simple allow, an explicit deny and an implicit deny; rates are per CPU-second,
best of interleaved rounds, so other work on a shared machine does not skew the ratio. The goal is labkit at
least 2x principalmapper on each. Then a few requests where principalmapper's answer differs from AWS's
documented semantics and labkit's does not: it matches resources case-insensitively, it does not substitute
policy variables in condition values, it treats StringNotLike on a missing key as false, and it leaves regex
characters such as `+` in resource patterns active. Exit status 1 only if labkit gets one of those wrong.
"""

from __future__ import annotations

import argparse
import collections
import collections.abc
import sys
import time
from collections.abc import Callable
from typing import Any

from labkit.policy import evaluate, parse_policy

GOAL = 2.0  # labkit evaluations per second / principalmapper's
ROLE = "arn:aws:iam::111122223333:role/app"
POLICY: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadReports", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/*"]},
    {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:orders"},
    {"Sid": "TeamTables", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
    {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::data-bucket/secret/*"},
    {"Sid": "TlsOnly", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
]}
CONTEXT = {"aws:SecureTransport": "true", "aws:PrincipalTag/team": "red"}
REQUESTS = {
    "simple allow": ("s3:GetObject", "arn:aws:s3:::data-bucket/reports/q1.csv", "Allow"),
    "explicit deny": ("s3:GetObject", "arn:aws:s3:::data-bucket/secret/keys.txt", "ExplicitDeny"),
    "implicit deny": ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/Orders", "ImplicitDeny"),
}


def load_principalmapper() -> Any:
    """Import principalmapper on Python 3.10+ (it still reads collections.Mapping), or explain how to get it."""
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    collections.MutableMapping = collections.abc.MutableMapping  # type: ignore[attr-defined]
    try:
        from principalmapper.common.nodes import Node
        from principalmapper.common.policies import Policy
        from principalmapper.querying import query_interface
    except ImportError:
        sys.exit('principalmapper is not installed: pip install -e ".[bench]"')
    return Node, Policy, query_interface


def pmapper_role(Node: Any, Policy: Any, doc: dict[str, Any]) -> Any:
    """A principalmapper role node with one inline policy."""
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    return Node(ROLE, "AROAEXAMPLE", [Policy(ROLE, "inline", doc)], [], trust, None, 0, False, False, None, False, {})


def rate(call: Callable[[], object], seconds: float) -> float:
    """Calls per CPU-second over about `seconds` (CPU time: other work on a shared machine does not count)."""
    count, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for _ in range(100):
            call()
        count += 100
    return count / elapsed


def rates(ours: Callable[[], object], theirs: Callable[[], object], seconds: float, rounds: int = 5) -> tuple[float, float]:
    """Best rate of each engine over interleaved rounds, so a busy shared machine slows both alike."""
    ours(), theirs()  # warm caches and imports
    best_ours = best_theirs = 0.0
    for _ in range(rounds):
        best_ours = max(best_ours, rate(ours, seconds / rounds))
        best_theirs = max(best_theirs, rate(theirs, seconds / rounds))
    return best_ours, best_theirs


def speed(seconds: float) -> bool:
    """Print rates and ratios; True when labkit is at least GOAL times faster on every request."""
    Node, Policy, qi = load_principalmapper()
    node, policy = pmapper_role(Node, Policy, POLICY), parse_policy(POLICY)
    print(f"evaluations per CPU-second, best of interleaved rounds ({seconds:g} s per engine and request)")
    print(f"{'request':<15} {'labkit/s':>12} {'pmapper/s':>12} {'ratio':>7}")
    ok = True
    for label, (action, resource, expected) in REQUESTS.items():
        request = {"action": action, "resource": resource, "principal": {"type": "AWS", "id": ROLE}, "context": CONTEXT}
        assert evaluate(request, identity_policies=[policy]).effect == expected
        assert qi.local_check_authorization(node, action, resource, CONTEXT) == (expected == "Allow")
        ours, theirs = rates(lambda: evaluate(request, identity_policies=[policy]),
                             lambda: qi.local_check_authorization(node, action, resource, CONTEXT), seconds)
        ok &= ours >= GOAL * theirs
        print(f"{label:<15} {ours:>12,.0f} {theirs:>12,.0f} {ours / theirs:>6.1f}x")
    return ok


WRONG: list[dict[str, Any]] = [
    {"why": "resource ARNs are case-sensitive; principalmapper matches them ignoring case",
     "policy": {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bucket/*"}]},
     "action": "s3:GetObject", "resource": "arn:aws:s3:::DATA-BUCKET/k", "context": {}, "aws": "ImplicitDeny"},
    {"why": "a policy variable in a condition value is substituted (ABAC); principalmapper compares the raw ${...}",
     "policy": {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
          "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "${aws:PrincipalTag/team}"}}}]},
     "action": "s3:GetObject", "resource": "arn:aws:s3:::data-bucket/k",
     "context": {"s3:ExistingObjectTag/team": "blue", "aws:PrincipalTag/team": "blue"}, "aws": "Allow"},
    {"why": "StringNotLike on a missing key is true (negated operators); principalmapper returns false",
     "policy": {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
          "Condition": {"StringNotLike": {"s3:prefix": "private/*"}}}]},
     "action": "s3:ListBucket", "resource": "arn:aws:s3:::data-bucket", "context": {}, "aws": "Allow"},
    {"why": "'+' in an S3 key is a literal character; principalmapper leaves it as a regex quantifier",
     "policy": {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bucket/q1+q2.csv"}]},
     "action": "s3:GetObject", "resource": "arn:aws:s3:::data-bucket/q1111q2.csv", "context": {},
     "aws": "ImplicitDeny"},
]


def correctness() -> bool:
    """Print the requests where the engines disagree; True when labkit matches AWS on each."""
    Node, Policy, qi = load_principalmapper()
    print("\nwhere principalmapper differs from AWS semantics:")
    ok = True
    for case in WRONG:
        request = {"action": case["action"], "resource": case["resource"],
                   "principal": {"type": "AWS", "id": ROLE}, "context": case["context"]}
        ours = evaluate(request, identity_policies=[case["policy"]]).effect
        pm_allowed = qi.local_check_authorization(pmapper_role(Node, Policy, case["policy"]), case["action"],
                                                  case["resource"], case["context"])
        theirs = "Allow" if pm_allowed else "deny"
        right = ours == case["aws"]
        ok &= right
        print(f"- {case['why']}\n    AWS: {case['aws']}, labkit: {ours}{'' if right else ' (WRONG)'}, "
              f"principalmapper: {theirs}")
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run both parts; exit 1 only if labkit gets a semantics case wrong (speed is reported, like bench_plan)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="measuring time per engine and request")
    args = parser.parse_args(argv)
    fast = speed(args.seconds)
    right = correctness()
    print(f"\ngoal labkit >= {GOAL:g}x on every request: {'met' if fast else 'NOT met'}; "
          f"labkit right on every case: {'yes' if right else 'NO'}")
    return 0 if right else 1


if __name__ == "__main__":
    sys.exit(main())
