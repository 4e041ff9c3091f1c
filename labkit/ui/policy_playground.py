"""Policy playground: edit a policy, an action, a resource and context keys; see the Decision and its reasons,
or the validation issues (with JSON paths and lines) when the policy is malformed.

The model (`evaluate_playground`) is pure: `PlaygroundInputs` in, `PlaygroundResult` out, through
labkit.policy's `validate` and `evaluate`. `PolicyPlayground` is the ipywidgets view.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from labkit.policy import Decision, Issue, abac_policy, evaluate, validate
from labkit.ui.display import CourseWidget, bullet_list, effect_badge, load_ipywidgets, pre

PolicyKind = Literal["identity", "resource", "trust"]
KIND_CHOICES: tuple[tuple[str, PolicyKind], ...] = (
    ("identity policy (attached to the caller)", "identity"),
    ("resource policy (on the resource)", "resource"),
    ("trust policy (on a role)", "trust"),
)
DEFAULT_POLICY = json.dumps(
    abac_policy("s3:GetObject", "arn:aws:s3:::team-${aws:PrincipalTag/kubernetes-namespace}/*", sid="TeamBucket"),
    indent=2)
DEFAULT_ACTION = "s3:GetObject"
DEFAULT_RESOURCE = "arn:aws:s3:::team-payments/report.csv"
DEFAULT_CONTEXT = "aws:PrincipalTag/kubernetes-namespace=payments"
# A Pod Identity role session: EKS Auth names sessions eks-<cluster>-<pod>-<uid>.
DEFAULT_PRINCIPAL = "arn:aws:sts::111122223333:assumed-role/team-reader/eks-prod-payments-api"


@dataclass(frozen=True)
class PlaygroundInputs:
    """The playground's fields as text, the way a learner types them."""

    policy: str = DEFAULT_POLICY
    action: str = DEFAULT_ACTION
    resource: str = DEFAULT_RESOURCE
    context: str = DEFAULT_CONTEXT  # key=value per line; a key on several lines gives a list of values
    principal: str = DEFAULT_PRINCIPAL  # the caller's ARN (or a service / OIDC provider); empty for none
    kind: PolicyKind = "identity"


@dataclass(frozen=True)
class PlaygroundResult:
    """The Decision, or why there is none: policy issues (with JSON paths) and input mistakes."""

    inputs: PlaygroundInputs
    decision: Decision | None
    issues: tuple[Issue, ...] = ()
    input_errors: tuple[str, ...] = ()

    @property
    def effect(self) -> str:
        """Allow, ExplicitDeny or ImplicitDeny; `invalid policy` or `invalid input` when not evaluated."""
        if self.decision is not None:
            return self.decision.effect
        return "invalid policy" if any(i.severity == "error" for i in self.issues) else "invalid input"

    def summary(self) -> str:
        """The one-line state for text/plain."""
        return f"action={self.inputs.action!r}, effect={self.effect!r}"

    def to_text(self) -> str:
        """The result as plain text."""
        lines = [self.decision.explain()] if self.decision is not None else [f"Not evaluated: {self.effect}"]
        lines += [f"issue: {issue}" for issue in self.issues]
        lines += [f"input: {error}" for error in self.input_errors]
        return "\n".join(lines)

    def to_html(self) -> str:
        """The result for the widget: effect, explanation, then issues and input mistakes."""
        if self.decision is not None:
            head = f"<p>{effect_badge(self.decision.effect)}: {html.escape(self.decision.reason)}</p>"
            body = pre(self.decision.explain())
        else:
            head, body = f"<p><b>Not evaluated</b> ({html.escape(self.effect)})</p>", ""
        issues = ("<p><b>Policy issues</b></p>" + bullet_list([str(i) for i in self.issues], "labkit-policy-issues")
                  if self.issues else "")
        errors = "<p><b>Input</b></p>" + bullet_list(self.input_errors) if self.input_errors else ""
        return head + issues + errors + body


def parse_context(text: str) -> tuple[dict[str, str | list[str]], tuple[str, ...]]:
    """`key=value` lines as a context mapping (repeated keys collect a list), and the lines that are not."""
    context: dict[str, str | list[str]] = {}
    errors = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if not equals or not key.strip():
            errors.append(f"context line {number}: {line!r} is not key=value")
            continue
        key, value = key.strip(), value.strip()
        previous = context.get(key)
        context[key] = value if previous is None else [*([previous] if isinstance(previous, str) else previous),
                                                       value]
    return context, tuple(errors)


def format_context(context: Mapping[str, str | list[str] | tuple[str, ...]] | str | None) -> str:
    """A context mapping as the key=value lines the playground edits (keys sorted, for stable output)."""
    if context is None or isinstance(context, str):
        return context or ""
    lines = []
    for key in sorted(context):
        values = context[key]
        lines += [f"{key}={v}" for v in ([values] if isinstance(values, str) else values)]
    return "\n".join(lines)


def evaluate_playground(inputs: PlaygroundInputs) -> PlaygroundResult:
    """Validate the policy and, when IAM would accept it, evaluate the request against it."""
    issues = tuple(validate(inputs.policy, inputs.kind))
    context, input_errors = parse_context(inputs.context)
    input_errors += tuple(f"{name} is empty" for name, value in (("action", inputs.action),
                                                                  ("resource", inputs.resource)) if not value.strip())
    if any(issue.severity == "error" for issue in issues) or input_errors:
        return PlaygroundResult(inputs, None, issues, input_errors)
    request: dict[str, Any] = {"action": inputs.action.strip(), "resource": inputs.resource.strip(),
                               "context": context}
    if inputs.principal.strip():
        request["principal"] = inputs.principal.strip()
    try:
        decision = _evaluate(request, inputs)
    except ValueError as exc:  # PolicyError for a bad request shape: a message, never a traceback
        return PlaygroundResult(inputs, None, issues, (str(exc),))
    return PlaygroundResult(inputs, decision, issues)


def _evaluate(request: dict[str, Any], inputs: PlaygroundInputs) -> Decision:
    """The policy as identity policy, or as the resource's (or role's trust) policy."""
    if inputs.kind == "identity":
        return evaluate(request, identity_policies=[inputs.policy])
    return evaluate(request, resource_policy=inputs.policy)


class PolicyPlayground(CourseWidget):
    """Policy, action, resource, principal and context controls; the Decision below (labkit-playground-result)."""

    def __init__(self, policy: Mapping[str, Any] | str = DEFAULT_POLICY, action: str = DEFAULT_ACTION,
                 resource: str = DEFAULT_RESOURCE,
                 context: Mapping[str, str | list[str]] | str | None = DEFAULT_CONTEXT, *,
                 principal: str = DEFAULT_PRINCIPAL, kind: PolicyKind = "identity") -> None:
        widgets = load_ipywidgets()
        text = policy if isinstance(policy, str) else json.dumps(policy, indent=2)
        style = {"description_width": "6em"}
        wide = widgets.Layout(width="100%")
        self.policy = widgets.Textarea(value=text, description="policy", style=style,
                                       layout=widgets.Layout(width="100%", height="16em"))
        self.policy.add_class("labkit-playground-policy")
        self.kind = widgets.Dropdown(options=list(KIND_CHOICES), value=kind, description="kind", style=style,
                                    layout=widgets.Layout(width="36em"))
        self.action = widgets.Text(value=action, description="action", style=style, layout=wide)
        self.action.add_class("labkit-playground-action")
        self.resource = widgets.Text(value=resource, description="resource", style=style, layout=wide)
        self.resource.add_class("labkit-playground-resource")
        self.principal = widgets.Text(value=principal, description="principal", style=style, layout=wide,
                                      placeholder="arn:aws:iam::111122223333:role/app (optional)")
        self.context = widgets.Textarea(value=format_context(context), description="context", style=style,
                                        placeholder="key=value, one per line", layout=widgets.Layout(width="100%"))
        self.context.add_class("labkit-playground-context")
        self.result_output = widgets.HTML()
        self.result_output.add_class("labkit-playground-result")
        controls = [self.policy, self.kind, self.action, self.resource, self.principal, self.context]
        self.root = widgets.VBox([*controls, self.result_output])
        for control in controls:
            control.observe(self._render, names="value")
        self._render()

    @property
    def inputs(self) -> PlaygroundInputs:
        """The model's inputs as the controls hold them now."""
        return PlaygroundInputs(self.policy.value, self.action.value, self.resource.value, self.context.value,
                                self.principal.value, self.kind.value)

    @property
    def result(self) -> PlaygroundResult:
        """The model's output for the current inputs."""
        return evaluate_playground(self.inputs)

    def _render(self, change: object = None) -> None:
        """Re-render the result from the controls."""
        self.result_output.value = self.result.to_html()

    def __repr__(self) -> str:
        return f"PolicyPlayground({self.result.summary()})"
