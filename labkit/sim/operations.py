"""Which IAM action, resource ARN and request context each service operation needs (table-driven).

`accesses(call, account_id=..., region=...)` returns every (action, resource) pair AWS would authorize for one
call; an empty tuple means the call needs no permission (sts:GetCallerIdentity, unsigned web identity).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from labkit.sim.protocols import Call

ContextValue = str | list[str]


@dataclass(frozen=True)
class Access:
    """One authorization question: may the caller do `action` on `resource`, with this extra context?"""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    resource_account: str | None = None


@dataclass(frozen=True)
class Where:
    """The account and region a call runs in."""

    account_id: str
    region: str


_IAM_PREFIX = {"eks-auth": "eks-auth", "secretsmanager": "secretsmanager"}
_NO_PERMISSION = {("sts", "GetCallerIdentity"), ("sts", "AssumeRoleWithWebIdentity"),
                  ("sts", "AssumeRoleWithSAML"), ("sts", "GetSessionToken")}


def accesses(call: Call, *, account_id: str, region: str) -> tuple[Access, ...]:
    """The authorization questions for `call` made from `account_id` in `region`."""
    if (call.service, call.operation) in _NO_PERMISSION or call.operation is None:
        return ()
    resolver = _RESOLVERS.get(call.service)
    where = Where(account_id, region)
    if resolver is None:
        return (Access(_action(call.service, call.operation), "*"),)
    return tuple(resolver(call, where))


def _action(service: str, operation: str) -> str:
    return f"{_IAM_PREFIX.get(service, service)}:{operation}"


def _one(action: str, resource: str, **context: ContextValue) -> list[Access]:
    return [Access(action, resource, context)]


# --- S3 -----------------------------------------------------------------------------------------------------
_S3_ACTIONS = {
    "ListBuckets": "s3:ListAllMyBuckets", "ListObjects": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket", "HeadObject": "s3:GetObject", "DeleteObjects": "s3:DeleteObject",
    "ListObjectVersions": "s3:ListBucketVersions", "GetObjectVersion": "s3:GetObjectVersion",
    "CopyObject": "s3:PutObject", "UploadPart": "s3:PutObject", "CreateMultipartUpload": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject", "AbortMultipartUpload": "s3:AbortMultipartUpload",
}


def s3_bucket_arn(bucket: str) -> str:
    """`arn:aws:s3:::<bucket>`."""
    return f"arn:aws:s3:::{bucket}"


def _s3(call: Call, where: Where) -> list[Access]:
    params = call.params
    action = _S3_ACTIONS.get(call.operation or "", f"s3:{call.operation}")
    bucket = params.get("Bucket")
    if not bucket:
        return _one(action, "*")
    context: dict[str, ContextValue] = {}
    if action == "s3:ListBucket":
        context = {f"s3:{k}": str(params[k]) for k in ("prefix", "delimiter", "max-keys") if k in params}
        context.setdefault("s3:prefix", str(params.get("prefix", "")))
    key = params.get("Key")
    resource = f"{s3_bucket_arn(bucket)}/{key}" if key and action != "s3:ListBucket" else s3_bucket_arn(bucket)
    return [Access(action, resource, context, resource_account=s3_bucket_owner(bucket))]


def s3_bucket_owner(bucket: str) -> str | None:
    """The account that owns a bucket, if it exists."""
    from moto.s3.models import s3_backends

    owner = s3_backends.bucket_accounts.get(bucket)
    return owner[1] if owner else None


# --- DynamoDB, SSM, Secrets Manager, SNS, Kinesis -------------------------------------------------------------
def _dynamodb(call: Call, where: Where) -> list[Access]:
    action = _action("dynamodb", call.operation or "")
    tables = list(call.params.get("RequestItems", {})) or [call.params.get("TableName")]
    arn = "arn:aws:dynamodb:{r}:{a}:table/{t}"
    return [Access(action, arn.format(r=where.region, a=where.account_id, t=t) if t else "*") for t in tables]


def ssm_parameter_arn(name: str, where: Where) -> str:
    """The ARN of a parameter given by name (`/app/x` or `x`) or already by ARN."""
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{where.region}:{where.account_id}:parameter/{name.lstrip('/')}"


def _ssm(call: Call, where: Where) -> list[Access]:
    action = _action("ssm", call.operation or "")
    params = call.params
    names = params.get("Names") or [params.get("Name") or params.get("Path")]
    return [Access(action, ssm_parameter_arn(n, where) if n else "*") for n in names]


def _secretsmanager(call: Call, where: Where) -> list[Access]:
    action = _action("secretsmanager", call.operation or "")
    secret = call.params.get("SecretId") or call.params.get("Name")
    return _one(action, secret_arn(secret, where) if secret else "*")


def secret_arn(secret: str, where: Where) -> str:
    """The full ARN (with its random suffix) of a secret given by name or ARN."""
    if secret.startswith("arn:"):
        return secret
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[where.account_id][where.region]
    stored = backend.secrets.get(secret) if secret in backend.secrets else None
    if stored is not None:
        return stored.arn
    return f"arn:aws:secretsmanager:{where.region}:{where.account_id}:secret:{secret}"


def _sns(call: Call, where: Where) -> list[Access]:
    params = call.params
    topic = params.get("TopicArn") or params.get("TargetArn")
    if call.operation == "CreateTopic":
        topic = f"arn:aws:sns:{where.region}:{where.account_id}:{params.get('Name', '')}"
    return _one(_action("sns", call.operation or ""), topic or "*")


def _kinesis(call: Call, where: Where) -> list[Access]:
    params = call.params
    stream = params.get("StreamARN")
    if not stream and params.get("StreamName"):
        stream = f"arn:aws:kinesis:{where.region}:{where.account_id}:stream/{params['StreamName']}"
    return _one(_action("kinesis", call.operation or ""), stream or "*")


# --- STS, IAM ---------------------------------------------------------------------------------------------------
def _sts(call: Call, where: Where) -> list[Access]:
    params = call.params
    if call.operation != "AssumeRole":
        return _one(_action("sts", call.operation or ""), "*")
    role_arn = params.get("RoleArn", "")
    found = [Access("sts:AssumeRole", role_arn)]
    tags = session_tags_from_query(params)
    if tags:
        found.append(Access("sts:TagSession", role_arn, request_tag_context(tags)))
    if params.get("SourceIdentity"):
        found.append(Access("sts:SetSourceIdentity", role_arn, {"sts:SourceIdentity": params["SourceIdentity"]}))
    return found


def session_tags_from_query(params: Mapping[str, str]) -> dict[str, str]:
    """`Tags.member.N.Key/Value` query parameters as a dict."""
    tags = {}
    index = 1
    while f"Tags.member.{index}.Key" in params:
        tags[params[f"Tags.member.{index}.Key"]] = params.get(f"Tags.member.{index}.Value", "")
        index += 1
    return tags


def request_tag_context(tags: Mapping[str, str]) -> dict[str, ContextValue]:
    """aws:RequestTag/<key> for each tag, and aws:TagKeys."""
    context: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    context["aws:TagKeys"] = list(tags)
    return context


def _iam(call: Call, where: Where) -> list[Access]:
    params = call.params
    action = _action("iam", call.operation or "")
    iam = f"arn:aws:iam::{where.account_id}:"
    if params.get("OpenIDConnectProviderArn") or params.get("PolicyArn"):
        return _one(action, params.get("OpenIDConnectProviderArn") or params["PolicyArn"])
    if params.get("RoleName"):
        return _one(action, f"{iam}role{params.get('Path', '/')}{params['RoleName']}")
    if params.get("UserName"):
        return _one(action, f"{iam}user/{params['UserName']}")
    if call.operation == "CreateOpenIDConnectProvider":
        return _one(action, f"{iam}oidc-provider/{params.get('Url', '').removeprefix('https://')}")
    if call.operation == "CreatePolicy":
        return _one(action, f"{iam}policy{params.get('Path', '/')}{params.get('PolicyName', '')}")
    return _one(action, "*")


# --- EKS, EKS Auth ---------------------------------------------------------------------------------------------
def eks_cluster_arn(cluster: str, where: Where) -> str:
    """`arn:aws:eks:<region>:<acct>:cluster/<name>`."""
    return f"arn:aws:eks:{where.region}:{where.account_id}:cluster/{cluster}"


def _eks(call: Call, where: Where) -> list[Access]:
    params = call.params
    action = _action("eks", call.operation or "")
    cluster = params.get("name")
    if not cluster:
        return _one(action, "*")
    if params.get("associationId"):
        arn = f"arn:aws:eks:{where.region}:{where.account_id}:podidentityassociation/{cluster}/{params['associationId']}"
        return _one(action, arn)
    found = _one(action, eks_cluster_arn(cluster, where))
    if call.operation == "CreatePodIdentityAssociation" and params.get("roleArn"):
        found.append(Access("iam:PassRole", params["roleArn"], {"iam:PassedToService": "pods.eks.amazonaws.com"}))
    return found


def _eks_auth(call: Call, where: Where) -> list[Access]:
    return _one("eks-auth:AssumeRoleForPodIdentity", eks_cluster_arn(call.params.get("clusterName", ""), where))


_RESOLVERS: dict[str, Callable[[Call, Where], list[Access]]] = {
    "s3": _s3, "dynamodb": _dynamodb, "ssm": _ssm, "secretsmanager": _secretsmanager, "sns": _sns,
    "kinesis": _kinesis, "sts": _sts, "iam": _iam, "eks": _eks, "eks-auth": _eks_auth,
}
