"""STS AssumeRole refusals read as AWS words them: no reason clause, whichever policy refused."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labkit.sim import Lab

TRUST_OTHER = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/someone-else"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def lab():
    with Lab(seed=3) as running:
        yield running


def test_trust_policy_refusal_has_no_reason_clause(lab: Lab):
    iam = lab.client("iam")
    iam.create_role(RoleName="caller", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="caller", PolicyName="may-assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    iam.create_role(RoleName="target", AssumeRolePolicyDocument=json.dumps(TRUST_OTHER))
    session = lab.client("sts").assume_role(RoleArn="arn:aws:iam::111122223333:role/caller", RoleSessionName="s1")
    creds = session["Credentials"]
    from labkit.sim.sessions import Credentials

    sts = lab.client("sts", credentials=Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/target", RoleSessionName="s1")
    message = caught.value.response["Error"]["Message"]
    assert message == ("User: arn:aws:sts::111122223333:assumed-role/caller/s1 is not authorized to perform: "
                       "sts:AssumeRole on resource: arn:aws:iam::111122223333:role/target")
