"""STS AssumeRoleWithWebIdentity as AWS does it: JWKS over HTTP, RS256 by kid, claims, trust policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import jwt
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from labkit import netguard
from labkit.errors import AwsError
from labkit.sim import Lab
from labkit.sim.cluster import Cluster
from labkit.tokens import b64url_encode, decode_unverified

from lab_helpers import ACCOUNT, allow, create_role, credentials_of, doc, error_code, unsigned_sts

ROLE = f"arn:aws:iam::{ACCOUNT}:role/irsa-app"


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Cluster:
    cluster = lab.create_cluster("irsa")
    lab.client("iam").create_open_id_connect_provider(Url=cluster.oidc_issuer, ClientIDList=["sts.amazonaws.com"])
    trust = doc({"Effect": "Allow", "Principal": {"Federated": cluster.oidc_provider_arn()},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {f"{cluster.oidc_provider}:sub": "system:serviceaccount:prod:app",
                                                f"{cluster.oidc_provider}:aud": "sts.amazonaws.com"}}})
    create_role(lab, "irsa-app", trust, allow("s3:ListBucket", "arn:aws:s3:::irsa-data"))
    lab.client("s3").create_bucket(Bucket="irsa-data")
    return cluster


def exchange(lab: Lab, token: str, role: str = ROLE, **extra: object) -> dict:
    return unsigned_sts(lab).assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="test", WebIdentityToken=token, **extra)


def test_a_token_of_the_trusted_service_account_yields_a_session(lab: Lab, cluster: Cluster) -> None:
    answer = exchange(lab, cluster.mint_token("prod", "app", pod="app-1"))
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/irsa-app/test"
    assert answer["SubjectFromWebIdentityToken"] == "system:serviceaccount:prod:app"
    assert answer["Audience"] == "sts.amazonaws.com"
    assert answer["Provider"] == cluster.oidc_issuer
    s3 = lab.client("s3", credentials=credentials_of(answer))
    assert s3.list_objects_v2(Bucket="irsa-data")["KeyCount"] == 0


def test_describe_cluster_shows_a_32_hex_issuer_per_cluster(lab: Lab, cluster: Cluster) -> None:
    other = lab.create_cluster("irsa-two")
    issuers = [lab.client("eks").describe_cluster(name=c.name)["cluster"]["identity"]["oidc"]["issuer"]
               for c in (cluster, other)]
    assert issuers == [cluster.oidc_issuer, other.oidc_issuer] and issuers[0] != issuers[1]
    for issuer in issuers:
        hex_id = issuer.rsplit("/", 1)[1]
        assert issuer.startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
        assert len(hex_id) == 32 and hex_id == hex_id.upper() and int(hex_id, 16) >= 0


def test_discovery_and_jwks_are_served_over_http(lab: Lab, cluster: Cluster) -> None:
    base = lab.endpoint_url + cluster.issuer.path
    discovery = json.loads(urllib.request.urlopen(base + "/.well-known/openid-configuration").read())
    assert discovery["issuer"] == cluster.oidc_issuer
    assert discovery["jwks_uri"] == cluster.oidc_issuer + "/keys"
    keys = json.loads(urllib.request.urlopen(base + "/keys").read())["keys"]
    assert [k["kid"] for k in keys] == [cluster.issuer.current_key().kid]
    assert {k["alg"] for k in keys} == {"RS256"}


def test_another_service_account_is_refused_by_the_trust_policy(lab: Lab, cluster: Cluster) -> None:
    with pytest.raises(ClientError) as denied:
        exchange(lab, cluster.mint_token("prod", "other"))
    assert error_code(denied) == "AccessDenied"
    assert "Not authorized to perform sts:AssumeRoleWithWebIdentity" in str(denied.value)


def _forged(cluster: Cluster) -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = decode_unverified(cluster.mint_token("prod", "app")).claims
    return jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": cluster.issuer.current_key().kid})


def _tampered(cluster: Cluster) -> str:
    token = cluster.mint_token("prod", "other")
    header, _, signature = token.split(".")
    claims = decode_unverified(token).claims
    claims["sub"] = "system:serviceaccount:prod:app"
    return ".".join((header, b64url_encode(json.dumps(claims).encode()), signature))


def _unsigned(cluster: Cluster) -> str:
    claims = decode_unverified(cluster.mint_token("prod", "app")).claims
    header = {"alg": "none", "typ": "JWT", "kid": cluster.issuer.current_key().kid}
    return f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(json.dumps(claims).encode())}."


def _hmac_with_public_key(cluster: Cluster) -> str:
    claims = decode_unverified(cluster.mint_token("prod", "app")).claims
    public_pem = cluster.issuer.current_key().private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": cluster.issuer.current_key().kid}
    signing_input = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(json.dumps(claims).encode())}"
    import hashlib
    import hmac

    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(signature)}"


def _other_issuer(lab: Lab) -> str:
    """A token of a cluster whose issuer has no IAM OIDC provider in the role's account."""
    try:
        stranger = lab.cluster("no-provider")
    except AwsError:
        stranger = lab.create_cluster("no-provider")
    return stranger.mint_token("prod", "app")


BAD_TOKENS = {
    "forged": (lambda lab, c: _forged(c), "InvalidIdentityToken"),
    "tampered": (lambda lab, c: _tampered(c), "InvalidIdentityToken"),
    "expired": (lambda lab, c: c.mint_token("prod", "app", expires_in=-600), "ExpiredTokenException"),
    "wrong-audience": (lambda lab, c: c.mint_token("prod", "app", audience="pods.eks.amazonaws.com"),
                       "InvalidIdentityToken"),
    "wrong-issuer": (lambda lab, c: _other_issuer(lab), "InvalidIdentityToken"),
    "unsigned-alg-none": (lambda lab, c: _unsigned(c), "InvalidIdentityToken"),
    "hmac-signed": (lambda lab, c: _hmac_with_public_key(c), "InvalidIdentityToken"),
    "issued-in-the-future": (lambda lab, c: c.mint_token("prod", "app", iat=int(lab.clock.time()) + 3600,
                                                         nbf=int(lab.clock.time()) + 3600), "IDPRejectedClaim"),
    "not-a-jwt": (lambda lab, c: "not-a-token", "InvalidIdentityToken"),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_tokens_never_yield_credentials(lab: Lab, cluster: Cluster, case: str) -> None:
    make, code = BAD_TOKENS[case]
    issued_before = len(lab.sessions)
    with pytest.raises(ClientError) as refused:
        exchange(lab, make(lab, cluster))
    assert error_code(refused) == code
    assert len(lab.sessions) == issued_before


def test_duration_beyond_the_role_maximum_is_refused(lab: Lab, cluster: Cluster) -> None:
    with pytest.raises(ClientError) as refused:
        exchange(lab, cluster.mint_token("prod", "app"), DurationSeconds=7200)
    assert error_code(refused) == "ValidationError"
    assert "MaxSessionDuration" in str(refused.value)


def test_a_malformed_role_arn_is_an_invalid_parameter(lab: Lab, cluster: Cluster) -> None:
    with pytest.raises(ClientError) as refused:
        exchange(lab, cluster.mint_token("prod", "app"), role="arn:aws:iam::1234:role/x")
    assert error_code(refused) == "InvalidParameterValue"


def test_keys_rotate_after_seven_days_and_old_keys_stay_published(lab: Lab, cluster: Cluster) -> None:
    old_token = cluster.mint_token("prod", "app", expires_in=30 * 86400)
    old_kid = cluster.issuer.current_key().kid
    lab.advance(days=7)
    new_kid = cluster.issuer.current_key().kid
    assert new_kid != old_kid
    assert [k["kid"] for k in cluster.issuer.jwks()["keys"]] == [old_kid, new_kid]
    assert decode_unverified(cluster.mint_token("prod", "app")).header["kid"] == new_kid
    for token in (old_token, cluster.mint_token("prod", "app")):
        assert exchange(lab, token)["SubjectFromWebIdentityToken"] == "system:serviceaccount:prod:app"


IRSA_CHILD = """
import boto3
session = boto3.Session()
creds = session.get_credentials()
try:
    print(creds.method, boto3.client("sts").get_caller_identity()["Arn"])
except Exception as error:
    print("ERROR", getattr(error, "response", {}).get("Error", {}).get("Code"), error)
"""


def _run_irsa_child(lab: Lab, token: str, role: str) -> str:
    with tempfile.TemporaryDirectory() as home:
        token_file = Path(home, "token")
        token_file.write_text(token)  # no trailing newline, as the kubelet writes it
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
                "AWS_ENDPOINT_URL": lab.endpoint_url, "AWS_DEFAULT_REGION": "us-east-1"}
        env = netguard.child_environment(base)
        assert not [k for k in env if k.startswith("AWS_") and k not in base]
        done = subprocess.run([sys.executable, "-c", IRSA_CHILD], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_separate_process_gets_the_role_through_the_real_boto3_chain(lab: Lab, cluster: Cluster) -> None:
    out = _run_irsa_child(lab, cluster.mint_token("prod", "app", pod="app-1"), ROLE)
    method, arn = out.split()
    assert method == "assume-role-with-web-identity"
    assert arn.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/irsa-app/")


def test_a_separate_process_with_another_service_accounts_token_is_denied(lab: Lab, cluster: Cluster) -> None:
    out = _run_irsa_child(lab, cluster.mint_token("prod", "intruder", pod="x-1"), ROLE)
    assert out.startswith("ERROR AccessDenied")
