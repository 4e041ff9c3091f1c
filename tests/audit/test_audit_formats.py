"""Checks across the formats people keep these documents in, as data: (case, file name, text, expected ids)."""

from __future__ import annotations

import json

import pytest

from labkit.audit import audit_text
from labkit.audit.auditor import audit_documents
from labkit.audit.sources import parse_documents

ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
WINDOWS_AFFINITY = """
apiVersion: v1
kind: Pod
metadata: {name: renderer, namespace: reporting}
spec:
  serviceAccountName: renderer-sa
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: kubernetes.io/os, operator: In, values: [windows]}]
  containers: [{name: r, image: r}]
---
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Association:
    Type: AWS::EKS::PodIdentityAssociation
    Properties: {ClusterName: prod, Namespace: reporting, ServiceAccount: renderer-sa,
                 RoleArn: "arn:aws:iam::111122223333:role/r"}
"""
CFN_FARGATE = """
Resources:
  Profile:
    Type: AWS::EKS::FargateProfile
    Properties:
      ClusterName: prod
      FargateProfileName: batch
      PodExecutionRoleArn: arn:aws:iam::111122223333:role/fargate
      Selectors: [{Namespace: batch, Labels: [{Key: tier, Value: jobs}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: job, namespace: batch, labels: {tier: jobs}}
spec: {serviceAccountName: job-sa, containers: [{name: j, image: j}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: batch, labels: {tier: web}}
spec: {serviceAccountName: web-sa, containers: [{name: w, image: w}]}
---
{"association": {"clusterName": "prod", "namespace": "batch", "serviceAccount": "job-sa", "roleArn": "r"}}
---
{"association": {"clusterName": "prod", "namespace": "batch", "serviceAccount": "web-sa", "roleArn": "r"}}
"""
ENCODED_TRUST = json.dumps({"RoleDetailList": [{
    "RoleName": "nodes",
    "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A"
                                "%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C"
                                "%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
    "AttachedManagedPolicies": [{"PolicyName": "AmazonEKS_CNI_Policy",
                                 "PolicyArn": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}]}]})
AWS_NODE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{ISSUER}"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:kube-system:aws-node",
                                   f"{ISSUER}:aud": "sts.amazonaws.com"}}}]})


def _pod_env(env: str) -> str:
    return f"""apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: apps}}
spec:
  serviceAccountName: app-sa
  containers: [{{name: c, image: c, env: {env}}}]
"""


CASES = [
    ("windows by node affinity + CloudFormation association", "a.yaml", WINDOWS_AFFINITY,
     ["association-for-windows-pod"]),
    ("CloudFormation Fargate profile selects by label", "b.yaml", CFN_FARGATE, ["association-for-fargate-pod"]),
    ("proxy with NO_PROXY as a CIDR is fine", "c.yaml",
     _pod_env('[{name: https_proxy, value: "http://p:3128"}, {name: no_proxy, value: "169.254.0.0/16"}]'), []),
    ("proxy with NO_PROXY from a ConfigMap is not judged", "d.yaml",
     _pod_env('[{name: HTTP_PROXY, value: "http://p"}, {name: NO_PROXY, valueFrom: {configMapKeyRef: {name: x, key: y}}}]'),
     []),
    ("lower-case proxy without no_proxy", "e.yaml", _pod_env('[{name: http_proxy, value: "http://p"}]'),
     ["proxy-without-agent-no-proxy"]),
    ("an access key id in a plain env value", "f.yaml", _pod_env('[{name: KEY, value: "AKIAIOSFODNN7EXAMPLE"}]'),
     ["static-keys-in-env"]),
    ("describe-instances metadata options", "g.json",
     json.dumps({"Reservations": [{"Instances": [{"MetadataOptions": {"State": "applied", "HttpTokens": "required",
                                                                      "HttpPutResponseHopLimit": 2}}]}]}),
     ["imds-hop-limit"]),
    ("IMDS switched off entirely", "h.json",
     json.dumps({"MetadataOptions": {"HttpEndpoint": "disabled", "HttpTokens": "optional"}}), []),
    ("missing HttpTokens", "i.json", json.dumps({"LaunchTemplateData": {"MetadataOptions": {"HttpPutResponseHopLimit": 1}}}),
     ["imds-v1-allowed"]),
    ("URL-encoded node role trust, CNI policy, aws-node trusted by its own role", "j.json",
     ENCODED_TRUST + "\n", []),
    ("a trust policy with no conditions at all", "k.json",
     json.dumps({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                               "Principal": {"Federated": f"arn:aws:iam::1:oidc-provider/{ISSUER}"}}}),
     ["trust-without-aud", "trust-without-sub"]),
    ("ForAnyValue:StringLike with any subject", "l.json",
     json.dumps({"Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRoleWithWebIdentity"],
                                "Principal": {"Federated": f"arn:aws:iam::1:oidc-provider/{ISSUER}"},
                                "Condition": {"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"},
                                              "ForAnyValue:StringLike": {f"{ISSUER}:sub": "*"}}}]}),
     ["broad-string-like-sub"]),
    ("Pod Identity trust with sts:* is fine", "m.json",
     json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": ["pods.eks.amazonaws.com"]},
                                "Action": "sts:*"}]}), []),
]


@pytest.mark.parametrize(("name", "text", "expected"), [(c[1], c[2], c[3]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_formats(name: str, text: str, expected: list[str]) -> None:
    report = audit_text(text, file=name, json_file=name.endswith(".json"))
    assert sorted(f.id for f in report.findings) == sorted(expected)


def test_cni_policy_needs_evidence_that_aws_node_has_its_own_role() -> None:
    node_role = parse_documents(ENCODED_TRUST, file="roles.json", json_file=True)
    assert [f.id for f in audit_documents(node_role).findings] == []
    both = node_role + parse_documents(AWS_NODE_TRUST, file="cni-trust.json", json_file=True)
    found = audit_documents(both).findings
    assert [f.id for f in found] == ["cni-policy-on-node-role"]
    assert found[0].location.path == "$.RoleDetailList[0].AttachedManagedPolicies[0]"


def test_json_that_yaml_refuses_is_still_audited_without_lines() -> None:
    # A key longer than YAML's 1,024-character limit for simple keys: valid JSON, refused as YAML.
    text = json.dumps({"k" * 1100: 1, "MetadataOptions": {"HttpTokens": "optional"}})
    report = audit_text(text, file="long-key.json", json_file=True)
    assert [(f.id, f.location.line) for f in report.findings] == [("imds-v1-allowed", None)]


def test_report_frame_and_repr() -> None:
    report = audit_text(_pod_env('[{name: AWS_ACCESS_KEY_ID, value: "x"}]'), file="p.yaml")
    frame = report.to_frame()
    assert list(frame["id"]) == ["static-keys-in-env"] and frame["line"].iloc[0] == 6
    assert repr(report) == "<Report 1 findings in 1 files>"
