"""AWS error answers of the lab: classes named after the AWS codes, message templates written once.

Authentication failures and AccessDenied have a different code per protocol (STS says `ExpiredToken`, DynamoDB
`ExpiredTokenException`, S3 `InvalidAccessKeyId` where STS says `InvalidClientTokenId`); `auth_error` and
`access_denied` pick the code the service really uses.
"""

from __future__ import annotations

from labkit.errors import AwsError

QUERY, JSON, REST_JSON, REST_XML = "query", "json", "rest-json", "rest-xml"

# Messages, as the services write them.
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
MISSING_AUTH_MESSAGE = "Request is missing Authentication Token"
S3_UNKNOWN_KEY_MESSAGE = "The AWS Access Key Id you provided does not exist in our records."
S3_BAD_TOKEN_MESSAGE = "The provided token is malformed or otherwise invalid."
S3_EXPIRED_MESSAGE = "The provided token has expired."
S3_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your key and "
    "signing method."
)
NOT_AUTHORIZED = "User: {principal} is not authorized to perform: {action}{on_resource}{reason}"

# meaning -> protocol -> (code, HTTP status, message)
_AUTH_ERRORS: dict[str, dict[str, tuple[str, int, str]]] = {
    "unknown-key": {
        QUERY: ("InvalidClientTokenId", 403, INVALID_TOKEN_MESSAGE),
        JSON: ("UnrecognizedClientException", 400, INVALID_TOKEN_MESSAGE),
        REST_JSON: ("UnrecognizedClientException", 403, INVALID_TOKEN_MESSAGE),
        REST_XML: ("InvalidAccessKeyId", 403, S3_UNKNOWN_KEY_MESSAGE),
    },
    "bad-token": {
        QUERY: ("InvalidClientTokenId", 403, INVALID_TOKEN_MESSAGE),
        JSON: ("UnrecognizedClientException", 400, INVALID_TOKEN_MESSAGE),
        REST_JSON: ("UnrecognizedClientException", 403, INVALID_TOKEN_MESSAGE),
        REST_XML: ("InvalidToken", 400, S3_BAD_TOKEN_MESSAGE),
    },
    "bad-signature": {
        QUERY: ("SignatureDoesNotMatch", 403, SIGNATURE_MESSAGE),
        JSON: ("InvalidSignatureException", 400, SIGNATURE_MESSAGE),
        REST_JSON: ("InvalidSignatureException", 403, SIGNATURE_MESSAGE),
        REST_XML: ("SignatureDoesNotMatch", 403, S3_SIGNATURE_MESSAGE),
    },
    "expired": {
        QUERY: ("ExpiredToken", 403, EXPIRED_TOKEN_MESSAGE),
        JSON: ("ExpiredTokenException", 400, EXPIRED_TOKEN_MESSAGE),
        REST_JSON: ("ExpiredTokenException", 403, EXPIRED_TOKEN_MESSAGE),
        REST_XML: ("ExpiredToken", 400, S3_EXPIRED_MESSAGE),
    },
    "request-expired": {  # a presigned URL past its X-Amz-Expires
        QUERY: ("AccessDenied", 403, "Request has expired"),
        JSON: ("AccessDeniedException", 400, "Request has expired"),
        REST_JSON: ("AccessDeniedException", 403, "Request has expired"),
        REST_XML: ("AccessDenied", 403, "Request has expired"),
    },
    "missing": {
        QUERY: ("MissingAuthenticationToken", 403, MISSING_AUTH_MESSAGE),
        JSON: ("MissingAuthenticationTokenException", 400, MISSING_AUTH_MESSAGE),
        REST_JSON: ("MissingAuthenticationTokenException", 403, MISSING_AUTH_MESSAGE),
        REST_XML: ("AccessDenied", 403, "Access Denied"),
    },
}

# protocol -> (code, status) of "not authorized"; services that differ are listed by name.
_ACCESS_DENIED = {QUERY: ("AccessDenied", 403), JSON: ("AccessDeniedException", 400),
                  REST_JSON: ("AccessDeniedException", 403), REST_XML: ("AccessDenied", 403)}
_ACCESS_DENIED_BY_SERVICE = {"sns": ("AuthorizationError", 403), "eks-auth": ("AccessDeniedException", 400)}


def auth_error(meaning: str, protocol: str) -> AwsError:
    """The authentication failure `meaning` (unknown-key, bad-token, bad-signature, expired, request-expired,
    missing)."""
    code, status, message = _AUTH_ERRORS[meaning][protocol]
    return AwsError(code, message, status)


def access_denied(service: str, protocol: str, message: str) -> AwsError:
    """The service's own AccessDenied answer carrying `message`."""
    code, status = _ACCESS_DENIED_BY_SERVICE.get(service) or _ACCESS_DENIED[protocol]
    return AwsError(code, message, status)


def not_authorized_message(principal: str, action: str, resource: str | None, reason: str, *,
                           quote_resource: bool = False) -> str:
    """`User: <arn> is not authorized to perform: <action> on resource: <arn> <reason>` (AWS's wording)."""
    on_resource = ""
    if resource and resource != "*":  # account-level actions name no resource
        on_resource = f' on resource: "{resource}"' if quote_resource else f" on resource: {resource}"
    reason = f" {reason}" if reason else ""
    return NOT_AUTHORIZED.format(principal=principal, action=action, on_resource=on_resource, reason=reason)


class _FixedCode(AwsError):
    """An AWS error whose code and HTTP status are the same in every protocol that has it."""

    CODE = "InternalFailure"
    STATUS = 500

    def __init__(self, message: str) -> None:
        super().__init__(self.CODE, message, self.STATUS)


class AccessDenied(_FixedCode):
    """STS/IAM: the request is not allowed."""

    CODE, STATUS = "AccessDenied", 403


class InvalidIdentityToken(_FixedCode):
    """STS: the web identity token is not valid."""

    CODE, STATUS = "InvalidIdentityToken", 400


class ExpiredTokenException(_FixedCode):
    """STS web identity / EKS Auth: token expired."""

    CODE, STATUS = "ExpiredTokenException", 400


class IDPRejectedClaim(_FixedCode):
    """STS: the identity provider rejected a claim."""

    CODE, STATUS = "IDPRejectedClaim", 403


class IDPCommunicationError(_FixedCode):
    """STS: the issuer's keys could not be fetched."""

    CODE, STATUS = "IDPCommunicationError", 400


class InvalidParameterValue(_FixedCode):
    """A parameter value is not valid."""

    CODE, STATUS = "InvalidParameterValue", 400


class ValidationError(_FixedCode):
    """STS/IAM: the input fails a constraint."""

    CODE, STATUS = "ValidationError", 400


class MalformedPolicyDocument(_FixedCode):
    """IAM/STS: the policy is not valid."""

    CODE, STATUS = "MalformedPolicyDocument", 400


class LimitExceeded(_FixedCode):
    """IAM: a quota would be exceeded."""

    CODE, STATUS = "LimitExceeded", 409


class PackedPolicyTooLarge(_FixedCode):
    """STS: session policy and tags too large."""

    CODE, STATUS = "PackedPolicyTooLarge", 400


class NoSuchEntity(_FixedCode):
    """IAM: the entity does not exist."""

    CODE, STATUS = "NoSuchEntity", 404


class InvalidInput(_FixedCode):
    """IAM: an input is not valid."""

    CODE, STATUS = "InvalidInput", 400


# EKS / EKS Auth (rest-json; the code travels in x-amzn-ErrorType)

class ResourceNotFoundException(_FixedCode):
    """EKS: no such resource."""

    CODE, STATUS = "ResourceNotFoundException", 404


class ResourceInUseException(_FixedCode):
    """EKS: the resource already exists."""

    CODE, STATUS = "ResourceInUseException", 409


class InvalidParameterException(_FixedCode):
    """EKS: a parameter is not valid."""

    CODE, STATUS = "InvalidParameterException", 400


class InvalidRequestException(_FixedCode):
    """EKS: the request is not valid."""

    CODE, STATUS = "InvalidRequestException", 400


class ResourceLimitExceededException(_FixedCode):
    """EKS: a quota is reached."""

    CODE, STATUS = "ResourceLimitExceededException", 400


class InvalidTokenException(_FixedCode):
    """EKS Auth: the pod token is not valid."""

    CODE, STATUS = "InvalidTokenException", 400


class AccessDeniedException(_FixedCode):
    """EKS Auth: the request is not allowed."""

    CODE, STATUS = "AccessDeniedException", 400
