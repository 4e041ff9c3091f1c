"""Trust-policy builder: namespace and service account in, the role's trust policy, its size against the quota,
and whether a sample token would pass it.

The model (`build_trust_policy`) is pure: `TrustPolicyInputs` in, `TrustPolicyResult` out, using the builders,
size accounting and evaluator of labkit.policy. `TrustPolicyBuilder` is the ipywidgets view.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from labkit.policy import evaluate, irsa_trust_policy, pod_identity_trust_policy, policy_size, validate
from labkit.policy.builders import service_account_subject
from labkit.policy.requests import pod_identity_request, web_identity_request
from labkit.policy.size import trust_policy_ceilings
from labkit.tokens import EXAMPLE_ISSUER, decode_unverified
from labkit.ui.display import CourseWidget, bullet_list, effect_badge, load_ipywidgets, pre

Mechanism = Literal["irsa", "pod-identity"]
Packing = Literal["per-sa", "per-cluster"]
MECHANISMS: tuple[Mechanism, ...] = ("irsa", "pod-identity")
PACKINGS: tuple[Packing, ...] = ("per-sa", "per-cluster")
LIMIT_LABELS = ("default", "raised, documented", "raised, 2026: verify live")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def limit_choices() -> tuple[tuple[str, int], ...]:
    """The trust-policy quotas a learner can pick: 2,048 default, 4,096 and 8,192 raised (from labkit.facts)."""
    return tuple((f"{limit:,} ({label})", limit) for limit, label in zip(trust_policy_ceilings(), LIMIT_LABELS))


@dataclass(frozen=True)
class SampleToken:
    """The claims of the token the test presents; issuer None means the policy's own issuer."""

    namespace: str = "production"
    service_account: str = "checkout-api-sa"
    audience: str = "sts.amazonaws.com"
    issuer: str | None = None

    @classmethod
    def from_jwt(cls, token: str) -> SampleToken:
        """The namespace, service account, audience and issuer of a real JWT (decoded, not verified)."""
        claims = decode_unverified(token).claims
        parts = str(claims.get("sub", "")).split(":")
        namespace, account = (parts[2], parts[3]) if len(parts) == 4 else ("", str(claims.get("sub", "")))
        aud = claims.get("aud", "")
        return cls(namespace, account, aud[0] if isinstance(aud, list) and aud else str(aud),
                   claims.get("iss") or None)

    @property
    def subject(self) -> str:
        """The token's `sub` claim."""
        return service_account_subject(self.namespace, self.service_account)


@dataclass(frozen=True)
class TrustPolicyInputs:
    """Everything the builder's controls set."""

    account_id: str = "111122223333"
    issuer: str = EXAMPLE_ISSUER
    namespace: str = "production"
    service_account: str = "checkout-api-sa"
    mechanism: Mechanism = "irsa"
    packing: Packing = "per-sa"
    audience: str = "sts.amazonaws.com"
    limit: int = 2048
    service_accounts: int = 1  # how many service accounts share the role: the named one, then <name>-2, -3, ...
    role_name: str = "checkout-api"
    token: SampleToken = field(default_factory=SampleToken)

    def bindings(self) -> list[tuple[str, str, str]]:
        """(issuer, namespace, service account) for each service account the trust policy admits."""
        names = [self.service_account] + [f"{self.service_account}-{n}" for n in range(2, self.service_accounts + 1)]
        return [(self.issuer, self.namespace, name) for name in names]

    @property
    def role_arn(self) -> str:
        """The role whose trust policy this is."""
        return f"arn:aws:iam::{self.account_id}:role/{self.role_name}"


@dataclass(frozen=True)
class TokenTest:
    """Would the sample token be allowed to assume the role: the request, the effect and the explanation."""

    request: dict[str, Any]
    effect: str
    explanation: str

    @property
    def allowed(self) -> bool:
        """Whether the trust policy lets the token in."""
        return self.effect == "Allow"


@dataclass(frozen=True)
class TrustPolicyResult:
    """What the builder shows: the policy JSON, its size against the limit, notes, and the token test."""

    inputs: TrustPolicyInputs
    policy: dict[str, Any] | None
    size: int
    problems: tuple[str, ...] = ()  # input mistakes that stop the policy from being built
    notes: tuple[str, ...] = ()
    test: TokenTest | None = None

    @property
    def policy_json(self) -> str:
        """The policy as indented JSON (IAM does not count the white space)."""
        return json.dumps(self.policy, indent=2) if self.policy is not None else ""

    @property
    def limit(self) -> int:
        """The quota the size is measured against."""
        return self.inputs.limit

    @property
    def fits(self) -> bool:
        """Whether IAM would accept the policy's size."""
        return self.size <= self.limit

    @property
    def size_text(self) -> str:
        """`412 / 2,048 characters`, plus how far over when it does not fit."""
        text = f"{self.size:,} / {self.limit:,} characters"
        return text if self.fits else f"{text}: {self.size - self.limit:,} over the limit, IAM rejects it"

    def summary(self) -> str:
        """The one-line state for text/plain: namespace, service account, size/limit."""
        i = self.inputs
        return f"namespace={i.namespace!r}, service_account={i.service_account!r}, size={self.size}/{self.limit}"

    def json_html(self) -> str:
        """The JSON block, or the input problems."""
        if self.policy is None:
            return "<p><b>Cannot build the trust policy:</b></p>" + bullet_list(self.problems)
        return pre(self.policy_json) + bullet_list(self.notes)

    def size_html(self) -> str:
        """A bar filled to size/limit, green, amber above 80 %, red over the limit, with the numbers."""
        ratio = self.size / self.limit if self.limit else 1.0
        colour = "#cf222e" if not self.fits else "#9a6700" if ratio > 0.8 else "#1a7f37"
        width = min(100.0, ratio * 100)
        return (f'<div style="border:1px solid #d0d7de;width:100%;height:0.8em">'
                f'<div style="background:{colour};width:{width:.1f}%;height:100%"></div></div>'
                f"<span>{html.escape(self.size_text)} ({ratio:.0%} of the quota)</span>")

    def test_html(self) -> str:
        """The token test: the effect and the explanation."""
        if self.test is None:
            return "<p>No token test: fix the inputs first.</p>"
        token = self.inputs.token
        return (f"<p>Token for <code>{html.escape(token.namespace)}/{html.escape(token.service_account)}</code> "
                f"(aud <code>{html.escape(token.audience)}</code>): {effect_badge(self.test.effect)}</p>"
                + pre(self.test.explanation))

    def to_text(self) -> str:
        """The whole result as plain text."""
        lines = [self.policy_json or "Cannot build the trust policy: " + "; ".join(self.problems), self.size_text]
        lines += [f"note: {note}" for note in self.notes]
        if self.test is not None:
            lines += [f"token test: {self.test.effect}", self.test.explanation]
        return "\n".join(lines)


def build_trust_policy(inputs: TrustPolicyInputs) -> TrustPolicyResult:
    """Build the trust policy for `inputs`, measure it and test the sample token against it."""
    problems = _problems(inputs)
    if problems:
        return TrustPolicyResult(inputs, None, 0, problems)
    if inputs.mechanism == "pod-identity":
        policy = pod_identity_trust_policy()
        test = _pod_identity_test(inputs, policy)
    else:
        policy = irsa_trust_policy(inputs.account_id, inputs.bindings(), audience=inputs.audience,
                                   packing=inputs.packing)
        test = _irsa_test(inputs, policy)
    issues = tuple(str(issue) for issue in validate(policy, "trust"))
    return TrustPolicyResult(inputs, policy, policy_size(policy), notes=_notes(inputs) + issues, test=test)


def _problems(inputs: TrustPolicyInputs) -> tuple[str, ...]:
    """Inputs the policy cannot be built from."""
    checks = [
        (not _ACCOUNT_ID.match(inputs.account_id), f"account id {inputs.account_id!r} is not 12 digits"),
        (inputs.limit <= 0, "the size limit must be positive"),
    ]
    if inputs.mechanism not in MECHANISMS:
        checks.append((True, f"mechanism must be one of {', '.join(MECHANISMS)}"))
    elif inputs.mechanism == "irsa":
        checks += [
            (not inputs.issuer.strip(), "the OIDC issuer is empty"),
            (not inputs.namespace.strip(), "the namespace is empty"),
            (not inputs.service_account.strip(), "the service account is empty"),
            (":" in inputs.namespace + inputs.service_account, "names cannot contain ':' (the sub separator)"),
            (inputs.service_accounts < 1, "at least one service account shares the role"),
            (not inputs.audience.strip(), "the audience is empty"),
            (inputs.packing not in PACKINGS, f"packing must be one of {', '.join(PACKINGS)}"),
        ]
    return tuple(message for failed, message in checks if failed)


def _notes(inputs: TrustPolicyInputs) -> tuple[str, ...]:
    """What the learner should notice about the policy just built."""
    if inputs.mechanism == "pod-identity":
        return ("Pod Identity's trust policy names no namespace or service account: the association (cluster, "
                "namespace, service account -> role) binds them, so its size does not grow with service accounts.",)
    notes = []
    if "*" in inputs.namespace + inputs.service_account or "?" in inputs.namespace + inputs.service_account:
        notes.append("A wildcard in the subject: the :sub test uses StringLike (StringEquals never expands *).")
    if inputs.service_accounts > 1:
        notes.append(f"{inputs.service_accounts} service accounts, packed {inputs.packing}: per-sa repeats the "
                     "whole statement for each, per-cluster lists the subjects in one statement.")
    return tuple(notes)


def _irsa_test(inputs: TrustPolicyInputs, policy: dict[str, Any]) -> TokenTest:
    """AssumeRoleWithWebIdentity as STS asks IAM: the provider as Federated principal, sub and aud as context."""
    token = inputs.token
    request = web_identity_request(inputs.role_arn, token.issuer or inputs.issuer, namespace=token.namespace,
                                   service_account=token.service_account, audience=token.audience,
                                   provider_account=inputs.account_id)
    decision = evaluate(request, resource_policy=policy)
    return TokenTest(request, decision.effect, decision.explain())


def _pod_identity_test(inputs: TrustPolicyInputs, policy: dict[str, Any]) -> TokenTest:
    """EKS Auth assumes the role for the pod: AssumeRole and TagSession by the pods.eks.amazonaws.com service."""
    decisions = [evaluate(pod_identity_request(inputs.role_arn, action), resource_policy=policy)
                 for action in ("sts:AssumeRole", "sts:TagSession")]
    denied = [d for d in decisions if not d.allowed]
    effect = denied[0].effect if denied else "Allow"
    explanation = "\n".join(d.explain() for d in decisions) + (
        f"\nWhich pods get the role is decided by the association for {inputs.token.namespace}/"
        f"{inputs.token.service_account}, not by this trust policy.")
    return TokenTest(pod_identity_request(inputs.role_arn), effect, explanation)


class TrustPolicyBuilder(CourseWidget):
    """Controls for the inputs; live JSON (labkit-trust-json), size bar (labkit-trust-size) and token test."""

    def __init__(self, account_id: str = "111122223333", issuer: str = EXAMPLE_ISSUER,
                 namespace: str = "production", service_account: str = "checkout-api-sa", *,
                 mechanism: Mechanism = "irsa", packing: Packing = "per-sa", audience: str = "sts.amazonaws.com",
                 limit: int = 2048, service_accounts: int = 1, role_name: str = "checkout-api",
                 token: str | SampleToken | None = None) -> None:
        widgets = load_ipywidgets()
        sample = (SampleToken.from_jwt(token) if isinstance(token, str)
                  else token or SampleToken(namespace, service_account, audience))
        self._fixed = TrustPolicyInputs(account_id, issuer, role_name=role_name, token=sample)
        style = {"description_width": "8em"}

        def text(**kwargs: Any) -> Any:
            return widgets.Text(style=style, **kwargs)

        self.namespace = _classed(text(value=namespace, description="namespace"), "labkit-trust-namespace")
        self.service_account = _classed(text(value=service_account, description="service account"),
                                        "labkit-trust-service-account")
        self.mechanism = widgets.ToggleButtons(options=[("IRSA", "irsa"), ("Pod Identity", "pod-identity")],
                                               value=mechanism, description="mechanism",
                                               style={**style, "button_width": "8em"})
        self.packing = widgets.Dropdown(options=list(PACKINGS), value=packing, description="packing", style=style)
        self.audience = text(value=audience, description="audience")
        choices = list(limit_choices())
        if limit not in (value for _, value in choices):
            choices.append((f"{limit:,} (custom)", limit))
        self.limit = widgets.Dropdown(options=choices, value=limit, description="limit", style=style,
                                      layout=widgets.Layout(width="24em"))
        self.service_accounts = widgets.BoundedIntText(value=service_accounts, min=1, max=200,
                                                       description="how many SAs", style=style)
        self.token_namespace = text(value=sample.namespace, description="token ns")
        self.token_service_account = text(value=sample.service_account, description="token SA")
        self.token_audience = text(value=sample.audience, description="token aud")
        self.json_output = _classed(widgets.HTML(), "labkit-trust-json")
        self.size_bar = _classed(widgets.HTML(), "labkit-trust-size")
        self.test_output = _classed(widgets.HTML(), "labkit-trust-test")
        self.root = self._layout(widgets)
        for control in self._controls():
            control.observe(self._render, names="value")
        self._render()

    def _controls(self) -> list[Any]:
        """Every input control, in display order."""
        return [self.namespace, self.service_account, self.mechanism, self.packing, self.audience, self.limit,
                self.service_accounts, self.token_namespace, self.token_service_account, self.token_audience]

    def _layout(self, widgets: Any) -> Any:
        """Inputs on the left, policy and size on the right, the token test below."""
        inputs = widgets.VBox(self._controls()[:7], layout=widgets.Layout(flex="0 0 30em"))
        output = widgets.VBox([self.size_bar, self.json_output], layout=widgets.Layout(flex="1 1 auto", min_width="0"))
        token = widgets.VBox([widgets.HTML("<b>Test a token</b>"), *self._controls()[7:], self.test_output])
        return widgets.VBox([widgets.HBox([inputs, output]), token])

    @property
    def inputs(self) -> TrustPolicyInputs:
        """The model's inputs as the controls set them now."""
        sample = replace(self._fixed.token, namespace=self.token_namespace.value,
                         service_account=self.token_service_account.value, audience=self.token_audience.value)
        return replace(self._fixed, namespace=self.namespace.value, service_account=self.service_account.value,
                       mechanism=self.mechanism.value, packing=self.packing.value, audience=self.audience.value,
                       limit=self.limit.value, service_accounts=self.service_accounts.value, token=sample)

    @property
    def result(self) -> TrustPolicyResult:
        """The model's output for the current inputs."""
        return build_trust_policy(self.inputs)

    def _render(self, change: object = None) -> None:
        """Re-render the outputs from the controls."""
        result = self.result
        self.json_output.value = result.json_html()
        self.size_bar.value = result.size_html()
        self.test_output.value = result.test_html()

    def __repr__(self) -> str:
        return f"TrustPolicyBuilder({self.result.summary()})"


def _classed(widget: Any, css_class: str) -> Any:
    """The widget with a CSS class the browser tests look for."""
    widget.add_class(css_class)
    return widget
