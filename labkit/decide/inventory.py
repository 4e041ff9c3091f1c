"""The inventory the decision engine plans for: accounts, clusters, workloads and sharing groups, from YAML.

::

    name: reflection                     # optional
    options:
      pod_identity_target_roles: true    # false models EKS before June 2025 (no association target roles)
    accounts:
      - {name: platform, id: "111122223333"}          # optional: partition, oidc_provider_quota,
                                                       #           other_oidc_providers (e.g. CI providers)
    clusters:
      - name: prod
        account: platform                # account name or id
        region: us-east-1
        platform: eks                    # eks | eks-anywhere | self-managed | rosa | outposts
        kubernetes_version: "1.31"
        platform_version: eks.5          # optional
        node_kinds: [ec2-linux, fargate] # ec2-linux | ec2-windows | fargate
        fargate_profiles:                # optional
          - {name: analytics, selectors: [{namespace: analytics, labels: {app: analytics}}]}
        node_metadata: {http_tokens: required, hop_limit: 1}   # optional, the launch template's IMDS settings
        ip_family: ipv4                  # optional: ipv6 clusters reach the Pod Identity agent at fd00:ec2::23
        oidc_issuer: https://oidc.eks.us-east-1.amazonaws.com/id/...   # optional (derived when absent)
    sharing_groups:                      # optional: one role shared by many service accounts
      - name: checkout-domain
        role_name: checkout-domain-role
        projected: {services: 50, clusters: [dev, staging, prod], namespace: checkout,
                    service_account: "checkout-svc-{index:02d}"}   # optional planned growth
    workloads:
      - name: checkout-api
        cluster: prod
        namespace: checkout
        service_account: checkout-api-sa
        compute: ec2-linux               # optional: derived from Fargate profiles and node kinds
        labels: {app: checkout-api}      # optional (Fargate profile selection)
        needs: [{service: dynamodb, actions: [GetItem], resources: ["arn:aws:dynamodb:...:table/orders"]}]
        targets: [{account: audit, role_name: audit-reader, needs: [...]}]   # optional cross-account
        proxy: {https_proxy: "http://proxy:3128", no_proxy: [localhost]}     # optional
        sharing_group: checkout-domain   # optional
        current: irsa                    # optional: irsa | pod-identity | none (for the migration plan)
        sdk: {boto3: "1.34.100"}         # optional: the AWS SDK in the pods (Pod Identity needs a recent one)

Every error is an InventoryError naming the file, line and JSON path of the field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TypeVar

from labkit.decide.gcpause import gc_paused
from labkit.decide.reader import Field, Mapping
from labkit.decide.yamlnodes import compose_all
from labkit.errors import InventoryError
from labkit.facts import value

PLATFORMS = ("eks", "eks-anywhere", "self-managed", "rosa", "outposts")
NODE_KINDS = ("ec2-linux", "ec2-windows", "fargate")
CURRENT = ("irsa", "pod-identity", "none")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
MAX_PROJECTED_SERVICES = 10_000  # a projection is a what-if: twice the association quota is plenty

_Named = TypeVar("_Named", "Account", "Cluster", "SharingGroup")
_ACCOUNT_ID = re.compile(r"\d{12}")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_VERSION = re.compile(r"1\.\d{1,2}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_SERVICE = re.compile(r"[a-z0-9-]{2,40}")
_ACTION = re.compile(r"([a-z0-9-]+:)?[A-Za-z0-9*?]+")
_ARN = re.compile(r"\*|arn:[^:\s]+:[^:\s]*:[^:\s]*:[^:\s]*:\S+")
_URL = re.compile(r"https://[^\s]+")
_SDK_VERSION = re.compile(r"\d+(\.\d+){1,3}")


@dataclass(frozen=True, slots=True)
class Options:
    """Switches that model a different AWS: e.g. Pod Identity before association target roles existed."""

    pod_identity_target_roles: bool = True


@dataclass(frozen=True, slots=True)
class Account:
    """An AWS account and its OIDC-provider budget."""

    name: str
    id: str
    partition: str = "aws"
    oidc_provider_quota: int | None = None  # None: the default quota from labkit.facts
    other_oidc_providers: int = 0  # providers that are not EKS clusters (CI, other IdPs) but use the quota


@dataclass(frozen=True, slots=True)
class Selector:
    """A Fargate profile selector: a namespace (wildcards allowed) and labels that must all match."""

    namespace: str
    labels: tuple[tuple[str, str], ...] = ()

    def selects(self, namespace: str, labels: dict[str, str]) -> bool:
        """Whether a pod in `namespace` with `labels` is scheduled on Fargate by this selector."""
        return fnmatchcase(namespace, self.namespace) and all(
            key in labels and fnmatchcase(labels[key], want) for key, want in self.labels)


@dataclass(frozen=True, slots=True)
class FargateProfile:
    """A Fargate profile: pods matching any selector run on Fargate."""

    name: str
    selectors: tuple[Selector, ...]


@dataclass(frozen=True, slots=True)
class NodeMetadata:
    """The IMDS settings of a cluster's EC2 nodes (launch template MetadataOptions)."""

    http_tokens: str | None = None  # "required" or "optional"
    hop_limit: int | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    """A Kubernetes cluster whose pods need AWS credentials."""

    name: str
    account: str  # account name
    region: str
    platform: str
    kubernetes_version: str
    platform_version: str | None
    node_kinds: tuple[str, ...]
    fargate_profiles: tuple[FargateProfile, ...]
    oidc_issuer: str
    node_metadata: NodeMetadata | None = None
    line: int = 0
    ip_family: str = "ipv4"  # ipv6 clusters reach the Pod Identity agent at fd00:ec2::23

    @property
    def issuer_host(self) -> str:
        """The issuer without https://, as IAM condition keys and provider ARNs spell it."""
        return self.oidc_issuer.removeprefix("https://")

    def fargate_profile_for(self, namespace: str, labels: dict[str, str]) -> FargateProfile | None:
        """The Fargate profile that would schedule such a pod, if any."""
        for profile in self.fargate_profiles:
            if any(selector.selects(namespace, labels) for selector in profile.selectors):
                return profile
        return None


@dataclass(frozen=True, slots=True)
class Need:
    """AWS access a workload needs: one service, its actions (as IAM spells them) and resources."""

    service: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Target:
    """A role in another account the workload must act as, and what it needs there."""

    account: str  # account name
    role_name: str
    needs: tuple[Need, ...]


@dataclass(frozen=True, slots=True)
class Proxy:
    """The proxy environment of a workload's pods."""

    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Workload:
    """One service account in one cluster, and what its pods need from AWS."""

    name: str
    cluster: str
    namespace: str
    service_account: str
    compute: str | None  # as declared; the planner derives the effective compute
    labels: tuple[tuple[str, str], ...] = ()
    needs: tuple[Need, ...] = ()
    targets: tuple[Target, ...] = ()
    proxy: Proxy | None = None
    sharing_group: str | None = None
    current: str = "none"
    line: int = 0
    sdk: tuple[str, str] | None = None  # (SDK name as in fact eks.pod-identity-min-sdk, version)


@dataclass(frozen=True, slots=True)
class Projection:
    """Planned growth of a sharing group: `services` service accounts in each listed cluster."""

    services: int
    clusters: tuple[str, ...]
    namespace: str
    service_account: str  # a str.format template with {index} (1-based)

    def bindings(self) -> list[tuple[str, str, str]]:
        """(cluster, namespace, service account) of every projected member."""
        names = [self.service_account.format(index=index) for index in range(1, self.services + 1)]
        return [(cluster, self.namespace, name) for cluster in self.clusters for name in names]


@dataclass(frozen=True, slots=True)
class SharingGroup:
    """One IAM role meant to serve many service accounts (e.g. a business domain)."""

    name: str
    role_name: str
    account: str | None = None
    projected: Projection | None = None
    line: int = 0


@dataclass(frozen=True)
class Inventory:
    """Everything the planner needs, validated."""

    name: str
    accounts: dict[str, Account]
    clusters: dict[str, Cluster]
    workloads: tuple[Workload, ...]
    sharing_groups: dict[str, SharingGroup] = field(default_factory=dict)
    options: Options = Options()
    file: str | None = None

    def __repr__(self) -> str:
        return (f"<Inventory {self.name}: {len(self.accounts)} accounts, {len(self.clusters)} clusters, "
                f"{len(self.workloads)} workloads>")


def load_inventory(path: str | Path) -> Inventory:
    """Read and validate an inventory YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"cannot read inventory: {exc.strerror}", file=str(path)) from None
    return parse_inventory(text, file=str(path), name=path.stem)


def parse_inventory(text: str, *, file: str | None = None, name: str | None = None) -> Inventory:
    """Validate an inventory given as YAML text."""
    with gc_paused():
        documents = compose_all(text, file=file, error=InventoryError)
        if len(documents) != 1:
            raise InventoryError(f"expected one YAML document, found {len(documents)}", file=file)
        return _read_inventory(Field(documents[0], "$", file).mapping(), name or "inventory")


def _read_inventory(root: Mapping, default_name: str) -> Inventory:
    """The Inventory of a root mapping, reading sections in dependency order."""
    name = root.text("name", default_name)
    options = _read_options(root.get("options"))
    accounts = _keyed(root.need("accounts"), _read_account)
    by_id = {account.id: account.name for account in accounts.values()}
    clusters = _keyed(root.need("clusters"), lambda f: _read_cluster(f, accounts, by_id))
    groups_field = root.get("sharing_groups")
    groups = _keyed(groups_field, lambda f: _read_group(f, accounts, by_id, clusters)) if groups_field else {}
    workloads = _read_workloads(root.need("workloads"), accounts, by_id, clusters, groups)
    root.done()
    return Inventory(name, accounts, clusters, workloads, groups, options, root.field.file)


def _keyed(section: Field, read: Callable[[Field], _Named]) -> dict[str, _Named]:
    """A list section read into a dict by name; a repeated name is an error at its line."""
    result: dict[str, _Named] = {}
    for item in section.items():
        value = read(item)
        if value.name in result:
            raise item.error(f"duplicate name {value.name!r}")
        result[value.name] = value
    return result


def _read_options(section: Field | None) -> Options:
    """The options mapping (every switch optional)."""
    if section is None:
        return Options()
    fields = section.mapping()
    target_roles = fields.get("pod_identity_target_roles")
    fields.done()
    return Options(pod_identity_target_roles=target_roles.boolean() if target_roles else True)


def _read_account(item: Field) -> Account:
    """One account entry."""
    fields = item.mapping()
    quota = fields.get("oidc_provider_quota")
    other = fields.get("other_oidc_providers")
    account = Account(
        name=fields.text("name", pattern=_DNS_SUBDOMAIN),
        id=fields.text("id", pattern=_ACCOUNT_ID),
        partition=fields.text("partition", "aws", choices=PARTITIONS),
        oidc_provider_quota=quota.integer(minimum=1) if quota else None,
        other_oidc_providers=other.integer() if other else 0,
    )
    fields.done()
    return account


def _account_ref(item: Field, accounts: dict[str, Account], by_id: dict[str, str]) -> str:
    """An account given by name or id, resolved to its name."""
    ref = item.text()
    if ref in accounts:
        return ref
    if ref in by_id:
        return by_id[ref]
    raise item.error(f"unknown account {ref!r} (accounts: {', '.join(accounts)})")


def _read_cluster(item: Field, accounts: dict[str, Account], by_id: dict[str, str]) -> Cluster:
    """One cluster entry, with its node kinds checked against its platform."""
    fields = item.mapping()
    name = fields.text("name", pattern=_DNS_SUBDOMAIN)
    account = _account_ref(fields.need("account"), accounts, by_id)
    region = fields.text("region", pattern=_REGION)
    platform = fields.text("platform", "eks", choices=PLATFORMS)
    version = fields.text("kubernetes_version", pattern=_VERSION)
    platform_version = fields.text("platform_version", None, pattern=re.compile(r"eks\.\d+"))
    kinds_field = fields.need("node_kinds")
    kinds = tuple(kind.text(choices=NODE_KINDS) for kind in kinds_field.items())
    profiles_field = fields.get("fargate_profiles")
    profiles = tuple(_read_profile(p) for p in profiles_field.items()) if profiles_field else ()
    if ("fargate" in kinds or profiles) and platform != "eks":
        raise kinds_field.error(f"Fargate runs only on Amazon EKS, not on platform {platform!r}")
    if profiles and "fargate" not in kinds:
        kinds += ("fargate",)
    issuer = fields.text("oidc_issuer", None, pattern=_URL) or _derived_issuer(
        accounts[account].id, name, region, platform)
    metadata = _read_metadata(fields.get("node_metadata"))
    ip_family = fields.text("ip_family", "ipv4", choices=("ipv4", "ipv6"))
    fields.done()
    return Cluster(name, account, region, platform, version, platform_version, kinds, profiles, issuer,
                   metadata, item.line, ip_family)


def _derived_issuer(account_id: str, name: str, region: str, platform: str) -> str:
    """A stable, realistic issuer for a cluster that does not give one (EKS: 32 upper-case hex)."""
    digest = hashlib.md5(f"{account_id}/{region}/{name}".encode()).hexdigest().upper()
    if platform == "eks":
        return f"https://oidc.eks.{region}.amazonaws.com/id/{digest}"
    # Outside EKS the issuer is wherever the operator publishes discovery + JWKS, often an S3 bucket.
    return f"https://s3.{region}.amazonaws.com/{name}-oidc-{digest[:8].lower()}"


def _read_profile(item: Field) -> FargateProfile:
    """One Fargate profile."""
    fields = item.mapping()
    name = fields.text("name")
    selectors = tuple(_read_selector(s) for s in fields.need("selectors").items())
    fields.done()
    if not selectors:
        raise item.error("a Fargate profile needs at least one selector")
    return FargateProfile(name, selectors)


def _read_selector(item: Field) -> Selector:
    """One Fargate selector: namespace plus optional labels."""
    fields = item.mapping()
    namespace = fields.text("namespace")
    labels = _read_labels(fields.get("labels"))
    fields.done()
    return Selector(namespace, labels)


def _read_labels(item: Field | None) -> tuple[tuple[str, str], ...]:
    """A label mapping as sorted pairs."""
    if item is None:
        return ()
    fields = item.mapping()
    return tuple(sorted((key, fields.text(key)) for key in fields.keys()))


def _read_metadata(item: Field | None) -> NodeMetadata | None:
    """IMDS settings of the nodes, as a launch template spells them."""
    if item is None:
        return None
    fields = item.mapping()
    hop = fields.get("hop_limit")
    metadata = NodeMetadata(fields.text("http_tokens", None, choices=("required", "optional")),
                            hop.integer(minimum=1) if hop else None)
    fields.done()
    return metadata


def _read_group(item: Field, accounts: dict[str, Account], by_id: dict[str, str],
                clusters: dict[str, Cluster]) -> SharingGroup:
    """One sharing group."""
    fields = item.mapping()
    name = fields.text("name", pattern=_DNS_SUBDOMAIN)
    role_name = fields.text("role_name", pattern=_ROLE_NAME)
    account_field = fields.get("account")
    account = _account_ref(account_field, accounts, by_id) if account_field else None
    projected_field = fields.get("projected")
    projected = _read_projection(projected_field, clusters) if projected_field else None
    fields.done()
    return SharingGroup(name, role_name, account, projected, item.line)


def _read_projection(item: Field, clusters: dict[str, Cluster]) -> Projection:
    """Planned growth of a sharing group."""
    fields = item.mapping()
    services_field = fields.need("services")
    services = services_field.integer(minimum=1)
    if services > MAX_PROJECTED_SERVICES:
        raise services_field.error(f"at most {MAX_PROJECTED_SERVICES:,} projected services per group")
    cluster_field = fields.need("clusters")
    for ref in cluster_field.items():
        if ref.text() not in clusters:
            raise ref.error(f"unknown cluster {ref.text()!r}")
    template_field = fields.need("service_account")
    projection = Projection(services, cluster_field.texts(), fields.text("namespace", pattern=_DNS_LABEL),
                            template_field.text())
    fields.done()
    try:
        sample = projection.service_account.format(index=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise template_field.error(f"not a template with {{index}}: {exc}") from None
    if not _DNS_SUBDOMAIN.fullmatch(sample):
        raise template_field.error(f"{sample!r} is not a valid service account name")
    return projection


def _read_workloads(section: Field, accounts: dict[str, Account], by_id: dict[str, str],
                    clusters: dict[str, Cluster], groups: dict[str, SharingGroup]) -> tuple[Workload, ...]:
    """Every workload, each name and (cluster, namespace, service account) unique."""
    workloads: list[Workload] = []
    names: set[str] = set()
    identities: set[tuple[str, str, str]] = set()
    for item in section.items():
        workload = _read_workload(item, accounts, by_id, clusters, groups)
        identity = (workload.cluster, workload.namespace, workload.service_account)
        if workload.name in names:
            raise item.error(f"duplicate workload name {workload.name!r}")
        if identity in identities:
            raise item.error("another workload already uses service account "
                             f"{workload.namespace}/{workload.service_account} in cluster {workload.cluster}")
        names.add(workload.name)
        identities.add(identity)
        workloads.append(workload)
    return tuple(workloads)


def _read_workload(item: Field, accounts: dict[str, Account], by_id: dict[str, str],
                   clusters: dict[str, Cluster], groups: dict[str, SharingGroup]) -> Workload:
    """One workload, with references to cluster, accounts and group resolved."""
    fields = item.mapping()
    name = fields.text("name", pattern=_DNS_SUBDOMAIN)
    cluster_field = fields.need("cluster")
    cluster = clusters.get(cluster_field.text())
    if cluster is None:
        raise cluster_field.error(f"unknown cluster {cluster_field.text()!r}")
    compute_field = fields.get("compute")
    compute = compute_field.text(choices=NODE_KINDS) if compute_field else None
    if compute and compute not in cluster.node_kinds:
        raise compute_field.error(f"cluster {cluster.name} has no {compute} nodes "  # type: ignore[union-attr]
                                  f"(node_kinds: {', '.join(cluster.node_kinds)})")
    group_field = fields.get("sharing_group")
    if group_field and group_field.text() not in groups:
        raise group_field.error(f"unknown sharing group {group_field.text()!r}")
    needs_field = fields.get("needs")
    targets_field = fields.get("targets")
    proxy_field = fields.get("proxy")
    workload = Workload(
        name=name,
        cluster=cluster.name,
        namespace=fields.text("namespace", pattern=_DNS_LABEL),
        service_account=fields.text("service_account", pattern=_DNS_SUBDOMAIN),
        compute=compute,
        labels=_read_labels(fields.get("labels")),
        needs=tuple(_read_need(n) for n in needs_field.items()) if needs_field else (),
        targets=tuple(_read_target(t, accounts, by_id, cluster) for t in targets_field.items())
        if targets_field else (),
        proxy=_read_proxy(proxy_field) if proxy_field else None,
        sharing_group=group_field.text() if group_field else None,
        current=fields.text("current", "none", choices=CURRENT),
        line=item.line,
        sdk=_read_sdk(fields.get("sdk")),
    )
    fields.done()
    return workload


# IAM service prefixes for the spellings people write in inventories.
SERVICE_PREFIXES = {"secrets-manager": "secretsmanager", "secretsmanager": "secretsmanager",
                    "parameter-store": "ssm", "cloudwatch-logs": "logs", "eventbridge": "events",
                    "step-functions": "states", "opensearch": "es"}


def _read_need(item: Field) -> Need:
    """One need: service, actions (prefixed with the IAM service prefix) and resources."""
    fields = item.mapping()
    service = fields.text("service", pattern=_SERVICE).lower()
    prefix = SERVICE_PREFIXES.get(service, service)
    actions_field = fields.need("actions")
    actions = []
    for action in actions_field.items():
        text = action.text(pattern=_ACTION)
        if ":" in text and text.split(":", 1)[0] != prefix:
            raise action.error(f"action {text!r} is not a {prefix} action")
        actions.append(text if ":" in text else f"{prefix}:{text}")
    resources_field = fields.get("resources")
    resources = tuple(r.text(pattern=_ARN) for r in resources_field.items()) if resources_field else ("*",)
    fields.done()
    if not actions:
        raise actions_field.error("list at least one action")
    return Need(prefix, tuple(actions), resources)


def _read_target(item: Field, accounts: dict[str, Account], by_id: dict[str, str], cluster: Cluster) -> Target:
    """One cross-account target role."""
    fields = item.mapping()
    account_field = fields.need("account")
    account = _account_ref(account_field, accounts, by_id)
    if account == cluster.account:
        raise account_field.error(f"target account {account!r} is the cluster's own account")
    needs_field = fields.get("needs")
    target = Target(account, fields.text("role_name", pattern=_ROLE_NAME),
                    tuple(_read_need(n) for n in needs_field.items()) if needs_field else ())
    fields.done()
    return target


def _read_sdk(item: Field | None) -> tuple[str, str] | None:
    """The pods' AWS SDK: one `name: version` pair, the name one of those fact eks.pod-identity-min-sdk knows."""
    if item is None:
        return None
    fields = item.mapping()
    names = fields.keys()
    if len(names) != 1:
        raise item.error("give one SDK as name: version, e.g. {boto3: \"1.34.41\"}")
    known = tuple(value("eks.pod-identity-min-sdk"))
    name = names[0]
    if name not in known:
        raise item.error(f"unknown SDK {name!r} (known: {', '.join(known)})")
    return name, fields.text(name, pattern=_SDK_VERSION)


def _read_proxy(item: Field) -> Proxy:
    """The proxy variables of the workload's pods."""
    fields = item.mapping()
    no_proxy = fields.get("no_proxy")
    proxy = Proxy(fields.text("http_proxy", None), fields.text("https_proxy", None),
                  tuple(part.strip() for entry in no_proxy.texts() for part in entry.split(",") if part.strip())
                  if no_proxy else ())
    fields.done()
    return proxy
