"""The same seed gives the same visible ids: issuers, key ids, access keys, role ids, association ids."""

from __future__ import annotations

import pytest

from labkit.errors import LabError
from labkit.sim import Lab
from labkit.tokens import decode_unverified

from lab_helpers import ACCOUNT, allow, create_role, doc

POD_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                 "Action": ["sts:AssumeRole", "sts:TagSession"]})


def visible_ids(seed: int) -> dict[str, str]:
    with Lab(seed=seed) as lab:
        cluster = lab.create_cluster("demo")
        role = create_role(lab, "app", POD_TRUST, allow("s3:ListAllMyBuckets"))
        association = lab.client("eks").create_pod_identity_association(
            clusterName="demo", namespace="ns", serviceAccount="sa", roleArn=role)["association"]
        lab.advance(seconds=5)
        create_role(lab, "node", doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                      "Action": "sts:AssumeRole"}), allow("eks-auth:AssumeRoleForPodIdentity"))
        node = lab.instance_credentials(f"arn:aws:iam::{ACCOUNT}:role/node", "i-0abc")
        token = cluster.mint_token("ns", "sa", audience="pods.eks.amazonaws.com", pod="p-1", node="n-1")
        answer = lab.client("eks-auth", credentials=node).assume_role_for_pod_identity(clusterName="demo", token=token)
        return {
            "issuer": cluster.oidc_issuer,
            "kid": decode_unverified(token).header["kid"],
            "admin key": lab.account(ACCOUNT).admin.access_key_id,
            "node key": node.access_key_id,
            "role id": lab.client("iam").get_role(RoleName="app")["Role"]["RoleId"],
            "association": association["associationId"],
            "session": answer["assumedRoleUser"]["arn"],
            "pod uid": decode_unverified(token).claims["kubernetes.io"]["pod"]["uid"],
            "session key": answer["credentials"]["accessKeyId"],
        }


def test_the_same_seed_gives_the_same_ids() -> None:
    first, second = visible_ids(0), visible_ids(0)
    assert first == second


def test_another_seed_gives_other_ids() -> None:
    assert visible_ids(0)["issuer"] != visible_ids(1)["issuer"]


def test_one_lab_at_a_time_per_process() -> None:
    with Lab(seed=0):
        with pytest.raises(LabError, match="already running"):
            Lab(seed=1).start()


def test_roles_with_lab_ids_can_still_be_deleted() -> None:
    with Lab(seed=0) as lab:
        create_role(lab, "short-lived", POD_TRUST)
        lab.client("iam").delete_role(RoleName="short-lived")
        assert lab.client("iam").list_roles()["Roles"] == []


def test_a_lab_starts_once() -> None:
    lab = Lab(seed=0)
    with lab:
        pass
    with pytest.raises(LabError, match="starts once"):
        lab.start()
