"""SigV4 verification: parse the Authorization header (or a presigned URL) and recompute the signature with
botocore's own signer."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from typing import Any
from urllib.parse import parse_qsl

from botocore.auth import UNSIGNED_PAYLOAD, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

_AUTH_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
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
    amz_date: str = ""  # the X-Amz-Date signed over (header, or query for a presigned URL)
    security_token: str | None = None
    expires: int | None = None  # X-Amz-Expires of a presigned URL; None for header signatures

    @property
    def presigned(self) -> bool:
        """Whether the signature travels in the query string (a presigned URL)."""
        return self.expires is not None

    def expired(self, now: datetime) -> bool:
        """Whether a presigned URL's lifetime has passed at `now` (host time: botocore signs with it)."""
        if self.expires is None:
            return False
        signed_at = datetime.strptime(self.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        return now > signed_at + timedelta(seconds=self.expires)


class MalformedSignature(ValueError):
    """The Authorization header is not a SigV4 header the lab can check."""


def parse_authorization(headers: Mapping[str, str]) -> SignedRequest:
    """Split `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` into its parts."""
    match = _AUTH_HEADER.match(headers.get("authorization", "").strip())
    if not match:
        raise MalformedSignature("not an AWS4-HMAC-SHA256 Authorization header")
    return _signed(match["credential"], match["signed"], match["signature"], amz_date=headers.get("x-amz-date", ""),
                   security_token=headers.get("x-amz-security-token"))


def parse_presigned(query: str) -> SignedRequest:
    """The SigV4 parts of a presigned URL's query string."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or not _SIGNATURE.match(params.get("X-Amz-Signature", "")):
        raise MalformedSignature("not a SigV4 presigned URL")
    try:
        expires = int(params.get("X-Amz-Expires", ""))
    except ValueError:
        raise MalformedSignature("X-Amz-Expires is not a number") from None
    return _signed(params.get("X-Amz-Credential", ""), params.get("X-Amz-SignedHeaders", ""),
                   params["X-Amz-Signature"], amz_date=params.get("X-Amz-Date", ""),
                   security_token=params.get("X-Amz-Security-Token"), expires=expires)


def _signed(credential: str, signed_headers: str, signature: str, **extra: Any) -> SignedRequest:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise MalformedSignature("the credential scope is not <key>/<date>/<region>/<service>/aws4_request")
    key, date, region, service, _ = parts
    return SignedRequest(key, date, region, service, tuple(signed_headers.split(";")), signature, **extra)


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
    if not signed.amz_date.startswith(signed.date):
        return False
    content_sha = headers.get("x-amz-content-sha256")
    if content_sha and content_sha not in _UNHASHED_PAYLOADS and content_sha != sha256(body).hexdigest():
        return False
    if signed.presigned:  # the signature was appended last to the query it signs
        url = url.replace(f"&X-Amz-Signature={signed.signature}", "")
    request = AWSRequest(method=method, url=url, data=body,
                         headers={name: headers.get(name, "") for name in signed.signed_headers})
    request.context["timestamp"] = signed.amz_date
    credentials = BotoCredentials(signed.access_key_id, secret_access_key)
    if signed.presigned:
        query_signer = S3SigV4QueryAuth if signed.service == "s3" else SigV4QueryAuth
        signer: SigV4Auth = query_signer(credentials, signed.service, signed.region, expires=signed.expires)
    else:
        signer = (S3SigV4Auth if signed.service == "s3" else SigV4Auth)(credentials, signed.service, signed.region)
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    return hmac.compare_digest(signer.signature(string_to_sign, request), signed.signature)
