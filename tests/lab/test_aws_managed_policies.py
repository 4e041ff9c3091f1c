"""AWS managed policies exist in every account of the lab, as in AWS, and take part in authorization."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labkit.sim import Lab

EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


@pytest.fixture(scope="module")
def lab():
    with Lab(seed=4) as running:
        yield running


def test_attach_an_aws_managed_policy_in_any_account(lab: Lab):
    for account in (lab.account_id, "444455556666"):
        iam = lab.client("iam", account_id=account)
        iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        iam.attach_role_policy(RoleName="reader", PolicyArn=READ_ONLY)
        attached = iam.list_attached_role_policies(RoleName="reader")["AttachedPolicies"]
        assert attached == [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": READ_ONLY}]


def test_unknown_aws_managed_policy_is_no_such_entity(lab: Lab):
    with pytest.raises(ClientError) as caught:
        lab.client("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAtAll")
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"


def test_the_attached_managed_policy_authorizes(lab: Lab):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="managed-policy-bucket")
    s3.put_object(Bucket="managed-policy-bucket", Key="k", Body=b"v")
    credentials = lab.instance_credentials(f"arn:aws:iam::{lab.account_id}:role/reader", "i-0123456789abcdef0")
    reader = lab.client("s3", credentials=credentials)
    assert reader.get_object(Bucket="managed-policy-bucket", Key="k")["Body"].read() == b"v"
    with pytest.raises(ClientError) as caught:
        reader.put_object(Bucket="managed-policy-bucket", Key="k", Body=b"w")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
