"""SigV4 verification: parse the Authorization header and recompute the signature with botocore's own signer."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256

from botocore.auth import UNSIGNED_PAYLOAD, S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

_AUTH_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
_UNHASHED_PAYLOADS = {UNSIGNED_PAYLOAD, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}


@dataclass(frozen=True)
class SignedRequest:
    """What a SigV4 Authorization header says: who signed, for which scope, which headers, what signature."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


class MalformedSignature(ValueError):
    """The Authorization header is not a SigV4 header the lab can check."""


def parse_authorization(header: str) -> SignedRequest:
    """Split `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` into its parts."""
    match = _AUTH_HEADER.match(header.strip())
    if not match:
        raise MalformedSignature("not an AWS4-HMAC-SHA256 Authorization header")
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise MalformedSignature("the credential scope is not <key>/<date>/<region>/<service>/aws4_request")
    key, date, region, service, _ = parts
    return SignedRequest(key, date, region, service, tuple(match["signed"].split(";")), match["signature"])


def signature_matches(
    signed: SignedRequest,
    secret_access_key: str,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
) -> bool:
    """Whether `signed.signature` is the signature botocore computes for this request and secret."""
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(signed.date):
        return False
    content_sha = headers.get("x-amz-content-sha256")
    if content_sha and content_sha not in _UNHASHED_PAYLOADS and content_sha != sha256(body).hexdigest():
        return False
    request = AWSRequest(method=method, url=url, data=body,
                         headers={name: headers.get(name, "") for name in signed.signed_headers})
    request.context["timestamp"] = amz_date
    signer_class = S3SigV4Auth if signed.service == "s3" else SigV4Auth
    signer = signer_class(BotoCredentials(signed.access_key_id, secret_access_key), signed.service, signed.region)
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    return hmac.compare_digest(signer.signature(string_to_sign, request), signed.signature)
