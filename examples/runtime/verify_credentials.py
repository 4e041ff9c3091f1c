"""
Código da aplicação que usa credenciais injetadas via IRSA ou Pod Identity.
Nenhuma modificação é necessária no código — o AWS SDK usa a default credential chain.
"""
# Section 6 of the course's source text, verbatim: only the indentation (lost in the text) is restored.
# Notebook 07 runs it unchanged inside lab pods; verify_credentials_fixed.py is the corrected detector.
import os
import boto3
import json
import logging

logger = logging.getLogger(__name__)

# SDK usa automaticamente:
# IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE
# Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
# Nenhuma linha de código extra necessária para IRSA ou Pod Identity


def verify_credentials() -> dict:
    """
    Verifica qual identidade o pod está usando.
    Útil para debugging e asserting em testes.
    """
    sts = boto3.client("sts")
    identity = sts.get_caller_identity()

    # Identifica se está usando IRSA, Pod Identity ou node role
    role_arn = identity["Arn"]
    account = identity["Account"]

    credential_type = "unknown"
    if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        credential_type = "IRSA"
    elif os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        credential_type = "Pod Identity"
    elif "assumed-role" not in role_arn:
        credential_type = "Node Role (WARNING: violates least privilege)"

    return {
        "account": account,
        "role_arn": role_arn,
        "credential_type": credential_type,
        "user_id": identity["UserId"],
    }


def access_s3_with_irsa(bucket_name: str, key: str) -> str:
    """Lê objeto do S3. Usa credenciais injetadas automaticamente."""
    s3 = boto3.client("s3")
    response = s3.get_object(Bucket=bucket_name, Key=key)
    content = response["Body"].read().decode("utf-8")
    logger.info("S3 read successful: s3://%s/%s", bucket_name, key)
    return content


def access_dynamodb_with_irsa(table_name: str, item_key: dict) -> dict | None:
    """Lê item do DynamoDB."""
    dynamodb = boto3.resource("dynamodb")
    table = dynamodb.Table(table_name)
    response = table.get_item(Key=item_key)
    return response.get("Item")


def get_ssm_param(name: str) -> str:
    """Lê parâmetro SSM. Credenciais via IRSA/Pod Identity."""
    ssm = boto3.client("ssm")
    response = ssm.get_parameter(Name=name, WithDecryption=True)
    return response["Parameter"]["Value"]


def get_secret(secret_arn: str) -> dict:
    """Lê secret do Secrets Manager."""
    sm = boto3.client("secretsmanager")
    response = sm.get_secret_value(SecretId=secret_arn)
    return json.loads(response["SecretString"])


# Lambda handler / app init
def app_init():
    """Chamado no startup da aplicação para verificar configuração."""
    creds = verify_credentials()
    if creds["credential_type"] == "Node Role (WARNING: violates least privilege)":
        logger.error("SECURITY WARNING: pod is using node IAM role — configure IRSA or Pod Identity")
    logger.info(
        "Running as: %s (%s) in account %s",
        creds["role_arn"],
        creds["credential_type"],
        creds["account"],
    )


# Verificação de ABAC com Pod Identity session tags
def check_abac_access_example() -> None:
    """
    Pod Identity injeta session tags no role assumption:
    aws:RequestedRegion, eks-cluster-name, kubernetes-namespace,
    kubernetes-service-account

    Exemplo de policy IAM que usa ABAC para restringir acesso a bucket
    por namespace (sem precisar de um role por namespace):
    {
    "Effect": "Allow",
    "Action": ["s3:GetObject", "s3:PutObject"],
    "Resource": "arn:aws:s3:::checkout-data-${aws:PrincipalTag/kubernetes-namespace}/*"
    }

    Com isso, um role único pode ser usado por SAs em namespaces diferentes,
    mas cada SA só acessa o prefixo do seu próprio namespace.
    """
    pass
