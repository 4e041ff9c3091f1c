"""The public surface of labkit.policy is small and pinned; pure layers import no AWS or HTTP code."""

from __future__ import annotations

import subprocess
import sys

import labkit.policy


def test_all_is_pinned_and_sorted() -> None:
    assert labkit.policy.__all__ == sorted(labkit.policy.__all__)
    assert labkit.policy.__all__ == [
        "Decision", "Issue", "Policy", "Principal", "Request", "Statement", "StatementResult",
        "abac_policy", "evaluate", "fits", "irsa_trust_policy", "least_privilege_policy", "load_policy",
        "parse_policy", "pod_identity_trust_policy", "policy_size", "service_accounts_per_role", "validate",
    ]
    for name in labkit.policy.__all__:
        assert getattr(labkit.policy, name).__doc__


def test_policy_engine_is_pure() -> None:
    code = ("import sys, labkit.policy, labkit.policy.cli; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto', 'requests', "
            "'urllib3', 'http', 'flask', 'werkzeug')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_package_docstring_example_runs() -> None:
    import doctest

    assert doctest.testmod(labkit.policy).failed == 0
