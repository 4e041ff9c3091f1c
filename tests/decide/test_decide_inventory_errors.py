"""Bad inventories fail with an InventoryError that names the field's JSON path and its line."""

from __future__ import annotations

import pytest

from labkit.decide import parse_inventory
from labkit.errors import InventoryError

GOOD = """\
accounts:
  - name: platform
    id: "111122223333"
clusters:
  - name: prod
    account: platform
    region: us-east-1
    kubernetes_version: "1.31"
    node_kinds: [ec2-linux]
workloads:
  - name: app
    cluster: prod
    namespace: apps
    service_account: app-sa
    needs:
      - service: s3
        actions: [GetObject]
        resources: ["arn:aws:s3:::data/*"]
"""

# (what is wrong, old text, new text, JSON path, line, words in the message)
CASES = [
    ("account id too short", 'id: "111122223333"', 'id: "1234"', "$.accounts[0].id", 3, "does not match"),
    ("unknown account", "account: platform", "account: plattform", "$.clusters[0].account", 6, "unknown account"),
    ("bad platform", "region: us-east-1", "region: us-east-1\n    platform: gke", "$.clusters[0].platform", 8,
     "not one of"),
    ("bad node kind", "node_kinds: [ec2-linux]", "node_kinds: [ec2-linux, arm]", "$.clusters[0].node_kinds[1]", 9,
     "not one of"),
    ("version as a float", 'kubernetes_version: "1.31"', "kubernetes_version: 1.31x",
     "$.clusters[0].kubernetes_version", 8, "does not match"),
    ("unknown cluster", "cluster: prod", "cluster: staging", "$.workloads[0].cluster", 12, "unknown cluster"),
    ("typo in a field", "namespace: apps", "namspace: apps", "$.workloads[0]", 11, "missing required field"),
    ("unknown field", "namespace: apps", "namespace: apps\n    replicas: 3", "$.workloads[0].replicas", 14,
     "unknown field"),
    ("compute the cluster lacks", "namespace: apps", "namespace: apps\n    compute: ec2-windows",
     "$.workloads[0].compute", 14, "no ec2-windows nodes"),
    ("bad namespace", "namespace: apps", "namespace: Apps_1", "$.workloads[0].namespace", 13, "does not match"),
    ("action of another service", "actions: [GetObject]", "actions: [dynamodb:GetItem]",
     "$.workloads[0].needs[0].actions[0]", 17, "not a s3 action"),
    ("resource not an ARN", 'resources: ["arn:aws:s3:::data/*"]', "resources: [my-bucket]",
     "$.workloads[0].needs[0].resources[0]", 18, "does not match"),
    ("needs not a list", "    needs:\n      - service: s3\n        actions: [GetObject]\n"
     '        resources: ["arn:aws:s3:::data/*"]\n', "    needs: {service: s3}\n", "$.workloads[0].needs", 15,
     "expected a list"),
    ("Fargate outside EKS", "node_kinds: [ec2-linux]", "platform: eks-anywhere\n    node_kinds: [fargate]",
     "$.clusters[0].node_kinds", 10, "Fargate runs only on Amazon EKS"),
    ("target in own account", "namespace: apps", "namespace: apps\n    targets: [{account: platform, role_name: r}]",
     "$.workloads[0].targets[0].account", 14, "the cluster's own account"),
    ("unknown SDK", "namespace: apps", "namespace: apps\n    sdk: {rubyy: '3.0'}", "$.workloads[0].sdk", 14,
     "unknown SDK"),
    ("bad SDK version", "namespace: apps", "namespace: apps\n    sdk: {boto3: latest}", "$.workloads[0].sdk.boto3",
     14, "does not match"),
    ("hop limit zero", "node_kinds: [ec2-linux]", "node_kinds: [ec2-linux]\n    node_metadata: {hop_limit: 0}",
     "$.clusters[0].node_metadata.hop_limit", 10, "at least 1"),
]


def test_the_good_inventory_loads() -> None:
    assert len(parse_inventory(GOOD).workloads) == 1


@pytest.mark.parametrize(("old", "new", "path", "line", "words"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_inventory_names_field_and_line(old: str, new: str, path: str, line: int, words: str) -> None:
    assert old in GOOD
    with pytest.raises(InventoryError) as caught:
        parse_inventory(GOOD.replace(old, new, 1), file="estate.yaml")
    error = caught.value
    assert (error.path, error.line, error.file) == (path, line, "estate.yaml")
    assert words in error.message
    assert str(error).startswith(f"estate.yaml:{line}: at {path}: ")


def test_duplicate_workload_and_service_account() -> None:
    twice = GOOD + GOOD[GOOD.index("  - name: app"):].replace("- name: app", "- name: app2")
    with pytest.raises(InventoryError, match="already uses service account apps/app-sa") as caught:
        parse_inventory(twice)
    assert caught.value.path == "$.workloads[1]" and caught.value.line == 19


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(InventoryError) as caught:
        parse_inventory(GOOD.replace("node_kinds: [ec2-linux]", "node_kinds: [ec2-linux"), file="x.yaml")
    assert caught.value.line is not None and caught.value.line >= 9 and "not valid YAML" in caught.value.message


def test_missing_sections_and_wrong_root() -> None:
    with pytest.raises(InventoryError, match="missing required field 'workloads'"):
        parse_inventory(GOOD[:GOOD.index("workloads:")])
    with pytest.raises(InventoryError, match="expected a mapping"):
        parse_inventory("- a\n- b\n")
