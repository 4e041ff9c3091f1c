"""Raised IAM quotas: a Lab can model a Service Quotas increase (trust policy length, OIDC providers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from labkit.sim import Lab

from lab_helpers import big_trust, error_code


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(seed=0, trust_policy_limit=4096, oidc_provider_limit=2) as running:
        yield running


def test_a_raised_trust_policy_quota_admits_larger_policies(lab: Lab) -> None:
    iam = lab.client("iam")
    iam.create_role(RoleName="larger", AssumeRolePolicyDocument=big_trust(3900))
    with pytest.raises(ClientError) as refused:
        iam.create_role(RoleName="largest", AssumeRolePolicyDocument=big_trust(4200))
    assert refused.value.response["Error"]["Message"] == "Cannot exceed quota for ACLSizePerRole: 4096"


def test_a_configured_oidc_provider_quota(lab: Lab) -> None:
    iam = lab.client("iam")
    for index in range(2):
        iam.create_open_id_connect_provider(Url=f"https://oidc.example.com/id/{index}", ClientIDList=["sts.amazonaws.com"])
    with pytest.raises(ClientError) as refused:
        iam.create_open_id_connect_provider(Url="https://oidc.example.com/id/third", ClientIDList=["sts.amazonaws.com"])
    assert error_code(refused) == "LimitExceeded"
