"""Token inspector: the pure report for many tokens, and the widget as a learner drives it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from labkit.tokens import EXAMPLE_ISSUER, encode_unsigned, example_irsa_token
from labkit.ui import TokenInspector, inspect_token

IAT = 1768467600  # 2026-01-15T09:00:00Z, the example token's iat
SUB = "system:serviceaccount:production:checkout-api-sa"


def token(header: dict[str, Any] | None = None, **claims: Any) -> str:
    """An IRSA-shaped token with `claims` overriding (None removes a claim)."""
    body = {"aud": ["sts.amazonaws.com"], "exp": IAT + 86400, "iat": IAT, "iss": EXAMPLE_ISSUER, "sub": SUB}
    body.update(claims)
    return encode_unsigned(header or {"alg": "RS256", "kid": "k1"}, {k: v for k, v in body.items() if v is not None})


def test_example_token_decodes_with_utc_times_lifetime_and_no_warnings() -> None:
    report = inspect_token(example_irsa_token(), now=IAT + 60)
    assert report.ok and report.warnings == ()
    assert report.header["alg"] == "RS256"
    assert report.claims["sub"] == SUB
    assert report.times == (("iat", "2026-01-15T09:00:00Z"), ("nbf", "2026-01-15T09:00:00Z"),
                            ("exp", "2026-01-16T09:00:00Z"))
    assert report.lifetime == 86400
    assert report.kind.startswith("IRSA token")
    assert "lifetime (exp - iat): 86,400 s (24 h)" in report.to_text()


def test_rendering_is_deterministic_and_sorted() -> None:
    shuffled = encode_unsigned({"kid": "k1", "alg": "RS256"}, {"sub": SUB, "aud": "sts.amazonaws.com",
                                                                "iss": EXAMPLE_ISSUER, "iat": IAT, "exp": IAT + 10})
    text = inspect_token(shuffled).to_text()
    assert text == inspect_token(shuffled).to_text()
    assert text.index('"aud"') < text.index('"exp"') < text.index('"sub"')
    assert text.index('"alg"') < text.index('"kid"')


@pytest.mark.parametrize(("header", "claims", "code"), [
    ({"alg": "none"}, {}, "alg-none"),
    ({"alg": "HS256"}, {}, "alg-symmetric"),
    ({"typ": "JWT"}, {}, "alg-missing"),
    (None, {"aud": "https://kubernetes.default.svc"}, "aud-unexpected"),
    (None, {"aud": None}, "aud-missing"),
    (None, {"sub": "checkout-api-sa"}, "sub-format"),
    (None, {"sub": "system:serviceaccount:production"}, "sub-format"),
    (None, {"kubernetes.io": {"namespace": "staging", "serviceaccount": {"name": "checkout-api-sa"}}},
     "sub-mismatch"),
    (None, {"exp": None}, "exp-missing"),
    (None, {"exp": IAT + 90 * 86400}, "lifetime-long"),
    (None, {"iss": "http://issuer.example"}, "iss-not-https"),
])
def test_each_problem_gives_its_warning(header: dict[str, Any] | None, claims: dict[str, Any], code: str) -> None:
    assert inspect_token(token(header, **claims)).warning_codes == (code,)


@pytest.mark.parametrize("audience", ["sts.amazonaws.com", "pods.eks.amazonaws.com",
                                      ["pods.eks.amazonaws.com", "other"]])
def test_aws_audiences_are_accepted(audience: str | list[str]) -> None:
    assert "aud-unexpected" not in inspect_token(token(aud=audience)).warning_codes


def test_pod_identity_token_kind() -> None:
    assert inspect_token(token(aud="pods.eks.amazonaws.com")).kind.startswith("EKS Pod Identity token")


def test_expiry_is_judged_against_the_given_now_only() -> None:
    assert "expired" not in inspect_token(token()).warning_codes  # no `now`: the wall clock is never read
    assert "expired" not in inspect_token(token(), now=IAT + 86399).warning_codes
    expired = inspect_token(token(), now=IAT + 86400 + 30)
    assert expired.warning_codes == ("expired",)
    assert "30 s before" in expired.warnings[0].message and "ExpiredTokenException" in expired.warnings[0].message
    as_datetime = datetime.fromtimestamp(IAT + 86400 + 30, tz=timezone.utc)
    assert inspect_token(token(), now=as_datetime).warnings == expired.warnings
    assert inspect_token(token(), now=as_datetime.replace(tzinfo=None)).warnings == expired.warnings


def test_not_yet_valid() -> None:
    assert inspect_token(token(nbf=IAT + 100), now=IAT).warning_codes == ("not-yet-valid",)


def test_short_kubernetes_default_lifetime() -> None:
    assert inspect_token(token(exp=IAT + 3600)).lifetime == 3600
    assert "3,600 s (1 h)" in inspect_token(token(exp=IAT + 3600)).to_text()


def test_non_numeric_times_do_not_break_the_report() -> None:
    report = inspect_token(token(iat="yesterday", exp="tomorrow"))
    assert report.ok and report.lifetime is None and report.times == ()
    assert "exp-missing" in report.warning_codes


@pytest.mark.parametrize(("text", "message"), [
    ("", "Paste a JWT"),
    ("   \n", "Paste a JWT"),
    ("not-a-token", "3 dot-separated parts"),
    ("a.b.c", "not base64url JSON"),
    ("é.é.é", "not base64url JSON"),
    ("W10.e30.sig", "must be JSON objects"),  # header is [] (a JSON array)
])
def test_invalid_input_is_a_message_not_an_exception(text: str, message: str) -> None:
    report = inspect_token(text)
    assert not report.ok and message in (report.error or "")
    assert report.to_text().startswith("Cannot decode:")
    assert "Cannot decode" in report.to_html()


def test_html_escapes_claims() -> None:
    html = inspect_token(token(sub="<script>x</script>")).to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- the widget, without a browser -------------------------------------------------------------------------


def test_widget_renders_pasted_token_and_invalid_input() -> None:
    inspector = TokenInspector()
    assert "labkit-token-input" in inspector.input._dom_classes
    assert "labkit-token-claims" in inspector.claims_output._dom_classes
    assert "Paste a JWT" in inspector.claims_output.value
    inspector.input.value = example_irsa_token()
    shown = inspector.claims_output.value
    assert "checkout-api-sa" in shown and "2026-01-16T09:00:00Z" in shown
    inspector.input.value = "garbage"
    assert "Cannot decode" in inspector.claims_output.value and "Traceback" not in inspector.claims_output.value


def test_widget_uses_the_given_now() -> None:
    inspector = TokenInspector(example_irsa_token(), now=IAT + 2 * 86400)
    assert "expired at 2026-01-16T09:00:00Z" in inspector.claims_output.value


def test_widget_text_plain_is_a_short_deterministic_line() -> None:
    inspector = TokenInspector(example_irsa_token())
    bundle = inspector._repr_mimebundle_()
    assert bundle["text/plain"] == f"TokenInspector(alg='RS256', sub='{SUB}', warnings=0)"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert repr(TokenInspector()) == "TokenInspector(empty)"
    assert repr(TokenInspector("x.y")) == "TokenInspector(invalid)"
