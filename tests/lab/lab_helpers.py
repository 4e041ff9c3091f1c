"""Helpers shared by the lab tests: policy documents, credentials from STS answers, error codes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from labkit.sim import Lab
from labkit.sim.sessions import Credentials

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"


def doc(*statements: Mapping[str, Any]) -> str:
    """A policy document (JSON text) with these statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    """A Deny statement."""
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def credentials_of(response: Mapping[str, Any]) -> Credentials:
    """Credentials from an STS answer."""
    creds = response["Credentials"]
    return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def unsigned_sts(lab: Lab) -> Any:
    """An STS client that signs nothing, as botocore calls AssumeRoleWithWebIdentity."""
    return boto3.client("sts", region_name="us-east-1", endpoint_url=lab.endpoint_url,
                        config=Config(signature_version=UNSIGNED))


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    """The AWS error code of a ClientError."""
    return excinfo.value.response["Error"]["Code"]


def create_role(lab: Lab, name: str, trust: str, *policies: Mapping[str, Any], account_id: str | None = None,
                **extra: Any) -> str:
    """Create a role with an inline policy made of `policies`; returns its ARN."""
    iam = lab.client("iam", account_id)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **extra)["Role"]["Arn"]
    if policies:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=doc(*policies))
    return arn


def big_trust(size: int) -> str:
    """A valid trust policy of about `size` non-whitespace characters."""
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": "x" * size}}}
    return doc(statement)
