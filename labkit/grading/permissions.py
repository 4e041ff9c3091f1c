"""Checks for permission-policy exercises: least privilege, judged by the policy engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labkit.grading import attempt, check, passed
from labkit.policy import evaluate, validate

ACCOUNT = "111122223333"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:order-events"
_ROLE = {"type": "AWS", "id": f"arn:aws:sts::{ACCOUNT}:assumed-role/CheckoutApi/pod"}

# (action, resource, allowed?, hint)
_LEAST_PRIVILEGE = (
    ("dynamodb:GetItem", TABLE, True, "The checkout reads orders: allow dynamodb:GetItem on the orders table's ARN."),
    ("dynamodb:PutItem", TABLE, True, "The checkout writes orders: allow dynamodb:PutItem on the same table."),
    ("sns:Publish", TOPIC, True, "It publishes order events: allow sns:Publish on the order-events topic ARN."),
    ("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/customers", False,
     "Name the table: Resource arn:aws:dynamodb:<region>:<account>:table/orders, not table/* or *."),
    ("dynamodb:DeleteTable", TABLE, False, "List the actions it needs; dynamodb:* also allows DeleteTable."),
    ("dynamodb:Scan", TABLE, False, "GetItem is not Scan: a wildcard like dynamodb:Get* or dynamodb:* grants more."),
    ("sns:Publish", f"arn:aws:sns:us-east-1:{ACCOUNT}:payments", False, "Name the topic, not sns:*:*:* or *."),
    ("s3:GetObject", "arn:aws:s3:::checkout-config/app.json", False, "Nothing beyond DynamoDB and SNS."),
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", False, "Nothing beyond DynamoDB and SNS."),
)


def check_least_privilege(checkout_policy: Callable[[], dict[str, Any]]) -> None:
    """``checkout_policy()`` allows exactly what the checkout needs and nothing else."""
    policy = attempt(checkout_policy)
    check(isinstance(policy, dict), f"expected a policy dict, got {type(policy).__name__}")
    issues = validate(policy, kind="identity")
    check(not issues, f"IAM would reject this policy: {issues[0] if issues else ''}",
          "Version 2012-10-17, a Statement list, each with Effect, Action and Resource.")
    for action, resource, allowed, hint in _LEAST_PRIVILEGE:
        request = {"action": action, "resource": resource, "principal": _ROLE, "context": {}}
        effect = evaluate(request, identity_policies=[policy]).effect
        if allowed:
            check(effect == "Allow", f"{action} on {resource} is denied ({effect}); the checkout needs it", hint)
        else:
            check(effect != "Allow", f"{action} on {resource} is allowed; the checkout does not need it", hint)
    passed("the policy grants GetItem/PutItem on orders and Publish on order-events, and nothing more")


def _tagged_request(action: str, resource: str, namespace: str | None) -> dict[str, Any]:
    context = {"aws:PrincipalTag/kubernetes-namespace": namespace} if namespace else {}
    context |= {"aws:PrincipalTag/eks-cluster-name": "checkout-prod"} if namespace else {}
    return {"action": action, "resource": resource, "principal": _ROLE, "context": context}


# (action, resource, the session's namespace tag, allowed?, hint)
_ABAC = (
    ("s3:GetObject", "arn:aws:s3:::team-payments/ledger.csv", "payments", True,
     "Resource arn:aws:s3:::team-${aws:PrincipalTag/kubernetes-namespace}/*"),
    ("s3:PutObject", "arn:aws:s3:::team-payments/ledger.csv", "payments", True, "Allow s3:PutObject too."),
    ("s3:GetObject", "arn:aws:s3:::team-shipping/routes.csv", "shipping", True,
     "Don't name a team: the variable makes one statement serve every namespace."),
    ("s3:GetObject", "arn:aws:s3:::team-fraud/cases.csv", "fraud", True,
     "A namespace created next year must work without editing the policy: use the variable, not a list."),
    ("s3:GetObject", "arn:aws:s3:::team-shipping/routes.csv", "payments", False,
     "The bucket must follow the session's own tag, never a wildcard like team-*."),
    ("s3:DeleteObject", "arn:aws:s3:::team-payments/ledger.csv", "payments", False, "Only GetObject and PutObject."),
    ("s3:GetObject", "arn:aws:s3:::team-payments/ledger.csv", None, False,
     "A session without the tag (IRSA, a human) must get nothing: a missing variable makes the statement not match."),
)


def check_abac_policy(abac_policy: Callable[[], dict[str, Any]]) -> None:
    """``abac_policy()`` lets each namespace's pods read and write only their own team bucket."""
    policy = attempt(abac_policy)
    check(isinstance(policy, dict), f"expected a policy dict, got {type(policy).__name__}")
    issues = validate(policy, kind="identity")
    check(not issues, f"IAM would reject this policy: {issues[0] if issues else ''}")
    for action, resource, namespace, allowed, hint in _ABAC:
        effect = evaluate(_tagged_request(action, resource, namespace), identity_policies=[policy]).effect
        who = f"a session tagged kubernetes-namespace={namespace}" if namespace else "a session without tags"
        if allowed:
            check(effect == "Allow", f"{who} cannot {action} {resource} ({effect})", hint)
        else:
            check(effect != "Allow", f"{who} can {action} {resource}", hint)
    passed("one policy: every namespace reads and writes its own team bucket, no other, and untagged sessions nothing")
