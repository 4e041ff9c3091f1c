"""Decision wizard: a few questions about one workload, and the decision engine's verdict with its reasons.

The rules live in labkit.decide; this module only turns answers into a one-workload inventory
(`inventory_for`), asks the engine (`wizard_verdict`) and renders the verdict. `DecisionWizard` is the view.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

from labkit.errors import InputError
from labkit.ui.display import CourseWidget, bullet_list, load_ipywidgets

Compute = Literal["ec2-linux", "ec2-windows", "fargate"]
Platform = Literal["eks", "eks-anywhere", "self-managed", "rosa", "outposts"]
ProxyAnswer = Literal["none", "proxy-bypasses-agent", "proxy"]

COMPUTE_CHOICES: tuple[tuple[str, Compute], ...] = (
    ("EC2 Linux", "ec2-linux"), ("EC2 Windows", "ec2-windows"), ("Fargate", "fargate"))
PLATFORM_CHOICES: tuple[tuple[str, Platform], ...] = (
    ("Amazon EKS", "eks"), ("EKS Anywhere", "eks-anywhere"), ("self-managed Kubernetes", "self-managed"),
    ("ROSA (OpenShift)", "rosa"), ("EKS on Outposts", "outposts"))
PROXY_CHOICES: tuple[tuple[str, ProxyAnswer], ...] = (
    ("no proxy", "none"),
    ("proxy, NO_PROXY includes 169.254.170.23", "proxy-bypasses-agent"),
    ("proxy, NO_PROXY without the agent address", "proxy"))
YES_NO: tuple[tuple[str, bool], ...] = (("no", False), ("yes", True))

ACCOUNT = {"name": "platform", "id": "111122223333"}
TARGET_ACCOUNT = {"name": "audit", "id": "444455556666"}
NAMESPACE = "apps"
SERVICE_ACCOUNT = "app-sa"


@dataclass(frozen=True)
class WizardAnswers:
    """The learner's answers about one workload."""

    compute: Compute = "ec2-linux"
    platform: Platform = "eks"
    cross_account: bool = False
    shared_role: bool = False
    shared_service_accounts: int = 50  # how many service accounts share the role, when shared_role
    proxy: ProxyAnswer = "none"

    def summary(self) -> str:
        """The answers in one line."""
        return (f"compute={self.compute!r}, platform={self.platform!r}, cross_account={self.cross_account}, "
                f"shared_role={self.shared_role}, proxy={self.proxy!r}")


@dataclass(frozen=True)
class WizardReason:
    """One reason of the verdict: the rule (or group number) that fired, its outcome and the fact behind it."""

    rule: str
    outcome: str
    fact: str
    because: str

    def __str__(self) -> str:
        return f"{self.because} [{self.rule}; fact {self.fact}]"


@dataclass(frozen=True)
class WizardVerdict:
    """The engine's answer for the answers: mechanism and reasons, or the message when it could not plan."""

    answers: WizardAnswers
    mechanism: str | None
    reasons: tuple[WizardReason, ...] = ()
    error: str | None = None

    @property
    def blockers(self) -> tuple[WizardReason, ...]:
        """Reasons that must be fixed before the mechanism works."""
        return tuple(r for r in self.reasons if r.outcome == "blocker")

    def summary(self) -> str:
        """The one-line state for text/plain."""
        if self.mechanism is None:
            return f"compute={self.answers.compute!r}, platform={self.answers.platform!r}, verdict=none"
        return (f"compute={self.answers.compute!r}, platform={self.answers.platform!r}, "
                f"mechanism={self.mechanism!r}, reasons={len(self.reasons)}, blockers={len(self.blockers)}")

    def to_text(self) -> str:
        """The verdict as plain text."""
        if self.mechanism is None:
            return f"No verdict: {self.error}"
        marks = {"blocker": "!", "note": "-", "group": "#"}
        return "\n".join([f"Verdict: {self.mechanism}"] + [f"{marks.get(r.outcome, '+')} {r}" for r in self.reasons])

    def to_html(self) -> str:
        """The verdict for the widget."""
        if self.mechanism is None:
            return f"<p><b>No verdict:</b> {html.escape(self.error or '')}</p>"
        deciding = [str(r) for r in self.reasons if r.outcome in ("irsa", "pod-identity")]
        blockers = [str(r) for r in self.blockers]
        notes = [str(r) for r in self.reasons if r.outcome in ("note", "group")]
        return (f"<p>Verdict: <b>{html.escape(self.mechanism)}</b></p>"
                + (f"<p>Why</p>{bullet_list(deciding)}" if deciding else "")
                + (f"<p><b>Fix first</b></p>{bullet_list(blockers)}" if blockers else "")
                + (f"<p>Notes</p>{bullet_list(notes)}" if notes else ""))


def inventory_document(answers: WizardAnswers) -> dict[str, Any]:
    """The one-workload inventory (as its YAML would read) that the answers describe."""
    cluster: dict[str, Any] = {"name": "prod", "account": "platform", "region": "us-east-1",
                               "platform": answers.platform, "kubernetes_version": "1.31",
                               "node_kinds": [answers.compute]}
    if answers.compute == "fargate":
        cluster["fargate_profiles"] = [{"name": NAMESPACE, "selectors": [{"namespace": NAMESPACE}]}]
    workload: dict[str, Any] = {
        "name": "app", "cluster": "prod", "namespace": NAMESPACE, "service_account": SERVICE_ACCOUNT,
        "compute": answers.compute,
        "needs": [{"service": "s3", "actions": ["GetObject"], "resources": ["arn:aws:s3:::app-data/*"]}]}
    doc: dict[str, Any] = {"name": "wizard", "accounts": [ACCOUNT], "clusters": [cluster]}
    if answers.cross_account:
        doc["accounts"] = [ACCOUNT, TARGET_ACCOUNT]
        workload["targets"] = [{"account": TARGET_ACCOUNT["name"], "role_name": "audit-reader", "needs": [
            {"service": "s3", "actions": ["GetObject"], "resources": ["arn:aws:s3:::audit-logs/*"]}]}]
    if answers.shared_role:
        group: dict[str, Any] = {"name": "shared", "role_name": "shared-role"}
        if answers.shared_service_accounts > 1:  # the workload is one of them; the others are planned members
            group["projected"] = {"services": answers.shared_service_accounts - 1, "clusters": ["prod"],
                                  "namespace": NAMESPACE, "service_account": "svc-{index:03d}"}
        doc["sharing_groups"] = [group]
        workload["sharing_group"] = "shared"
    if answers.proxy != "none":
        no_proxy = ["localhost", ".svc", "169.254.170.23"] if answers.proxy == "proxy-bypasses-agent" else \
            ["localhost", ".svc"]
        workload["proxy"] = {"https_proxy": "http://proxy.internal:3128", "no_proxy": no_proxy}
    doc["workloads"] = [workload]
    return doc


def inventory_for(answers: WizardAnswers) -> Any:
    """The answers as a labkit.decide Inventory, read through the engine's own YAML loader and checks."""
    import yaml

    from labkit.decide import parse_inventory

    return parse_inventory(yaml.safe_dump(inventory_document(answers), sort_keys=False), file="wizard")


def wizard_verdict(answers: WizardAnswers) -> WizardVerdict:
    """Ask labkit.decide for the verdict on the answers' one workload; engine errors become a message."""
    from labkit.decide import plan

    try:
        result = plan(inventory_for(answers))
    except InputError as exc:  # e.g. Fargate on a platform that has none: the engine's own words
        return WizardVerdict(answers, None, error=exc.message)
    workload = result.workloads[0]
    reasons = [WizardReason(r.rule.id, r.rule.outcome, r.rule.fact, r.because) for r in workload.reasons]
    for group in result.groups:
        reasons += [WizardReason(f"sharing-group {group.group.name}", "group", r["fact"], r["because"])
                    for r in group.reasons()]
    return WizardVerdict(answers, workload.mechanism, tuple(reasons))


class DecisionWizard(CourseWidget):
    """The questions (class labkit-wizard-question each) and the verdict (labkit-wizard-verdict)."""

    def __init__(self, answers: WizardAnswers | None = None) -> None:
        widgets = load_ipywidgets()
        a = answers or WizardAnswers()
        style = {"description_width": "16em"}
        wide = widgets.Layout(width="36em")
        self.compute = widgets.ToggleButtons(options=list(COMPUTE_CHOICES), value=a.compute,
                                             description="Where do the pods run?", style=style)
        self.platform = widgets.Dropdown(options=list(PLATFORM_CHOICES), value=a.platform,
                                         description="Which Kubernetes?", style=style, layout=wide)
        self.cross_account = widgets.ToggleButtons(options=list(YES_NO), value=a.cross_account,
                                                   description="Needs a role in another account?", style=style)
        self.shared_role = widgets.ToggleButtons(options=list(YES_NO), value=a.shared_role,
                                                 description="Many service accounts share one role?", style=style)
        self.shared_service_accounts = widgets.BoundedIntText(value=a.shared_service_accounts, min=1, max=1000,
                                                              description="How many share it?", style=style)
        self.proxy = widgets.Dropdown(options=list(PROXY_CHOICES), value=a.proxy,
                                      description="HTTP(S) proxy?", style=style, layout=wide)
        self.verdict_output = widgets.HTML()
        self.verdict_output.add_class("labkit-wizard-verdict")
        questions = self._questions()
        for question in questions:
            question.add_class("labkit-wizard-question")
            question.observe(self._render, names="value")
        self.root = widgets.VBox([*questions, self.verdict_output])
        self._render()

    def _questions(self) -> list[Any]:
        """Every question control, in display order."""
        return [self.compute, self.platform, self.cross_account, self.shared_role, self.shared_service_accounts,
                self.proxy]

    @property
    def answers(self) -> WizardAnswers:
        """The answers as the controls hold them now."""
        return WizardAnswers(self.compute.value, self.platform.value, self.cross_account.value,
                             self.shared_role.value, self.shared_service_accounts.value, self.proxy.value)

    @property
    def result(self) -> WizardVerdict:
        """The engine's verdict for the current answers."""
        return wizard_verdict(self.answers)

    def _render(self, change: object = None) -> None:
        """Re-render the verdict from the answers."""
        self.shared_service_accounts.disabled = not self.shared_role.value
        self.verdict_output.value = self.result.to_html()

    def __repr__(self) -> str:
        return f"DecisionWizard({self.result.summary()})"
