"""Which credentials a pod really uses, asked of the SDK rather than guessed from environment variables.

The course text's verify_credentials() (verify_credentials.py) has two flaws:
- it infers the mechanism from which variables are set, but the SDK's chain decides: static keys in the env
  outrank IRSA, and IRSA outranks Pod Identity, whatever else is set;
- its node-role test looks for "assumed-role" missing from the ARN, but a node role reached through IMDS is an
  assumed role too (arn:aws:sts::<acct>:assumed-role/<NodeRole>/i-...), so the warning never fires.
botocore records which provider produced the credentials; that is the answer.
"""

import boto3

MECHANISMS = {
    "env": "Static keys in the environment (WARNING: long-lived credentials)",
    "assume-role-with-web-identity": "IRSA",
    "container-role": "Pod Identity",
    "iam-role": "Node role via IMDS (WARNING: violates least privilege)",
}


def verify_credentials() -> dict:
    """The caller's identity and the credential provider that produced it."""
    session = boto3.Session()
    credentials = session.get_credentials()
    if credentials is None:
        return {"credential_type": "none: no provider in the chain found credentials"}
    identity = session.client("sts").get_caller_identity()
    return {
        "account": identity["Account"],
        "role_arn": identity["Arn"],
        "credential_type": MECHANISMS.get(credentials.method, f"other ({credentials.method})"),
        "provider": credentials.method,
        "user_id": identity["UserId"],
    }
