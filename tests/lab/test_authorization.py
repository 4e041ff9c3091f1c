"""Authorization of role sessions by labkit.policy: session tags, chaining, boundaries, resource policies."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labkit.sim import Lab
from labkit.sim.sessions import Credentials

from lab_helpers import ACCOUNT, allow, create_role, credentials_of, deny, doc, error_code

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
TRUST_ROOT = doc({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"})
TRUST_ROOT_WITH_TAGS = doc({"Effect": "Allow", "Principal": {"AWS": ROOT},
                            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]})


@pytest.fixture(scope="module")
def buckets(lab: Lab) -> None:
    s3 = lab.client("s3")
    for bucket in ("team-red", "team-blue", "shared-data"):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="readme.txt", Body=b"hello")
        s3.put_object(Bucket=bucket, Key="private/secret.txt", Body=b"secret")


def assume(lab: Lab, role_arn: str, name: str = "session", credentials: Credentials | None = None, **extra: object) -> Credentials:
    sts = lab.client("sts", credentials=credentials)
    return credentials_of(sts.assume_role(RoleArn=role_arn, RoleSessionName=name, **extra))


def get(lab: Lab, creds: Credentials, bucket: str, key: str = "readme.txt") -> bytes:
    return lab.client("s3", credentials=creds).get_object(Bucket=bucket, Key=key)["Body"].read()


def denied_message(call: object) -> tuple[str, str]:
    with pytest.raises(ClientError) as denied:
        call()  # type: ignore[operator]
    return error_code(denied), denied.value.response["Error"]["Message"]


ABAC_READ = allow("s3:GetObject", "arn:aws:s3:::team-${aws:PrincipalTag/team}/*")


def test_session_tags_need_tag_session_in_the_trust_policy(lab: Lab, buckets: None) -> None:
    role = create_role(lab, "no-tagging", TRUST_ROOT, ABAC_READ)
    code, message = denied_message(lambda: assume(lab, role, Tags=[{"Key": "team", "Value": "red"}]))
    assert code == "AccessDenied"
    assert "sts:TagSession" in message


def test_principal_tags_from_session_tags_drive_abac(lab: Lab, buckets: None) -> None:
    role = create_role(lab, "abac-reader", TRUST_ROOT_WITH_TAGS, ABAC_READ)
    red = assume(lab, role, "red", Tags=[{"Key": "team", "Value": "red"}])
    assert get(lab, red, "team-red") == b"hello"
    code, message = denied_message(lambda: get(lab, red, "team-blue"))
    assert code == "AccessDenied"
    assert message == (f'User: arn:aws:sts::{ACCOUNT}:assumed-role/abac-reader/red is not authorized to perform: '
                       's3:GetObject on resource: "arn:aws:s3:::team-blue/readme.txt" because no identity-based '
                       'policy allows the s3:GetObject action')


def test_transitive_tags_follow_role_chaining_and_chaining_is_capped_at_one_hour(lab: Lab, buckets: None) -> None:
    first = create_role(lab, "first-hop", TRUST_ROOT_WITH_TAGS, allow(["sts:AssumeRole", "sts:TagSession"]))
    trust_first = doc({"Effect": "Allow", "Principal": {"AWS": first}, "Action": ["sts:AssumeRole", "sts:TagSession"]})
    second = create_role(lab, "second-hop", trust_first, ABAC_READ, MaxSessionDuration=43200)
    hop = assume(lab, first, "hop", Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"])
    chained = assume(lab, second, "chained", credentials=hop)
    assert get(lab, chained, "team-blue") == b"hello"
    code, message = denied_message(lambda: assume(lab, second, "long", credentials=hop, DurationSeconds=7200))
    assert code == "ValidationError" and "role chaining" in message
    assert lab.sessions.get(chained.access_key_id).chained


def test_explicit_deny_in_an_identity_policy_is_named(lab: Lab, buckets: None) -> None:
    role = create_role(lab, "denied-private", TRUST_ROOT, allow("s3:GetObject", "arn:aws:s3:::shared-data/*"),
                       deny("s3:GetObject", "arn:aws:s3:::shared-data/private/*"))
    creds = assume(lab, role)
    assert get(lab, creds, "shared-data") == b"hello"
    code, message = denied_message(lambda: get(lab, creds, "shared-data", "private/secret.txt"))
    assert code == "AccessDenied" and message.endswith("with an explicit deny in an identity-based policy")


def test_a_permissions_boundary_limits_the_role(lab: Lab, buckets: None) -> None:
    iam = lab.client("iam")
    boundary = iam.create_policy(PolicyName="list-only", PolicyDocument=doc(allow("s3:ListBucket")))["Policy"]["Arn"]
    role = create_role(lab, "bounded", TRUST_ROOT, allow("s3:*"), PermissionsBoundary=boundary)
    creds = assume(lab, role)
    assert lab.client("s3", credentials=creds).list_objects_v2(Bucket="shared-data")["KeyCount"] == 2
    code, message = denied_message(lambda: get(lab, creds, "shared-data"))
    assert message.endswith("because no permissions boundary allows the s3:GetObject action")


def test_a_session_policy_limits_the_session(lab: Lab, buckets: None) -> None:
    role = create_role(lab, "broad", TRUST_ROOT, allow("s3:*"))
    creds = assume(lab, role, Policy=doc(allow("s3:ListBucket")))
    assert get(lab, assume(lab, role), "shared-data") == b"hello"
    code, message = denied_message(lambda: get(lab, creds, "shared-data"))
    assert message.endswith("because no session policy allows the s3:GetObject action")


def test_a_bucket_policy_deny_applies_to_the_session(lab: Lab, buckets: None) -> None:
    role = create_role(lab, "bucket-victim", TRUST_ROOT, allow("s3:*"))
    lab.client("s3").put_bucket_policy(Bucket="team-red", Policy=doc(
        {"Effect": "Deny", "Principal": {"AWS": role}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team-red/*"}))
    try:
        code, message = denied_message(lambda: get(lab, assume(lab, role), "team-red"))
        assert message.endswith("with an explicit deny in a resource-based policy")
    finally:
        lab.client("s3").delete_bucket_policy(Bucket="team-red")


def test_s3_prefix_conditions_on_list_bucket(lab: Lab, buckets: None) -> None:
    role = create_role(lab, "prefix-lister", TRUST_ROOT, allow("s3:ListBucket", "arn:aws:s3:::shared-data",
                       Condition={"StringLike": {"s3:prefix": ["private/*"]}}))
    s3 = lab.client("s3", credentials=assume(lab, role))
    assert s3.list_objects_v2(Bucket="shared-data", Prefix="private/")["KeyCount"] == 1
    with pytest.raises(ClientError) as denied:
        s3.list_objects_v2(Bucket="shared-data")
    assert error_code(denied) == "AccessDenied"


def test_source_identity_is_in_the_context(lab: Lab, buckets: None) -> None:
    role = create_role(lab, "audited", TRUST_ROOT_WITH_TAGS, allow("s3:GetObject", "*",
                       Condition={"StringEquals": {"aws:SourceIdentity": "alice"}}))
    assert get(lab, assume(lab, role, SourceIdentity="alice"), "shared-data") == b"hello"
    code, _ = denied_message(lambda: get(lab, assume(lab, role, SourceIdentity="bob"), "shared-data"))
    assert code == "AccessDenied"


def test_json_services_answer_access_denied_exception(lab: Lab) -> None:
    lab.client("dynamodb").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
    role = create_role(lab, "ddb-reader", TRUST_ROOT, allow("dynamodb:GetItem", table))
    ddb = lab.client("dynamodb", credentials=assume(lab, role))
    assert "Item" not in ddb.get_item(TableName="orders", Key={"id": {"S": "1"}})
    code, message = denied_message(lambda: ddb.put_item(TableName="orders", Item={"id": {"S": "1"}}))
    assert code == "AccessDeniedException"
    assert message.endswith(f"on resource: {table} because no identity-based policy allows the dynamodb:PutItem action")


def test_ssm_secrets_sns_and_kinesis_map_to_their_resources(lab: Lab) -> None:
    lab.client("ssm").put_parameter(Name="/app/db-host", Value="db.internal", Type="String")
    lab.client("ssm").put_parameter(Name="/other/x", Value="x", Type="String")
    secret = lab.client("secretsmanager").create_secret(Name="app/db", SecretString="pw")["ARN"]
    topic = lab.client("sns").create_topic(Name="events")["TopicArn"]
    lab.client("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    role = create_role(lab, "app-reader", TRUST_ROOT,
                       allow("ssm:GetParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/*"),
                       allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/*"),
                       allow("sns:Publish", topic),
                       allow("kinesis:DescribeStreamSummary", f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"))
    creds = assume(lab, role)
    assert lab.client("ssm", credentials=creds).get_parameter(Name="/app/db-host")["Parameter"]["Value"] == "db.internal"
    assert lab.client("secretsmanager", credentials=creds).get_secret_value(SecretId="app/db")["ARN"] == secret
    assert lab.client("sns", credentials=creds).publish(TopicArn=topic, Message="hi")["MessageId"]
    assert lab.client("kinesis", credentials=creds).describe_stream_summary(StreamName="clicks")
    for call, code in (
        (lambda: lab.client("ssm", credentials=creds).get_parameter(Name="/other/x"), "AccessDeniedException"),
        (lambda: lab.client("sns", credentials=creds).list_topics(), "AuthorizationError"),
        (lambda: lab.client("kinesis", credentials=creds).list_streams(), "AccessDeniedException"),
        (lambda: lab.client("secretsmanager", credentials=creds).list_secrets(), "AccessDeniedException"),
    ):
        assert denied_message(call)[0] == code


def test_iam_calls_of_a_session_are_authorized_too(lab: Lab) -> None:
    role = create_role(lab, "no-iam", TRUST_ROOT, allow("s3:ListAllMyBuckets"))
    code, message = denied_message(lambda: lab.client("iam", credentials=assume(lab, role)).list_roles())
    assert code == "AccessDenied" and "iam:ListRoles" in message


def test_assume_role_of_a_missing_role_is_access_denied(lab: Lab) -> None:
    code, _ = denied_message(lambda: assume(lab, f"arn:aws:iam::{ACCOUNT}:role/does-not-exist"))
    assert code == "AccessDenied"
    assert json.loads(doc(allow("s3:GetObject")))["Statement"][0]["Effect"] == "Allow"


def test_iam_users_sign_with_their_access_keys_and_get_aws_username(lab: Lab, buckets: None) -> None:
    iam = lab.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="home", PolicyDocument=doc(
        allow("s3:GetObject", "arn:aws:s3:::shared-data/${aws:username}/*"), allow("sts:AssumeRole")))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    assert lab.client("sts", credentials=alice).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    lab.client("s3").put_object(Bucket="shared-data", Key="alice/notes.txt", Body=b"mine")
    assert get(lab, alice, "shared-data", "alice/notes.txt") == b"mine"
    code, message = denied_message(lambda: get(lab, alice, "shared-data"))
    assert message.startswith(f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized")
    role = create_role(lab, "alice-only", doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                                              "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}}))
    assert lab.client("sts", credentials=assume(lab, role, credentials=alice)).get_caller_identity()["Arn"].endswith(
        "assumed-role/alice-only/session")
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as refused:
        lab.client("sts", credentials=alice).get_caller_identity()
    assert error_code(refused) == "InvalidClientTokenId"


def test_presigned_urls_are_verified_and_authorized(lab: Lab, buckets: None) -> None:
    import time
    import urllib.error
    import urllib.request

    role = create_role(lab, "presigner", TRUST_ROOT, allow("s3:GetObject", "arn:aws:s3:::shared-data/readme.txt"))
    s3 = lab.client("s3", credentials=assume(lab, role))
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "shared-data", "Key": "readme.txt"})
    assert urllib.request.urlopen(url).read() == b"hello"
    answers = {}
    for case, bad_url in {
        "tampered": url.replace("readme.txt", "private/secret.txt"),
        "not allowed": s3.generate_presigned_url("get_object", Params={"Bucket": "shared-data", "Key": "private/secret.txt"}),
        "expired": s3.generate_presigned_url("get_object", Params={"Bucket": "shared-data", "Key": "readme.txt"},
                                             ExpiresIn=1),
    }.items():
        if case == "expired":
            time.sleep(2)  # presigned URLs expire on the host clock, which botocore signs with
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad_url)
        answers[case] = refused.value.read().decode()
    assert "<Code>SignatureDoesNotMatch</Code>" in answers["tampered"]
    assert "<Code>AccessDenied</Code>" in answers["not allowed"] and "s3:GetObject" in answers["not allowed"]
    assert "Request has expired" in answers["expired"]
