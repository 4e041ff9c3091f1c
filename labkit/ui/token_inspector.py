"""Token inspector: paste a JWT, read its header and claims, lifetime and times in UTC, and what looks wrong.

The model (`inspect_token`) is pure: text in, a `TokenReport` out. `TokenInspector` is the ipywidgets view.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from labkit import facts
from labkit.tokens import decode_unverified
from labkit.ui.display import CourseWidget, bullet_list, load_ipywidgets, pre

IRSA_AUDIENCE = "sts.amazonaws.com"
POD_IDENTITY_AUDIENCE = str(facts.value("eks.pod-identity-audience"))
AWS_AUDIENCES = (IRSA_AUDIENCE, POD_IDENTITY_AUDIENCE)
TIME_CLAIMS = ("iat", "nbf", "exp")
SYMMETRIC_ALGORITHMS = ("HS256", "HS384", "HS512")
_SUBJECT = re.compile(r"^system:serviceaccount:([^:]+):([^:]+)$")
EMPTY_MESSAGE = "Paste a JWT: three base64url parts separated by dots (header.payload.signature)."

Instant = int | float | datetime


@dataclass(frozen=True)
class TokenWarning:
    """Something a learner should notice about a token: a short code and a sentence."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class TokenReport:
    """What the inspector shows for one input: the decoded parts, times, lifetime and warnings, or an error."""

    header: dict[str, Any]
    claims: dict[str, Any]
    times: tuple[tuple[str, str], ...] = ()  # (claim, UTC time) for iat, nbf, exp
    lifetime: int | None = None  # exp - iat, seconds
    kind: str = ""
    warnings: tuple[TokenWarning, ...] = ()
    error: str | None = None
    now: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the input decoded as a JWT."""
        return self.error is None

    @property
    def warning_codes(self) -> tuple[str, ...]:
        """The codes of the warnings, in order."""
        return tuple(w.code for w in self.warnings)

    def summary(self) -> str:
        """One line: alg, sub and the number of warnings, or the error."""
        if not self.ok:
            return "empty" if self.error == EMPTY_MESSAGE else "invalid"
        return f"alg={self.header.get('alg')!r}, sub={self.claims.get('sub')!r}, warnings={len(self.warnings)}"

    def to_text(self) -> str:
        """The report as plain text (what the widget shows, without the HTML)."""
        if not self.ok:
            return f"Cannot decode: {self.error}"
        lines = ["Header", _pretty(self.header), "Claims", _pretty(self.claims)]
        lines += [f"{claim}: {when}" for claim, when in self.times]
        lines += [f"lifetime (exp - iat): {_duration(self.lifetime)}"] if self.lifetime is not None else []
        lines += [f"kind: {self.kind}"] if self.kind else []
        lines += ["Warnings:"] + [f"  - {w}" for w in self.warnings] if self.warnings else ["No warnings."]
        return "\n".join(lines)

    def to_html(self) -> str:
        """The report as HTML for the widget's output."""
        if not self.ok:
            return f'<p class="labkit-token-error"><b>Cannot decode:</b> {html.escape(self.error or "")}</p>'
        facts_rows = [(claim, when) for claim, when in self.times]
        if self.lifetime is not None:
            facts_rows.append(("lifetime (exp - iat)", _duration(self.lifetime)))
        if self.kind:
            facts_rows.append(("kind", self.kind))
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(v)}</code></td></tr>"
                       for k, v in facts_rows)
        warnings = (f"<p><b>Warnings</b></p>{bullet_list([str(w) for w in self.warnings], 'labkit-token-warnings')}"
                    if self.warnings else "<p>No warnings.</p>")
        return (f"<p><b>Header</b></p>{pre(_pretty(self.header))}<p><b>Claims</b></p>{pre(_pretty(self.claims))}"
                f"<table>{rows}</table>{warnings}")


def inspect_token(text: str | None, *, now: Instant | None = None) -> TokenReport:
    """Decode `text` without verifying it and collect what a learner should see; never raises on bad input."""
    at = _epoch(now)
    if not text or not text.strip():
        return TokenReport({}, {}, error=EMPTY_MESSAGE, now=at)
    try:
        decoded = decode_unverified(text)
    except ValueError as exc:  # InputError is a ValueError; so is any decoding slip we did not foresee
        return TokenReport({}, {}, error=str(exc), now=at)
    header, claims = decoded.header, decoded.claims
    return TokenReport(header, claims, times=_times(claims), lifetime=_lifetime(claims), kind=_kind(claims),
                       warnings=tuple(_warnings(header, claims, at)), now=at)


def _pretty(doc: dict[str, Any]) -> str:
    """JSON with sorted keys, so the same token always reads the same."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _epoch(now: Instant | None) -> int | None:
    """Seconds since the epoch for an int, float or datetime (naive datetimes are taken as UTC)."""
    if now is None:
        return None
    if isinstance(now, datetime):
        return int((now if now.tzinfo else now.replace(tzinfo=timezone.utc)).timestamp())
    return int(now)


def _number(value: Any) -> int | None:
    """A NumericDate claim as an int, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def utc(seconds: int) -> str:
    """An epoch time as ISO 8601 in UTC (`2026-01-15T09:00:00Z`)."""
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (out of range)"


def _times(claims: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """iat, nbf and exp as UTC times, for those present and numeric."""
    return tuple((claim, utc(seconds)) for claim in TIME_CLAIMS
                 if (seconds := _number(claims.get(claim))) is not None)


def _lifetime(claims: dict[str, Any]) -> int | None:
    """exp - iat in seconds, when both are numbers."""
    issued, expires = _number(claims.get("iat")), _number(claims.get("exp"))
    return None if issued is None or expires is None else expires - issued


def _duration(seconds: int | None) -> str:
    """`86,400 s (24 h)`."""
    if seconds is None:
        return "unknown"
    return f"{seconds:,} s ({seconds / 3600:.4g} h)" if abs(seconds) >= 60 else f"{seconds:,} s"


def _audiences(claims: dict[str, Any]) -> list[str]:
    """The aud claim as a list (JWTs allow a string or a list)."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


def _kind(claims: dict[str, Any]) -> str:
    """What the audience says the token is for."""
    audiences = _audiences(claims)
    if IRSA_AUDIENCE in audiences:
        return "IRSA token (STS AssumeRoleWithWebIdentity)"
    if POD_IDENTITY_AUDIENCE in audiences:
        return "EKS Pod Identity token (EKS Auth AssumeRoleForPodIdentity)"
    return "Kubernetes service-account token" if _SUBJECT.match(str(claims.get("sub", ""))) else ""


def _warnings(header: dict[str, Any], claims: dict[str, Any], now: int | None) -> list[TokenWarning]:
    """Every warning, in a fixed order: algorithm, audience, issuer, subject, lifetime, time."""
    return [*_algorithm_warnings(header), *_audience_warnings(claims), *_issuer_warnings(claims),
            *_subject_warnings(claims), *_lifetime_warnings(claims), *_time_warnings(claims, now)]


def _algorithm_warnings(header: dict[str, Any]) -> list[TokenWarning]:
    """Unsigned and shared-secret tokens."""
    alg = header.get("alg")
    if alg is None:
        return [TokenWarning("alg-missing", "the header names no algorithm; STS rejects the token")]
    if str(alg).lower() == "none":
        return [TokenWarning("alg-none", "alg is none: the token is unsigned and anyone can forge it; "
                                         "STS and EKS Auth reject it")]
    if alg in SYMMETRIC_ALGORITHMS:
        return [TokenWarning("alg-symmetric", f"{alg} is a shared-secret algorithm: whoever verifies can also "
                                              "mint; EKS issuers sign with RS256 and publish the public key "
                                              "in the JWKS")]
    return []


def _audience_warnings(claims: dict[str, Any]) -> list[TokenWarning]:
    """A missing audience, or one neither STS nor EKS Auth accepts."""
    audiences = _audiences(claims)
    if not audiences:
        return [TokenWarning("aud-missing", "no aud claim: STS checks aud against the OIDC provider's client IDs")]
    if not any(a in AWS_AUDIENCES for a in audiences):
        return [TokenWarning("aud-unexpected", f"aud is {', '.join(audiences)}, not {IRSA_AUDIENCE} (IRSA) or "
                                               f"{POD_IDENTITY_AUDIENCE} (Pod Identity): AWS will reject it")]
    return []


def _issuer_warnings(claims: dict[str, Any]) -> list[TokenWarning]:
    """IAM OIDC providers only accept https issuers."""
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss.startswith("https://"):
        return [TokenWarning("iss-not-https", f"iss is {iss!r}: an IAM OIDC provider URL must start with https://")]
    return []


def _subject_warnings(claims: dict[str, Any]) -> list[TokenWarning]:
    """A sub that is not a service account, or that disagrees with the kubernetes.io claim."""
    sub = claims.get("sub")
    match = _SUBJECT.match(sub) if isinstance(sub, str) else None
    if match is None:
        return [TokenWarning("sub-format", f"sub is {sub!r}, not system:serviceaccount:<namespace>:<name>; "
                                           "trust policies match on that exact form")]
    k8s = claims.get("kubernetes.io")
    if isinstance(k8s, dict):
        namespace = k8s.get("namespace")
        account = k8s.get("serviceaccount", {}).get("name") if isinstance(k8s.get("serviceaccount"), dict) else None
        if (namespace, account) != match.groups():
            return [TokenWarning("sub-mismatch", f"sub names {match[1]}/{match[2]} but kubernetes.io names "
                                                 f"{namespace}/{account}")]
    return []


def _lifetime_warnings(claims: dict[str, Any]) -> list[TokenWarning]:
    """Tokens without expiry, and AWS-audience tokens that live longer than EKS ever issues them."""
    if _number(claims.get("exp")) is None:
        return [TokenWarning("exp-missing", "no numeric exp claim: STS requires an expiry")]
    lifetime = _lifetime(claims)
    longest = int(facts.value("eks.irsa-token-expiration"))
    if lifetime is not None and lifetime > longest and any(a in AWS_AUDIENCES for a in _audiences(claims)):
        return [TokenWarning("lifetime-long", f"exp - iat is {lifetime:,} s, longer than the {longest:,} s "
                                              "EKS issues for IRSA and Pod Identity tokens")]
    return []


def _time_warnings(claims: dict[str, Any], now: int | None) -> list[TokenWarning]:
    """Expired or not yet valid at `now` (only when a time is given: the report never reads the wall clock)."""
    if now is None:
        return []
    expires, not_before = _number(claims.get("exp")), _number(claims.get("nbf"))
    if expires is not None and now >= expires:
        return [TokenWarning("expired", f"expired at {utc(expires)}, {now - expires:,} s before the time given "
                                        f"({utc(now)}): STS answers ExpiredTokenException")]
    if not_before is not None and now < not_before:
        return [TokenWarning("not-yet-valid", f"not valid before {utc(not_before)} (now {utc(now)})")]
    return []


class TokenInspector(CourseWidget):
    """A textarea for a JWT and the decoded report below it (classes labkit-token-input, labkit-token-claims)."""

    def __init__(self, token: str | None = None, *, now: Instant | None = None) -> None:
        widgets = load_ipywidgets()
        self.now = now
        self.input = widgets.Textarea(value=token or "", placeholder="eyJhbGciOi...",
                                      description="JWT", layout=widgets.Layout(width="100%", height="6em"))
        self.input.add_class("labkit-token-input")
        self.claims_output = widgets.HTML()
        self.claims_output.add_class("labkit-token-claims")
        self.root = widgets.VBox([self.input, self.claims_output])
        self.input.observe(self._render, names="value")
        self._render()

    @property
    def report(self) -> TokenReport:
        """The report for the token in the textarea now."""
        return inspect_token(self.input.value, now=self.now)

    def _render(self, change: object = None) -> None:
        """Re-render the output from the textarea."""
        self.claims_output.value = self.report.to_html()

    def __repr__(self) -> str:
        return f"TokenInspector({self.report.summary()})"
