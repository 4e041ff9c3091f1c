"""IAM refuses bad policy documents with MalformedPolicyDocument in IAM's own words."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labkit.sim import Lab

EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def iam():
    with Lab(seed=6) as lab:
        client = lab.client("iam")
        client.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        yield client


def _statement(**fields: object) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **fields}]})


def _refusal(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_statement(Action="s3:GetObject"), "Policy statement must contain resources."),
        (_statement(Resource="*"), "Policy statement must contain actions."),
        (_statement(Action="GetObject", Resource="*"),
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (_statement(Action="s3:GetObject", Resource="bucket/key"), 'Resource bucket/key must be in ARN format or "*".'),
        (_statement(Action="s3:GetObject", Resource="*", Principal="*"), "Policy document should not specify a principal."),
        (_statement(Action="s3:GetObject", Resource="*", Condition={"StringEqualz": {"a:b": "c"}}), "Syntax errors in policy."),
    ],
)
def test_inline_policy_refusals(iam, document: str, message: str):
    assert _refusal(iam.put_role_policy, RoleName="app", PolicyName="p", PolicyDocument=document) == (
        "MalformedPolicyDocument", message)


def test_trust_policy_with_resource_is_refused_as_iam_words_it(iam):
    trust = _statement(Principal={"Service": "pods.eks.amazonaws.com"}, Action="sts:AssumeRole", Resource="*")
    assert _refusal(iam.create_role, RoleName="broken", AssumeRolePolicyDocument=trust) == (
        "MalformedPolicyDocument", "Has prohibited field Resource.")


def test_invalid_principal_names_the_principal(iam):
    trust = _statement(Principal={"AWS": "arn:aws:iam::111122223333:group/admins"}, Action="sts:AssumeRole")
    assert _refusal(iam.update_assume_role_policy, RoleName="app", PolicyDocument=trust) == (
        "MalformedPolicyDocument", 'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:group/admins"')
