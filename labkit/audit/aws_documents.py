"""AWS-shaped documents (IAM policies and roles, launch templates, EKS API and CloudFormation), found by shape.

Inputs come as CLI output, API input, CloudFormation or bare policies; rather than guess a format, every
mapping of a document is looked at for the parts that matter: `Statement`, `AssumeRolePolicyDocument`,
`MetadataOptions`, associations (namespace + service account) and Fargate selectors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from labkit.audit import trust
from labkit.audit.checks import Finding, finding
from labkit.audit.eksctl import CNI_POLICY
from labkit.audit.estate import Association, Estate, FargateSelector
from labkit.audit.sources import Document, as_list, items, mapping, scalar, walk
from labkit.decide.yamlnodes import child

NODE_PRINCIPAL = "ec2.amazonaws.com"
_ATTACHED = ("ManagedPolicyArns", "AttachedManagedPolicies", "AttachedPolicies")


def collect(doc: Document, data: Any, estate: Estate) -> Iterator[Finding]:
    """Check and record every part of an AWS-shaped document."""
    for path, value in walk(data):
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("Statement"), (list, dict)):
            yield from _policy(doc, value, path, estate)
        if "AssumeRolePolicyDocument" in value:
            _role(doc, value, path, data, estate)
        if isinstance(value.get("MetadataOptions"), dict):
            yield from _metadata_options(doc, value["MetadataOptions"], child(path, "MetadataOptions"))
        _association(doc, value, path, estate)
        _fargate_profile(doc, value, path, estate)


def _statements(policy: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, statement) of a policy whose Statement is a list or a single mapping."""
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        yield child(path, "Statement"), statements
    else:
        yield from ((p, s) for p, s in items(statements, child(path, "Statement")) if isinstance(s, dict))


def _policy(doc: Document, policy: dict[str, Any], path: str, estate: Estate) -> Iterator[Finding]:
    """Trust pitfalls of each statement; note a role trusted by aws-node."""
    for statement_path, statement in _statements(policy, path):
        yield from trust.check_statement(doc, statement, statement_path)
        if trust.is_web_identity(statement) and trust.AWS_NODE_SUBJECT in trust.subjects(statement):
            estate.aws_node_roles.append(doc.at(statement_path))


def _trust_document(value: Any) -> dict[str, Any]:
    """A role's trust policy, also when the API returns it URL-encoded as a string."""
    if isinstance(value, str):
        try:
            value = json.loads(unquote(value))
        except json.JSONDecodeError:
            return {}
    return mapping(value)


def _role(doc: Document, role: dict[str, Any], path: str, data: Any, estate: Estate) -> None:
    """A node role (trusted by EC2) with AmazonEKS_CNI_Policy attached, wherever the attachment is listed."""
    trust_policy = _trust_document(role.get("AssumeRolePolicyDocument"))
    services = [s for _, statement in _statements(trust_policy, "$")
                for s in as_list(mapping(statement.get("Principal")).get("Service"))]
    if NODE_PRINCIPAL not in services:
        return
    name = str(role.get("RoleName") or path)
    # CloudFormation and authorization details list attachments on the role; `list-attached-role-policies`
    # output saved beside a `get-role` output puts them at the top of the document.
    for owner, owner_path in ((role, path), (mapping(data), "$")):
        for key in _ATTACHED:
            for arn_path, attached in items(owner.get(key), child(owner_path, key)):
                if CNI_POLICY in json.dumps(attached):
                    estate.node_roles_with_cni_policy.append((f"role {name}", doc.at(arn_path)))


def _metadata_options(doc: Document, options: dict[str, Any], path: str) -> Iterator[Finding]:
    """IMDSv1 allowed or a hop limit above 1 (unless the endpoint is off altogether)."""
    if str(options.get("HttpEndpoint", "enabled")).lower() == "disabled":
        return
    tokens = options.get("HttpTokens")
    if str(tokens).lower() != "required":
        where = child(path, "HttpTokens") if "HttpTokens" in options else path
        detail = f"HttpTokens is {tokens!r}." if tokens else "HttpTokens is not set (optional unless the AMI requires v2)."
        yield finding("imds-v1-allowed", doc.at(where), detail)
    hops = options.get("HttpPutResponseHopLimit")
    if isinstance(hops, int) and hops > 1:
        yield finding("imds-hop-limit", doc.at(child(path, "HttpPutResponseHopLimit")),
                      f"HttpPutResponseHopLimit is {hops}.")


def _field(value: dict[str, Any], *names: str) -> Any:
    """The first of several spellings of a field (EKS API camelCase, CloudFormation PascalCase)."""
    return next((value[name] for name in names if name in value), None)


def _association(doc: Document, value: dict[str, Any], path: str, estate: Estate) -> None:
    """An EKS API or CloudFormation Pod Identity association."""
    namespace = scalar(_field(value, "namespace", "Namespace"))
    service_account = scalar(_field(value, "serviceAccount", "ServiceAccount"))
    if namespace and service_account and _field(value, "roleArn", "RoleArn", "associationArn", "clusterName",
                                                "ClusterName"):
        estate.associations.append(Association(str(namespace), str(service_account), doc.at(path)))


def _fargate_profile(doc: Document, value: dict[str, Any], path: str, estate: Estate) -> None:
    """Selectors of an EKS API or CloudFormation Fargate profile."""
    if not _field(value, "fargateProfileName", "FargateProfileName", "podExecutionRoleArn", "PodExecutionRoleArn"):
        return
    key = "selectors" if "selectors" in value else "Selectors"
    for selector_path, selector in items(value.get(key), child(path, key)):
        selector = mapping(selector)
        labels = _field(selector, "labels", "Labels")
        if isinstance(labels, list):  # CloudFormation: [{Key, Value}]
            labels = {scalar(mapping(label).get("Key")): scalar(mapping(label).get("Value")) for label in labels}
        estate.fargate_selectors.append(FargateSelector.of(
            scalar(_field(selector, "namespace", "Namespace")), mapping(labels), doc.at(selector_path)))
