"""IRSA (section 5, `IrsaStack`): the cluster's IAM OIDC provider, the checkout role and the VPC CNI role.

Differences from the course text, and why:
- `cluster.add_service_account(...)` needs an `eks.Cluster` (a kubectl Lambda: an asset, and a new cluster).
  Here the role is built as add_service_account builds it (a web-identity trust pinning `:aud` and `:sub`),
  and the ServiceAccount and Deployment are the manifests in examples/manifests/course-irsa.yaml.
- The OIDC provider is `iam.OidcProviderNative` (AWS::IAM::OIDCProvider, no custom-resource Lambda); IAM
  no longer needs a thumbprint for EKS issuers.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

STS_AUDIENCE = "sts.amazonaws.com"


class IrsaStack(Stack):
    """IRSA: IAM roles for service accounts of one cluster (given by name and OIDC issuer)."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster_name: str, oidc_issuer: str,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.cluster_name = cluster_name
        config_bucket = s3.Bucket(self, "ConfigBucket", bucket_name=f"checkout-config-{self.account}")
        orders_table = dynamodb.Table(self, "OrdersTable", table_name="orders",
                                      partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING))
        provider = iam.OidcProviderNative(self, "ClusterOidcProvider", url=oidc_issuer, client_ids=[STS_AUDIENCE])
        issuer_host = oidc_issuer.removeprefix("https://")

        checkout_role = self.service_account_role("CheckoutApiRole", "CheckoutApiIRSARole", provider, issuer_host,
                                                  "production", "checkout-api-sa")
        config_bucket.grant_read(checkout_role)
        orders_table.grant_read_write_data(checkout_role)
        checkout_role.add_to_policy(iam.PolicyStatement(
            actions=["ssm:GetParameter", "ssm:GetParametersByPath"],
            resources=[f"arn:aws:ssm:{self.region}:{self.account}:parameter/checkout/prod/*"]))
        checkout_role.add_to_policy(iam.PolicyStatement(
            actions=["secretsmanager:GetSecretValue"],
            resources=[f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:checkout/prod/db*"]))

        # The VPC CNI gets its own role, so that AmazonEKS_CNI_Policy can leave the node role.
        cni_role = self.service_account_role("VpcCniRole", "AmazonEKSVPCCNIRole", provider, issuer_host,
                                             "kube-system", "aws-node")
        cni_role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AmazonEKS_CNI_Policy"))

        CfnOutput(self, "CheckoutSARoleArn", value=checkout_role.role_arn,
                  description="IAM role ARN for the checkout-api ServiceAccount (its eks.amazonaws.com/role-arn)")

    def service_account_role(self, construct_id: str, role_name: str, provider: iam.IOidcProvider, issuer_host: str,
                             namespace: str, service_account: str) -> iam.Role:
        """A role only `namespace/service_account` of this cluster can assume, as add_service_account makes it."""
        principal = iam.OpenIdConnectPrincipal(provider, conditions={"StringEquals": {
            f"{issuer_host}:aud": STS_AUDIENCE,
            f"{issuer_host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
        }})
        return iam.Role(self, construct_id, role_name=role_name, assumed_by=principal,
                        description=f"IRSA role for {namespace}/{service_account} on {self.cluster_name}")
