"""eksctl ClusterConfig files: associations, IRSA service accounts, Fargate profiles, node groups, add-ons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labkit.audit.checks import Finding, finding
from labkit.audit.estate import Association, Estate, FargateSelector
from labkit.audit.sources import Document, items, mapping, scalar
from labkit.decide.yamlnodes import child

CNI_POLICY = "AmazonEKS_CNI_Policy"


def is_cluster_config(data: Any) -> bool:
    """Whether a document is an eksctl ClusterConfig."""
    return (isinstance(data, dict) and str(data.get("apiVersion", "")).startswith("eksctl.io/")
            and data.get("kind") == "ClusterConfig")


def collect(doc: Document, data: dict[str, Any], estate: Estate) -> Iterator[Finding]:
    """Record associations, IRSA service accounts and Fargate selectors; check node groups."""
    iam = mapping(data.get("iam"))
    _associations(doc, iam.get("podIdentityAssociations"), "$.iam.podIdentityAssociations", estate)
    for path, account in items(iam.get("serviceAccounts"), "$.iam.serviceAccounts"):
        meta = mapping(mapping(account).get("metadata"))
        key = (scalar(meta.get("namespace")) or "default", scalar(meta.get("name")) or "")
        estate.annotated_service_accounts[key] = doc.at(path)
        if key == ("kube-system", "aws-node"):
            estate.aws_node_roles.append(doc.at(path))
    for path, addon in items(data.get("addons"), "$.addons"):
        _addon(doc, mapping(addon), path, estate)
    for path, profile in items(data.get("fargateProfiles"), "$.fargateProfiles"):
        for selector_path, selector in items(mapping(profile).get("selectors"), child(path, "selectors")):
            selector = mapping(selector)
            estate.fargate_selectors.append(FargateSelector.of(
                scalar(selector.get("namespace")), mapping(selector.get("labels")), doc.at(selector_path)))
    for group in ("managedNodeGroups", "nodeGroups"):
        for path, node_group in items(data.get(group), f"$.{group}"):
            yield from _node_group(doc, mapping(node_group), path, estate)


def _associations(doc: Document, entries: Any, path: str, estate: Estate) -> None:
    """eksctl podIdentityAssociations entries."""
    for entry_path, entry in items(entries, path):
        entry = mapping(entry)
        estate.associations.append(Association(scalar(entry.get("namespace")) or "",
                                               scalar(entry.get("serviceAccountName")) or "", doc.at(entry_path)))


def _addon(doc: Document, addon: dict[str, Any], path: str, estate: Estate) -> None:
    """Add-on associations, and whether vpc-cni (aws-node) has a role of its own."""
    _associations(doc, addon.get("podIdentityAssociations"), child(path, "podIdentityAssociations"), estate)
    if addon.get("name") == "vpc-cni" and (addon.get("serviceAccountRoleARN") or addon.get("attachPolicyARNs")
                                           or addon.get("podIdentityAssociations")):
        estate.aws_node_roles.append(doc.at(path))


def _node_group(doc: Document, node_group: dict[str, Any], path: str, estate: Estate) -> Iterator[Finding]:
    """IMDSv1 left on, and the CNI policy attached to the node role."""
    name = node_group.get("name", "?")
    if node_group.get("disableIMDSv1") is False:
        yield finding("imds-v1-allowed", doc.at(child(path, "disableIMDSv1")),
                      f"eksctl node group {name} sets disableIMDSv1: false.")
    for arn_path, arn in items(mapping(node_group.get("iam")).get("attachPolicyARNs"),
                               child(child(path, "iam"), "attachPolicyARNs")):
        if str(arn).endswith(f"/{CNI_POLICY}"):
            estate.node_roles_with_cni_policy.append((f"node group {name}", doc.at(arn_path)))
