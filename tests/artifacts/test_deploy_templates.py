"""The committed CDK templates deployed into the lab (labkit.sim.cloudformation): an IRSA pod and a Pod Identity
pod get their roles' credentials; a broken trust policy fails at deploy with IAM's own error; intrinsics the lab
cannot resolve fail naming the resource and the intrinsic."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from labkit.errors import LabError
from labkit.sim import Lab
from labkit.sim.cloudformation import DeployResult, ResourceFailed, deploy_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "examples" / "cdk" / "templates"
CONTEXT = json.loads((ROOT / "examples" / "cdk" / "cdk.json").read_text())["context"]
NAMESPACE, SERVICE_ACCOUNT = "production", "checkout-api-sa"
PYTHON_CALLER = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"


def template(name: str) -> dict[str, Any]:
    return json.loads((TEMPLATES / f"{name}.template.json").read_text())


def pod(name: str, namespace: str, service_account: str) -> dict[str, Any]:
    """A pod whose command is the real AWS CLI (the lab runs `aws` as awscli when installed, else boto3)."""
    try:
        import awscli  # noqa: F401
        command = ["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]
    except ImportError:
        command = ["python", "-c", PYTHON_CALLER]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"serviceAccountName": service_account, "restartPolicy": "Never",
                     "containers": [{"name": "cli", "image": "amazon/aws-cli", "command": command}]}}


@dataclass
class Deployed:
    irsa: DeployResult
    pod_identity: DeployResult
    callers: dict[str, tuple[str, dict[str, str]]]  # pod -> (caller ARN, the pod's env)


def caller(cluster: Any, manifest: dict[str, Any]) -> tuple[str, dict[str, str]]:
    run = cluster.run_pod(manifest)
    assert run.ok, run.stderr
    return run.stdout.strip(), run.env


@pytest.fixture(scope="module")
def deployed() -> Deployed:
    """The course's order: IRSA first (its pod), then Pod Identity on the same service account (a new pod)."""
    with Lab(seed=0) as lab:
        cluster = lab.create_cluster(CONTEXT["clusterName"])
        assert cluster.oidc_issuer == CONTEXT["oidcIssuer"]  # the templates were synthesized for this cluster
        cluster.add_nodegroup("workers")
        irsa = deploy_template(lab, template("CheckoutIrsa"), stack_name="CheckoutIrsa")
        role_arn = irsa.outputs["CheckoutSARoleArn"]
        cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
                       {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
                           "name": SERVICE_ACCOUNT, "namespace": NAMESPACE,
                           "annotations": {"eks.amazonaws.com/role-arn": role_arn}}},
                       {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
                           "name": "aws-node", "namespace": "kube-system",
                           "annotations": {"eks.amazonaws.com/role-arn": irsa.attributes["VpcCniRole4394D258"]["Arn"]}}}])
        callers = {"irsa": caller(cluster, pod("test-irsa", NAMESPACE, SERVICE_ACCOUNT)),
                   "vpc-cni": caller(cluster, pod("test-cni", "kube-system", "aws-node"))}
        # The template's AWS::EKS::Addon is skipped by the lab: install the agent as section 7 does.
        lab.client("eks").create_addon(clusterName=cluster.name, addonName="eks-pod-identity-agent")
        pod_identity = deploy_template(lab, template("CheckoutPodIdentity"), stack_name="CheckoutPodIdentity")
        lab.advance(seconds=60)  # the add-on becomes ACTIVE; the association takes effect
        callers["pod-identity"] = caller(cluster, pod("test-pod-id", NAMESPACE, SERVICE_ACCOUNT))
        return Deployed(irsa, pod_identity, callers)


def test_identity_resources_deploy_and_the_rest_is_listed_as_skipped(deployed: Deployed):
    assert sorted(kind for _, kind in deployed.irsa.skipped) == ["AWS::DynamoDB::Table", "AWS::S3::Bucket"]
    assert sorted(kind for _, kind in deployed.pod_identity.skipped) == ["AWS::EKS::Addon", "AWS::S3::Bucket"]
    assert len(deployed.irsa.physical_ids) == 4 and len(deployed.pod_identity.physical_ids) == 3


def test_an_irsa_pod_gets_the_checkout_role(deployed: Deployed):
    arn, env = deployed.callers["irsa"]
    assert arn.startswith("arn:aws:sts::111122223333:assumed-role/CheckoutApiIRSARole/")
    assert env["AWS_ROLE_ARN"] == deployed.irsa.outputs["CheckoutSARoleArn"]


def test_the_vpc_cni_gets_its_own_role(deployed: Deployed):
    arn, _ = deployed.callers["vpc-cni"]
    assert arn.startswith("arn:aws:sts::111122223333:assumed-role/AmazonEKSVPCCNIRole/")


def test_a_pod_identity_pod_gets_the_pod_identity_role(deployed: Deployed):
    arn, env = deployed.callers["pod-identity"]
    assert arn.startswith("arn:aws:sts::111122223333:assumed-role/CheckoutApiPodIdentityRole/eks-checkout-")
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" in env and "AWS_ROLE_ARN" not in env  # Pod Identity wins
    assert deployed.pod_identity.outputs["PodIdentityRoleArn"] == "arn:aws:iam::111122223333:role/CheckoutApiPodIdentityRole"


# -- failures ---------------------------------------------------------------------------------------------------------------
def broken_pod_identity_template() -> tuple[dict[str, Any], dict[str, Any]]:
    """The Pod Identity template with a trust statement that names a Resource (a trust policy cannot)."""
    broken = copy.deepcopy(template("CheckoutPodIdentity"))
    role = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::IAM::Role")
    role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Resource"] = "*"
    return broken, role["Properties"]["AssumeRolePolicyDocument"]


def test_a_broken_trust_policy_fails_at_deploy_with_iams_own_error():
    broken, trust = broken_pod_identity_template()
    with Lab(seed=0) as lab:
        with pytest.raises(ClientError) as direct:  # what IAM answers the same document directly
            lab.client("iam").create_role(RoleName="direct", AssumeRolePolicyDocument=json.dumps(trust))
        with pytest.raises(ResourceFailed) as failure:
            deploy_template(lab, broken)
    assert failure.value.code == "MalformedPolicyDocument" == direct.value.response["Error"]["Code"]
    assert failure.value.message == direct.value.response["Error"]["Message"]
    assert failure.value.logical_id == "CheckoutPodIdentityRoleE5D90CA1"


def minimal(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Resources": resources, **sections}


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                                                 "Action": ["sts:AssumeRole", "sts:TagSession"]}]}


def test_intrinsics_resolve_to_what_the_lab_knows():
    resources = {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": {"Fn::Sub": "${Prefix}-${AWS::Region}"}, "AssumeRolePolicyDocument": TRUST,
            "MaxSessionDuration": 7200,
            "ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/ReadOnlyAccess"]]},
                                  {"Ref": "Managed"}]}},
        "Managed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                                    "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::b-${AWS::AccountId}"}}]}}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
    }
    outputs = {"Arn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}}, "Id": {"Value": {"Fn::GetAtt": "Role.RoleId"}},
               "Literal": {"Value": {"Fn::Sub": ["${!Kept} ${Name}", {"Name": {"Ref": "Role"}}]}}}
    template = minimal(resources, Parameters={"Prefix": {"Type": "String", "Default": "checkout"}}, Outputs=outputs)
    with Lab(seed=0) as lab:
        result = deploy_template(lab, template, parameters={"Prefix": "orders"})
        role = lab.client("iam").get_role(RoleName="orders-us-east-1")["Role"]
        attached = lab.client("iam").list_attached_role_policies(RoleName="orders-us-east-1")["AttachedPolicies"]
    assert result.outputs == {"Arn": role["Arn"], "Id": role["RoleId"], "Literal": "${Kept} orders-us-east-1"}
    assert role["MaxSessionDuration"] == 7200
    assert sorted(p["PolicyArn"] for p in attached) == sorted(
        ["arn:aws:iam::aws:policy/ReadOnlyAccess", result.physical_ids["Managed"]])
    assert result.skipped == (("Queue", "AWS::SQS::Queue"),)


@pytest.mark.parametrize(("value", "says"), [
    ({"Fn::If": ["IsProd", "a", "b"]}, "Role (AWS::IAM::Role): the lab does not resolve Fn::If"),
    ({"Ref": "Nowhere"}, "Role (AWS::IAM::Role): cannot resolve Ref Nowhere (no such parameter"),
    ({"Fn::GetAtt": ["Queue", "Arn"]}, "cannot resolve Fn::GetAtt Queue.Arn (AWS::SQS::Queue is skipped by the lab"),
])
def test_what_the_lab_cannot_resolve_fails_naming_resource_and_intrinsic(value: Any, says: str):
    template = minimal({"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
                        "Role": {"Type": "AWS::IAM::Role", "Properties": {
                            "RoleName": "r", "Description": value, "AssumeRolePolicyDocument": TRUST}}})
    with Lab(seed=0) as lab, pytest.raises(LabError) as failure:
        deploy_template(lab, template)
    assert says in str(failure.value)


def test_an_association_for_a_role_in_another_account_fails_with_eks_own_error():
    template = minimal({"Association": {"Type": "AWS::EKS::PodIdentityAssociation", "Properties": {
        "ClusterName": "prod", "Namespace": "admin", "ServiceAccount": "admin-sa",
        "RoleArn": "arn:aws:iam::444455556666:role/elsewhere"}}})
    with Lab(seed=0) as lab:
        lab.create_cluster("prod")
        with pytest.raises(ResourceFailed) as failure:
            deploy_template(lab, template)
    assert failure.value.code == "InvalidParameterException"
    assert "must be in the same account as the cluster" in failure.value.message
