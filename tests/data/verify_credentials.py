"""verify_credentials() from section 6 of the source text, copied verbatim (indentation restored).

The lab runs this file inside a pod, unchanged, and prints the dictionary as JSON.
"""

import json
import logging
import os

import boto3

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


if __name__ == "__main__":
    print(json.dumps(verify_credentials(), sort_keys=True))
