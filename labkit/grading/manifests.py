"""Checks for the pitfalls exercise: a fixed manifest passes `labkit audit` and still does its job."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from labkit.grading import attempt, check, passed

BROKEN_PAYMENTS: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "payments", "namespace": "payments"},
    "spec": {
        "containers": [{
            "name": "payments",
            "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/payments:v7",
            "env": [
                {"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"},
                {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
                {"name": "HTTPS_PROXY", "value": "http://proxy.corp.example:3128"},
                {"name": "NO_PROXY", "value": "localhost,127.0.0.1,.svc"},
                {"name": "LEDGER_TABLE", "value": "ledger"},
            ],
        }],
    },
}
PAYMENTS_SA = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "payments-sa", "namespace": "payments"}}


def broken_payments_pod() -> dict[str, Any]:
    """A fresh copy of the broken manifest."""
    return json.loads(json.dumps(BROKEN_PAYMENTS))


def _env(pod: dict[str, Any]) -> dict[str, str]:
    return {e.get("name"): e.get("value", "") for e in pod["spec"]["containers"][0].get("env", [])}


def check_fixed_payments(fix: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """``fix(pod)`` returns the payments pod with every pitfall removed and its own settings kept."""
    from labkit.audit import audit_text

    fixed = attempt(fix, broken_payments_pod())
    check(isinstance(fixed, dict) and fixed.get("kind") == "Pod", "fix must return the Pod manifest as a dict")
    report = audit_text(json.dumps(PAYMENTS_SA) + "\n---\n" + json.dumps(fixed), file="payments.yaml")
    for finding in report.findings:
        check(False, f"labkit audit still finds {finding.id} at {finding.location.path}", finding.check.fix)
    env = _env(fixed)
    check(fixed["spec"].get("serviceAccountName") == "payments-sa",
          "the pod must run as payments-sa (its Pod Identity association names it)",
          "Set spec.serviceAccountName: payments-sa.")
    check(not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(env), "the static keys are still in the env",
          "Remove AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: they outrank Pod Identity in the SDK's chain.")
    check(env.get("HTTPS_PROXY") == "http://proxy.corp.example:3128", "keep the proxy: the payments app needs it",
          "Fix NO_PROXY rather than dropping the proxy.")
    entries = {e.strip() for e in env.get("NO_PROXY", "").split(",")}
    check({"169.254.170.23", "fd00:ec2::23"} <= entries, f"NO_PROXY is {env.get('NO_PROXY')!r}",
          "Add both agent addresses: 169.254.170.23 and fd00:ec2::23.")
    check({"localhost", "127.0.0.1", ".svc"} <= entries, "keep the NO_PROXY entries that were there",
          "Append to NO_PROXY; the app still needs to bypass the proxy for in-cluster services.")
    check(env.get("LEDGER_TABLE") == "ledger", "keep the app's own settings (LEDGER_TABLE)")
    passed("labkit audit finds nothing, and the payments pod keeps its proxy, NO_PROXY entries and settings")
