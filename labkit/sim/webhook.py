"""The EKS Pod Identity Webhook as a pure function: what the mutating webhook does to a pod at admission.

Built from the behaviour of ``aws/amazon-eks-pod-identity-webhook`` (``../shared/webhook-agent-spec.md`` parts A
and C). Two modes:

* IRSA (web identity): the pod's ServiceAccount carries ``<prefix>/role-arn``; the webhook adds a projected
  token volume ``aws-iam-token`` and ``AWS_ROLE_ARN`` / ``AWS_WEB_IDENTITY_TOKEN_FILE`` to each container.
* Pod Identity (container credentials): the ServiceAccount is in the webhook's identities set (EKS writes it
  from the cluster's Pod Identity associations); the webhook labels the pod, adds the
  ``eks-pod-identity-token`` volume (audience ``pods.eks.amazonaws.com``) and ``AWS_CONTAINER_CREDENTIALS_FULL_URI``
  / ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``. This mode wins over a ``role-arn`` annotation.

What is *not* the webhook's job, and so not done here:

* Defaulting ``spec.serviceAccountName``: the API server's built-in ServiceAccount admission plugin runs before
  mutating webhooks and fills an empty name with ``"default"``. The lab's cluster does that before calling
  `mutate_pod`; a pod that still has no name is left alone here, as the real webhook would (no SA matches).
* The opt-out label ``eks.amazonaws.com/skip-pod-identity-webhook``: it lives in the webhook registration's
  objectSelector, so the cluster decides not to call the webhook at all.
* The ConfigMap role source (``--watch-config-map``), ``--compose-role-arn`` and the lookup grace period.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGENT_FULL_URI_IPV4",
    "AGENT_FULL_URI_IPV6",
    "POD_IDENTITY_LABEL",
    "WebhookConfig",
    "admission_review",
    "json_patch",
    "mutate_pod",
    "webhook_patch",
]

Manifest = Mapping[str, Any]
PatchOp = dict[str, Any]

DEFAULT_TOKEN_EXPIRATION = 86400
MIN_TOKEN_EXPIRATION = 600  # kube-apiserver's minimum for projected tokens
JITTER_MIN_EXPIRATION = 79200  # lower end of the Pod Identity jitter (22 h)
AGENT_FULL_URI_IPV4 = "http://169.254.170.23/v1/credentials"
AGENT_FULL_URI_IPV6 = "http://[fd00:ec2::23]/v1/credentials"  # EKS's setting on IPv6 clusters, not in the OSS repo
POD_IDENTITY_LABEL = "eks.amazonaws.com/pod-identity"  # fixed: not affected by --annotation-prefix
IRSA_VOLUME_NAME = "aws-iam-token"
IRSA_TOKEN_PATH = "token"

ROLE_ARN_ENV = "AWS_ROLE_ARN"
TOKEN_FILE_ENV = "AWS_WEB_IDENTITY_TOKEN_FILE"
FULL_URI_ENV = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
AUTH_TOKEN_FILE_ENV = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
REGION_ENVS = ("AWS_DEFAULT_REGION", "AWS_REGION")
STS_ENV = "AWS_STS_REGIONAL_ENDPOINTS"
WINDOWS_OS_SELECTORS = ("kubernetes.io/os", "beta.kubernetes.io/os")


def uniform_jitter() -> int:
    """The real webhook's jitter for the default expiration: a uniform integer in [79200, 86400]."""
    return random.randint(JITTER_MIN_EXPIRATION, DEFAULT_TOKEN_EXPIRATION)


@dataclass(frozen=True)
class WebhookConfig:
    """The webhook's command-line flags (defaults as in the real binary), plus the jitter source."""

    region: str = ""  # --aws-default-region; empty means no region variables
    sts_regional_endpoints: bool = False  # --sts-regional-endpoint
    token_audience: str = "sts.amazonaws.com"  # --token-audience
    token_expiration: int = DEFAULT_TOKEN_EXPIRATION  # --token-expiration (raised to 600 at startup)
    token_mount_path: str = "/var/run/secrets/eks.amazonaws.com/serviceaccount"  # --token-mount-path
    annotation_prefix: str = "eks.amazonaws.com"  # --annotation-prefix
    container_credentials_audience: str = "pods.eks.amazonaws.com"
    container_credentials_token_mount_path: str = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
    container_credentials_token_volume_name: str = "eks-pod-identity-token"
    container_credentials_token_path: str = "eks-pod-identity-token"
    container_credentials_full_uri: str = AGENT_FULL_URI_IPV4
    jitter: Callable[[], int] = field(default=uniform_jitter, repr=False)

    def __post_init__(self) -> None:
        # The binary raises a too-short --token-expiration at startup; there is no upper clamp.
        if self.token_expiration < MIN_TOKEN_EXPIRATION:
            object.__setattr__(self, "token_expiration", MIN_TOKEN_EXPIRATION)

    @classmethod
    def for_ipv6_cluster(cls, **flags: Any) -> WebhookConfig:
        """The configuration EKS uses on an IPv6 cluster: FULL_URI points at the agent's IPv6 address."""
        return cls(container_credentials_full_uri=AGENT_FULL_URI_IPV6, **flags)

    def annotation(self, name: str) -> str:
        """The full annotation key, e.g. ``eks.amazonaws.com/role-arn``."""
        return f"{self.annotation_prefix}/{name}"


@dataclass(frozen=True)
class _PatchPlan:
    """What the webhook decided for one pod: mode, token volume and per-container settings."""

    role_arn: str | None  # None in Pod Identity mode
    full_uri: str | None  # None in IRSA mode
    audience: str
    expiration: int
    regional_sts: bool
    mount_path: str
    volume_name: str
    token_path: str
    skipped: frozenset[str]


def mutate_pod(
    pod: Manifest,
    service_account: Manifest | None,
    *,
    config: WebhookConfig = WebhookConfig(),
    pod_identity: bool | None = None,
) -> dict[str, Any]:
    """The pod as the webhook leaves it (a new dict; the inputs are not changed).

    ``service_account`` is the pod's ServiceAccount as the webhook's cache sees it (None: not in the cache).
    ``pod_identity`` is True when that ServiceAccount is in the webhook's identities set, i.e. the cluster has a
    Pod Identity association for it; the cluster's IP family is chosen in ``config`` (`WebhookConfig.for_ipv6_cluster`).
    """
    mutated = copy.deepcopy(dict(pod))
    for op in webhook_patch(pod, service_account, config=config, pod_identity=pod_identity) or []:
        _apply_add(mutated, op["path"], copy.deepcopy(op["value"]))
    return mutated


def webhook_patch(
    pod: Manifest,
    service_account: Manifest | None,
    *,
    config: WebhookConfig = WebhookConfig(),
    pod_identity: bool | None = None,
) -> list[PatchOp] | None:
    """The exact JSON Patch the real webhook answers with, or None when it allows the pod without a patch."""
    _check_service_account_matches(pod, service_account)
    plan = _plan(pod, service_account, config, bool(pod_identity))
    return None if plan is None else _patch_operations(pod, plan, config)


def json_patch(before: Manifest, after: Manifest) -> list[PatchOp]:
    """The webhook-shaped JSON Patch that turns ``before`` into ``after`` (a pod produced by `mutate_pod`).

    Same op sequence as the real webhook: the pod-identity label, the token volume, the whole containers array,
    the whole initContainers array when there are any. Where the real webhook re-sends something that did not
    change (a label already set, containers left untouched) the diff cannot see it: for equal pods this is [],
    and `webhook_patch` gives the webhook's exact answer.
    """
    if before == after:
        return []
    ops = _label_ops(before, after) + _volume_ops(before, after)
    ops.append({"op": "add", "path": "/spec/containers", "value": copy.deepcopy(_spec(after).get("containers") or [])})
    if _spec(after).get("initContainers"):
        init_containers = copy.deepcopy(_spec(after)["initContainers"])
        ops.append({"op": "add", "path": "/spec/initContainers", "value": init_containers})
    return ops


def admission_review(
    review: Mapping[str, Any],
    *,
    service_accounts: Mapping[tuple[str, str], Manifest],
    identities: Collection[tuple[str, str]] = frozenset(),
    config: WebhookConfig = WebhookConfig(),
) -> dict[str, Any]:
    """Answer an AdmissionReview (decoded JSON) as the webhook's ``/mutate`` handler does.

    ``service_accounts`` is the webhook's SA cache keyed by ``(namespace, name)``; ``identities`` is the Pod
    Identity identities set, also ``(namespace, name)`` pairs.
    """
    request = review.get("request")
    answer: dict[str, Any] = {"apiVersion": review.get("apiVersion", ""), "kind": review.get("kind", "")}
    if not isinstance(request, Mapping):
        answer["response"] = _admission_response("", allowed=False, message="bad content")
        return answer
    answer["response"] = _answer_request(request, service_accounts, identities, config)
    return answer


def _answer_request(
    request: Mapping[str, Any],
    service_accounts: Mapping[tuple[str, str], Manifest],
    identities: Collection[tuple[str, str]],
    config: WebhookConfig,
) -> dict[str, Any]:
    """The AdmissionResponse for one request: the pod's namespace is the request's, as in the real handler."""
    uid = str(request.get("uid", ""))
    pod = request.get("object")
    if not isinstance(pod, Mapping):
        message = "json: cannot unmarshal object into Go value of type v1.Pod"
        return _admission_response(uid, allowed=False, message=message)
    namespace = str(request.get("namespace", ""))
    pod = {**pod, "metadata": {**(pod.get("metadata") or {}), "namespace": namespace}}
    name = _spec(pod).get("serviceAccountName") or ""
    service_account = service_accounts.get((namespace, name)) if name else None
    patch = webhook_patch(
        pod, service_account, config=config, pod_identity=bool(name) and (namespace, name) in identities
    )
    if patch is None:
        return _admission_response(uid, allowed=True)
    response = _admission_response(uid, allowed=True)
    response["patchType"] = "JSONPatch"
    response["patch"] = base64.b64encode(json.dumps(patch, separators=(",", ":")).encode()).decode()
    return response


def _admission_response(uid: str, *, allowed: bool, message: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if message is not None:
        response["status"] = {"metadata": {}, "message": message}
    return response


# --- deciding (spec A.3, A.4, C.2) ---------------------------------------------------------------------------


def _plan(
    pod: Manifest, service_account: Manifest | None, config: WebhookConfig, pod_identity: bool
) -> _PatchPlan | None:
    """The webhook's decision for this pod, or None when it does not mutate."""
    if not _spec(pod).get("serviceAccountName"):
        return None  # the webhook never defaults the name; no SA (and no identity) matches ""
    if pod_identity:
        return _pod_identity_plan(pod, service_account, config)
    if service_account is None:
        return None
    role_arn = _annotations(service_account).get(config.annotation("role-arn"), "")
    if not role_arn:
        return None
    return _irsa_plan(pod, service_account, role_arn, config)


def _irsa_plan(pod: Manifest, service_account: Manifest, role_arn: str, config: WebhookConfig) -> _PatchPlan:
    """IRSA: audience and regional STS from the SA; expiration pod > SA > flag; fixed volume and file names."""
    annotations = _annotations(service_account)
    return _PatchPlan(
        role_arn=role_arn,  # an ARN that fails the webhook's regex is only warned about, and still used
        full_uri=None,
        audience=annotations.get(config.annotation("audience"), config.token_audience),
        expiration=_pod_expiration(pod, _sa_expiration(annotations, config), config),
        regional_sts=_sa_regional_sts(annotations, config),
        mount_path=config.token_mount_path,
        volume_name=IRSA_VOLUME_NAME,
        token_path=IRSA_TOKEN_PATH,
        skipped=_containers_to_skip(pod, config),
    )


def _pod_identity_plan(pod: Manifest, service_account: Manifest | None, config: WebhookConfig) -> _PatchPlan:
    """Pod Identity: container-credentials flags; STS and expiration borrowed from the SA cache entry."""
    if service_account is None:
        # An SA missing from the cache falls back to false / 86400, ignoring --token-expiration.
        regional_sts, expiration = False, DEFAULT_TOKEN_EXPIRATION
    else:
        annotations = _annotations(service_account)
        regional_sts, expiration = _sa_regional_sts(annotations, config), _sa_expiration(annotations, config)
    expiration = _pod_expiration(pod, expiration, config)
    if expiration == DEFAULT_TOKEN_EXPIRATION:
        expiration = config.jitter()  # only the exact default is jittered, and only in this mode
    return _PatchPlan(
        role_arn=None,
        full_uri=config.container_credentials_full_uri,
        audience=config.container_credentials_audience,  # the SA's audience annotation is ignored here
        expiration=expiration,
        regional_sts=regional_sts,
        mount_path=config.container_credentials_token_mount_path,
        volume_name=config.container_credentials_token_volume_name,
        token_path=config.container_credentials_token_path,
        skipped=_containers_to_skip(pod, config),
    )


def _sa_regional_sts(annotations: Mapping[str, str], config: WebhookConfig) -> bool:
    """``sts-regional-endpoints`` parsed like Go's ParseBool; unparsable means the flag's value."""
    parsed = go_parse_bool(annotations.get(config.annotation("sts-regional-endpoints")))
    return config.sts_regional_endpoints if parsed is None else parsed


def _sa_expiration(annotations: Mapping[str, str], config: WebhookConfig) -> int:
    """``token-expiration`` on the SA, raised to 600; unparsable means the flag's value."""
    parsed = go_parse_int64(annotations.get(config.annotation("token-expiration")))
    return config.token_expiration if parsed is None else max(parsed, MIN_TOKEN_EXPIRATION)


def _pod_expiration(pod: Manifest, inherited: int, config: WebhookConfig) -> int:
    """``token-expiration`` on the pod overrides the SA/flag value (raised to 600; unparsable is ignored)."""
    parsed = go_parse_int64(_annotations(pod).get(config.annotation("token-expiration")))
    return inherited if parsed is None else max(parsed, MIN_TOKEN_EXPIRATION)


def _containers_to_skip(pod: Manifest, config: WebhookConfig) -> frozenset[str]:
    """Names in the pod's ``skip-containers`` annotation: one CSV record; a parse error skips nothing."""
    value = _annotations(pod).get(config.annotation("skip-containers"))
    if value is None:
        return frozenset()
    return frozenset(read_csv_record(value) or ())


def _check_service_account_matches(pod: Manifest, service_account: Manifest | None) -> None:
    """Refuse an SA that is not the pod's: the webhook looks the SA up by the pod's namespace and name."""
    if service_account is None:
        return
    metadata = service_account.get("metadata") or {}
    pod_ns = (pod.get("metadata") or {}).get("namespace")
    pairs = (
        (metadata.get("name"), _spec(pod).get("serviceAccountName"), "name"),
        (metadata.get("namespace"), pod_ns, "namespace"),
    )
    for ours, theirs, what in pairs:
        if ours and theirs and ours != theirs:
            raise ValueError(f"service account {what} {ours!r} is not the pod's ({theirs!r})")


# --- patching (spec A.5) -------------------------------------------------------------------------------------


def _patch_operations(pod: Manifest, plan: _PatchPlan, config: WebhookConfig) -> list[PatchOp]:
    """The real webhook's op sequence: label (PI only), volume (unless present), containers, initContainers."""
    spec = _spec(pod)
    token_file = _token_file_path(pod, plan)
    ops: list[PatchOp] = []
    if plan.full_uri is not None:
        ops.append(_label_op(pod))
    if not any(volume.get("name") == plan.volume_name for volume in spec.get("volumes") or []):
        ops.append(_volume_op(spec, _token_volume(plan)))
    containers = [_mutate_container(c, token_file, plan, config) for c in spec.get("containers") or []]
    ops.append({"op": "add", "path": "/spec/containers", "value": containers})
    init_containers = [_mutate_container(c, token_file, plan, config) for c in spec.get("initContainers") or []]
    if init_containers:
        ops.append({"op": "add", "path": "/spec/initContainers", "value": init_containers})
    return ops


def _label_op(pod: Manifest) -> PatchOp:
    """Add the pod-identity label: a one-entry map when the pod has no labels map, else one key."""
    if (pod.get("metadata") or {}).get("labels") is None:
        return {"op": "add", "path": "/metadata/labels", "value": {POD_IDENTITY_LABEL: "enabled"}}
    return {"op": "add", "path": "/metadata/labels/" + _escape_pointer(POD_IDENTITY_LABEL), "value": "enabled"}


def _volume_op(spec: Manifest, volume: dict[str, Any]) -> PatchOp:
    """Create the volumes array, or insert the token volume first."""
    if spec.get("volumes") is None:
        return {"op": "add", "path": "/spec/volumes", "value": [volume]}
    return {"op": "add", "path": "/spec/volumes/0", "value": volume}


def _token_volume(plan: _PatchPlan) -> dict[str, Any]:
    """The projected service-account-token volume."""
    projection: dict[str, Any] = {"expirationSeconds": plan.expiration, "path": plan.token_path}
    if plan.audience:  # Kubernetes serialises the audience with omitempty
        projection = {"audience": plan.audience, **projection}
    return {"name": plan.volume_name, "projected": {"sources": [{"serviceAccountToken": projection}]}}


def _token_file_path(pod: Manifest, plan: _PatchPlan) -> str:
    """Mount path joined with the file name; a Windows nodeSelector turns it into a ``C:\\`` path."""
    path = go_path_join(plan.mount_path, plan.token_path)
    selector = _spec(pod).get("nodeSelector") or {}
    if any(selector.get(key) == "windows" for key in WINDOWS_OS_SELECTORS):
        return "C:" + path.replace("/", "\\")
    return path


def _mutate_container(container: Manifest, token_file: str, plan: _PatchPlan, config: WebhookConfig) -> dict[str, Any]:
    """One container after the webhook: env appended in the webhook's order, then the token mount."""
    result = copy.deepcopy(dict(container))
    if result.get("name") in plan.skipped or _has_everything(result, plan):
        return result
    env = list(result.get("env") or [])
    added = _env_to_add({entry.get("name") for entry in env}, token_file, plan, config)
    if added:
        result["env"] = env + added
    mounts = list(result.get("volumeMounts") or [])
    if not any(mount.get("name") == plan.volume_name for mount in mounts):  # by name; the path is not compared
        mount = {"name": plan.volume_name, "readOnly": True, "mountPath": plan.mount_path}
        result["volumeMounts"] = mounts + [mount]
    return result


def _has_everything(container: Manifest, plan: _PatchPlan) -> bool:
    """The early exit: credential group, a region variable and the STS variable all set already."""
    names = {entry.get("name") for entry in container.get("env") or []}
    pod_identity = plan.full_uri is not None
    credential_group = {FULL_URI_ENV, AUTH_TOKEN_FILE_ENV} if pod_identity else {ROLE_ARN_ENV, TOKEN_FILE_ENV}
    return bool(names & credential_group) and bool(names & set(REGION_ENVS)) and STS_ENV in names


def _env_to_add(present: set[Any], token_file: str, plan: _PatchPlan, config: WebhookConfig) -> list[dict[str, str]]:
    """Variables to append, in the code's order: STS, DEFAULT_REGION, REGION, then the credential pair."""
    added: list[dict[str, str]] = []
    if plan.regional_sts and STS_ENV not in present:
        added.append({"name": STS_ENV, "value": "regional"})
    if config.region and not present & set(REGION_ENVS):  # either region variable suppresses both
        added += [{"name": name, "value": config.region} for name in REGION_ENVS]
    pair = (FULL_URI_ENV, plan.full_uri) if plan.full_uri is not None else (ROLE_ARN_ENV, plan.role_arn)
    file_env = AUTH_TOKEN_FILE_ENV if plan.full_uri is not None else TOKEN_FILE_ENV
    if not present & {pair[0], file_env}:  # all or nothing: one half set means neither is added
        added += [{"name": pair[0], "value": str(pair[1])}, {"name": file_env, "value": token_file}]
    return added


# --- json_patch helpers --------------------------------------------------------------------------------------


def _label_ops(before: Manifest, after: Manifest) -> list[PatchOp]:
    """The label op when ``after`` gained the pod-identity label."""
    before_labels = (before.get("metadata") or {}).get("labels")
    after_labels = (after.get("metadata") or {}).get("labels") or {}
    value = after_labels.get(POD_IDENTITY_LABEL)
    if value is None or (before_labels or {}).get(POD_IDENTITY_LABEL) == value:
        return []
    if before_labels is None:
        return [{"op": "add", "path": "/metadata/labels", "value": copy.deepcopy(dict(after_labels))}]
    path = "/metadata/labels/" + _escape_pointer(POD_IDENTITY_LABEL)
    return [{"op": "add", "path": path, "value": value}]


def _volume_ops(before: Manifest, after: Manifest) -> list[PatchOp]:
    """The volume op when ``after`` gained a volume (the webhook adds one, first, or creates the array)."""
    before_volumes = _spec(before).get("volumes")
    known = {volume.get("name") for volume in before_volumes or []}
    after_volumes = _spec(after).get("volumes") or []
    new = [volume for volume in after_volumes if volume.get("name") not in known]
    if not new:
        return []
    if before_volumes is None:
        return [{"op": "add", "path": "/spec/volumes", "value": copy.deepcopy(after_volumes)}]
    return [{"op": "add", "path": "/spec/volumes/0", "value": copy.deepcopy(new[0])}]


def _apply_add(document: dict[str, Any], path: str, value: Any) -> None:
    """Apply one JSON Patch ``add`` of the shapes the webhook emits (object member or array index)."""
    *parents, last = [_unescape_pointer(part) for part in path.split("/")[1:]]
    target: Any = document
    for part in parents:
        target = target.setdefault(part, {}) if isinstance(target, dict) else target[int(part)]
    if isinstance(target, list):
        target.insert(len(target) if last == "-" else int(last), value)
    else:
        target[last] = value


# --- Go-compatible parsing -----------------------------------------------------------------------------------

_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_GO_INT = re.compile(r"[+-]?[0-9]+")


def go_parse_bool(text: str | None) -> bool | None:
    """Go's ``strconv.ParseBool``; None for anything it rejects (including a missing value)."""
    if text in _GO_TRUE:
        return True
    if text in _GO_FALSE:
        return False
    return None


def go_parse_int64(text: str | None) -> int | None:
    """Go's ``strconv.ParseInt(s, 10, 64)``: sign and digits only, in int64 range; None otherwise."""
    if text is None or not _GO_INT.fullmatch(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def go_path_join(*elements: str) -> str:
    """Go's ``filepath.Join`` on Linux: join the non-empty elements with ``/`` and clean the result."""
    parts = [element for element in elements if element]
    return _go_clean("/".join(parts)) if parts else ""


def _go_clean(path: str) -> str:
    """Go's ``path.Clean``: collapse slashes, drop ``.``, resolve ``..``."""
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and out and out[-1] != "..":
            out.pop()
        elif part == ".." and rooted:
            continue
        else:
            out.append(part)
    cleaned = "/".join(out)
    return ("/" + cleaned) if rooted else (cleaned or ".")


def read_csv_record(text: str) -> list[str] | None:
    """The first record of ``text`` as Go's ``encoding/csv`` reads it (defaults); None on a parse error or EOF.

    Leading spaces are kept, quoted fields may hold commas, quotes (doubled) and newlines, empty lines before
    the record are skipped, and a bare quote in an unquoted field is an error.
    """
    lines = _csv_lines(text)
    while lines and lines[0] == "\n":
        lines.pop(0)
    if not lines:
        return None
    return _CsvRecordReader(lines).read()


def _csv_lines(text: str) -> list[str]:
    """Split like Go's csv readLine: lines end at ``\\n`` only; ``\\r\\n`` -> ``\\n``; one ``\\r`` before EOF goes."""
    parts = text.split("\n")
    lines = [part.removesuffix("\r") + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1].removesuffix("\r"))
    return lines


class _CsvRecordReader:
    """A transcription of Go's ``csv.Reader.readRecord`` for one record (Comma ',', no lazy quotes)."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._line = lines.pop(0)
        self._fields: list[str] = []

    def read(self) -> list[str] | None:
        """The record's fields, or None on ErrBareQuote / ErrQuote."""
        while True:
            outcome = self._quoted_field() if self._line.startswith('"') else self._plain_field()
            if outcome is None:
                return None
            if outcome == "end":
                return self._fields

    def _plain_field(self) -> str | None:
        comma = self._line.find(",")
        field = self._line[:comma] if comma >= 0 else self._line.removesuffix("\n")
        if '"' in field:
            return None  # ErrBareQuote
        self._fields.append(field)
        if comma < 0:
            return "end"
        self._line = self._line[comma + 1 :]
        return "next"

    def _quoted_field(self) -> str | None:
        self._line = self._line[1:]
        buffer = ""
        while True:
            quote = self._line.find('"')
            if quote < 0:
                buffer += self._line
                if not self._lines:
                    return None  # unterminated quoted field: ErrQuote
                self._line = self._lines.pop(0)
                continue
            buffer += self._line[:quote]
            self._line = self._line[quote + 1 :]
            if self._line.startswith('"'):
                buffer += '"'
                self._line = self._line[1:]
            elif self._line.startswith(","):
                self._fields.append(buffer)
                self._line = self._line[1:]
                return "next"
            elif self._line in ("", "\n"):
                self._fields.append(buffer)
                return "end"
            else:
                return None  # a quote followed by something else: ErrQuote


def _spec(pod: Manifest) -> Mapping[str, Any]:
    return pod.get("spec") or {}


def _annotations(obj: Manifest) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def _escape_pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape_pointer(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")
