"""Pod Identity (section 5, `PodIdentityStack`): the role, the agent add-on and the association.

Difference from the course text: the trust is one statement, `ServicePrincipal(...).with_session_tags()`
(sts:AssumeRole + sts:TagSession for pods.eks.amazonaws.com), instead of a CompositePrincipal plus a second
statement that repeats the principal to add sts:TagSession.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

POD_IDENTITY_AGENT = "eks-pod-identity-agent"


class PodIdentityStack(Stack):
    """EKS Pod Identity for checkout-api: one role any cluster can reuse, associated on this one."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster_name: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config_bucket = s3.Bucket(self, "ConfigBucketPodId", bucket_name=f"checkout-config-podid-{self.account}")

        role = iam.Role(self, "CheckoutPodIdentityRole", role_name="CheckoutApiPodIdentityRole",
                        description="checkout-api via EKS Pod Identity (reusable across clusters)",
                        assumed_by=iam.ServicePrincipal("pods.eks.amazonaws.com").with_session_tags())
        config_bucket.grant_read(role)
        role.add_to_policy(iam.PolicyStatement(
            actions=["ssm:GetParameter", "ssm:GetParametersByPath"],
            resources=[f"arn:aws:ssm:{self.region}:{self.account}:parameter/checkout/*"]))

        # The association is EKS API state, not a Kubernetes object; the agent add-on must come first.
        agent = eks.CfnAddon(self, "PodIdentityAgentAddon", cluster_name=cluster_name, addon_name=POD_IDENTITY_AGENT,
                             resolve_conflicts="OVERWRITE")
        association = eks.CfnPodIdentityAssociation(self, "CheckoutPodIdAssoc", cluster_name=cluster_name,
                                                    namespace="production", service_account="checkout-api-sa",
                                                    role_arn=role.role_arn)
        association.node.add_dependency(agent)

        CfnOutput(self, "PodIdentityRoleArn", value=role.role_arn)
