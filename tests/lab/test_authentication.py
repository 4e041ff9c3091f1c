"""Authentication: SigV4 against the lab's credentials, with each service's own error codes."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from labkit.sim import Lab
from labkit.sim.sessions import Credentials

from lab_helpers import ACCOUNT, OTHER_ACCOUNT, allow, create_role, credentials_of, doc, error_code


def _client(lab: Lab, service: str, key: str, secret: str, token: str | None = None) -> object:
    return boto3.client(service, region_name="us-east-1", endpoint_url=lab.endpoint_url, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)


@pytest.fixture(scope="module")
def session(lab: Lab) -> Credentials:
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
    role = create_role(lab, "reader", trust, allow(["dynamodb:ListTables", "s3:ListAllMyBuckets"]))
    return credentials_of(lab.client("sts").assume_role(RoleArn=role, RoleSessionName="reader"))


def test_admin_credentials_act_as_the_account_root(lab: Lab) -> None:
    identity = lab.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and identity["Account"] == ACCOUNT
    assert lab.client("sts", OTHER_ACCOUNT).get_caller_identity()["Account"] == OTHER_ACCOUNT


def test_accounts_keep_their_resources_apart(lab: Lab) -> None:
    lab.client("iam").create_role(RoleName="only-in-a", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    names = {r["RoleName"] for r in lab.client("iam", OTHER_ACCOUNT).list_roles()["Roles"]}
    assert "only-in-a" not in names


@pytest.mark.parametrize(("service", "call", "code"), [
    ("sts", "get_caller_identity", "InvalidClientTokenId"),
    ("s3", "list_buckets", "InvalidAccessKeyId"),
    ("dynamodb", "list_tables", "UnrecognizedClientException"),
])
def test_an_unknown_access_key_is_refused(lab: Lab, service: str, call: str, code: str) -> None:
    with pytest.raises(ClientError) as refused:
        getattr(_client(lab, service, "AKIAUNKNOWNKEY000000", "secret"), call)()
    assert error_code(refused) == code


@pytest.mark.parametrize(("service", "call", "code"), [
    ("sts", "get_caller_identity", "SignatureDoesNotMatch"),
    ("s3", "list_buckets", "SignatureDoesNotMatch"),
    ("dynamodb", "list_tables", "InvalidSignatureException"),
])
def test_a_wrong_secret_is_a_signature_mismatch(lab: Lab, service: str, call: str, code: str) -> None:
    admin = lab.account(ACCOUNT).admin
    with pytest.raises(ClientError) as refused:
        getattr(_client(lab, service, admin.access_key_id, "not-the-secret"), call)()
    assert error_code(refused) == code


def test_a_session_key_without_its_token_is_invalid(lab: Lab, session: Credentials) -> None:
    with pytest.raises(ClientError) as refused:
        _client(lab, "sts", session.access_key_id, session.secret_access_key).get_caller_identity()
    assert error_code(refused) == "InvalidClientTokenId"


def test_an_unsigned_call_is_refused_except_web_identity(lab: Lab) -> None:
    from lab_helpers import unsigned_sts

    with pytest.raises(ClientError) as refused:
        unsigned_sts(lab).get_caller_identity()
    assert error_code(refused) == "MissingAuthenticationToken"


def test_the_lab_does_not_expose_motos_control_api(lab: Lab) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(lab.endpoint_url + "/moto-api/reset", method="POST"))
    assert refused.value.code == 404


# Runs last in this module: it moves the lab clock past the session's end.
@pytest.mark.parametrize(("service", "call", "code"), [
    ("sts", "get_caller_identity", "ExpiredToken"),
    ("s3", "list_buckets", "ExpiredToken"),
    ("dynamodb", "list_tables", "ExpiredTokenException"),
])
def test_z_an_expired_session_is_refused_on_the_lab_clock(lab: Lab, session: Credentials, service: str,
                                                            call: str, code: str) -> None:
    client = lab.client(service, credentials=session)
    if service == "sts":
        getattr(client, call)()  # still valid before the clock moves
        lab.advance(hours=1)
    with pytest.raises(ClientError) as refused:
        getattr(client, call)()
    assert error_code(refused) == code
