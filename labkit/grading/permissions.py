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
