"""Small inventories for tests, built as dicts and read through the real YAML loader."""

from __future__ import annotations

from typing import Any

import yaml

from labkit.decide import parse_inventory
from labkit.decide.inventory import Inventory

ACCOUNT = {"name": "platform", "id": "111122223333"}


def cluster(name: str = "prod", **fields: Any) -> dict[str, Any]:
    """An EKS cluster with Linux EC2 nodes unless fields say otherwise."""
    return {"name": name, "account": "platform", "region": "us-east-1", "platform": "eks",
            "kubernetes_version": "1.31", "node_kinds": ["ec2-linux"], **fields}


def workload(name: str = "app", cluster_name: str = "prod", **fields: Any) -> dict[str, Any]:
    """A workload with one S3 need."""
    return {"name": name, "cluster": cluster_name, "namespace": fields.pop("namespace", "apps"),
            "service_account": fields.pop("service_account", f"{name}-sa"),
            "needs": [{"service": "s3", "actions": ["GetObject"], "resources": ["arn:aws:s3:::data/*"]}],
            **fields}


def inventory(clusters: list[dict[str, Any]] | None = None, workloads: list[dict[str, Any]] | None = None,
              **sections: Any) -> Inventory:
    """An Inventory parsed from YAML text, as a user's file would be."""
    doc = {"accounts": sections.pop("accounts", [ACCOUNT]), "clusters": clusters or [cluster()],
           "workloads": workloads if workloads is not None else [workload()], **sections}
    return parse_inventory(yaml.safe_dump(doc, sort_keys=False), file="test.yaml")
