"""IAM checks moto skips: policy grammar on create_role, size quotas, the OIDC provider quota, https only."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labkit.sim import Lab

from lab_helpers import allow, big_trust, doc, error_code

TRUST = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


def refused(call: object) -> tuple[str, str]:
    with pytest.raises(ClientError) as error:
        call()  # type: ignore[operator]
    return error_code(error), error.value.response["Error"]["Message"]


@pytest.mark.parametrize("trust", [
    "{not json",
    doc({"Effect": "Maybe", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
    doc({**TRUST, "Condition": {"StringEqualz": {"aws:SourceAccount": "1"}}}),
])
def test_create_role_validates_the_trust_policy(lab: Lab, trust: str) -> None:
    code, _ = refused(lambda: lab.client("iam").create_role(RoleName="bad-trust", AssumeRolePolicyDocument=trust))
    assert code == "MalformedPolicyDocument"


def test_trust_policies_over_the_default_quota_are_refused(lab: Lab) -> None:
    iam = lab.client("iam")
    iam.create_role(RoleName="fits", AssumeRolePolicyDocument=big_trust(1800))
    code, message = refused(lambda: iam.create_role(RoleName="too-big", AssumeRolePolicyDocument=big_trust(2100)))
    assert (code, message) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")
    code, _ = refused(lambda: iam.update_assume_role_policy(RoleName="fits", PolicyDocument=big_trust(2100)))
    assert code == "LimitExceeded"


def test_whitespace_does_not_count_towards_the_quota(lab: Lab) -> None:
    pretty = json.dumps(json.loads(big_trust(1800)), indent=8)
    assert len(pretty) > 2048
    lab.client("iam").create_role(RoleName="pretty", AssumeRolePolicyDocument=pretty)


def test_inline_and_managed_policy_sizes(lab: Lab) -> None:
    iam = lab.client("iam")
    iam.create_role(RoleName="inline-heavy", AssumeRolePolicyDocument=doc(TRUST))
    resources = [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(400)]
    iam.put_role_policy(RoleName="inline-heavy", PolicyName="one", PolicyDocument=doc(allow("s3:GetObject", resources[:150])))
    code, message = refused(lambda: iam.put_role_policy(RoleName="inline-heavy", PolicyName="two",
                                                         PolicyDocument=doc(allow("s3:GetObject", resources[150:]))))
    assert code == "LimitExceeded" and "10240" in message
    code, message = refused(lambda: iam.create_policy(PolicyName="huge", PolicyDocument=doc(allow("s3:GetObject", resources[:250]))))
    assert (code, message) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
    code, _ = refused(lambda: iam.put_role_policy(RoleName="inline-heavy", PolicyName="bad",
                                                   PolicyDocument=doc({"Effect": "Allow", "Action": "s3:GetObject"})))
    assert code == "MalformedPolicyDocument"


def test_oidc_provider_urls_must_be_https(lab: Lab) -> None:
    code, _ = refused(lambda: lab.client("iam").create_open_id_connect_provider(
        Url="http://oidc.example.com/id/ABC", ClientIDList=["sts.amazonaws.com"]))
    assert code == "InvalidInput"


def test_the_oidc_provider_quota_is_enforced_per_account(lab: Lab) -> None:
    iam = lab.client("iam")
    for index in range(100):
        iam.create_open_id_connect_provider(Url=f"https://oidc.example.com/id/{index:032X}", ClientIDList=["sts.amazonaws.com"])
    code, message = refused(lambda: iam.create_open_id_connect_provider(
        Url="https://oidc.example.com/id/ONE-TOO-MANY", ClientIDList=["sts.amazonaws.com"]))
    assert (code, message) == ("LimitExceeded", "Cannot exceed quota for OpenIdIdpsPerAccount: 100")
    lab.client("iam", "444455556666").create_open_id_connect_provider(
        Url="https://oidc.example.com/id/OTHER-ACCOUNT", ClientIDList=["sts.amazonaws.com"])
