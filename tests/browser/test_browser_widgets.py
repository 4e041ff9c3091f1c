"""The course's widgets driven as a learner drives them, with mouse and keyboard, judged by what the page shows.

Each test shows one widget in a notebook made here (so the course's wording can change freely) and uses
the DOM contract `labkit.ui` keeps: CSS classes such as `labkit-trust-namespace` on the controls and outputs.
Expected answers come from labkit's pure functions, so the page must agree with the engine, not with a copy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest

from labkit import notebooks

from . import labpage
from .conftest import ARTIFACTS, ROOT, LabServer

SIZE = re.compile(r"([\d,]+) / ([\d,]+) characters")
MECHANISM = re.compile(r"pod-identity|irsa")
EFFECT = re.compile(r"ExplicitDeny|ImplicitDeny|Allow")


def require_widget(name: str) -> None:
    """Skip, saying so, while labkit.ui or this widget has not landed."""
    ui = pytest.importorskip("labkit.ui", reason="labkit.ui has not landed yet")
    if name not in ui.__all__:
        pytest.skip(f"labkit.ui.{name} has not landed yet")


def show_widget(page: Any, lab: LabServer, workdir: Path, name: str) -> None:
    """Open a notebook that displays `name()` and run it from the Run menu; the widget must render."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"from labkit.ui import {name}\n\n{name}()")]
    path = workdir / f"{name}.ipynb"
    notebooks.write(notebooks.clean(nb), path)
    labpage.open_notebook(page, lab.url(path.relative_to(ROOT).as_posix(), workspace=f"widget-{name}"))
    labpage.restart_and_run_all(page, timeout_s=120)
    shown = labpage.read_cells(page)
    assert labpage.problems(nb, shown) == []
    assert shown[0].outputs and shown[0].outputs[0].widgets, f"{name}() shows no widget: {shown[0].outputs}"


def snapshot(page: Any, name: str) -> None:
    """What the learner sees after the interaction, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))


def retype(page: Any, field: Any, text: str) -> None:
    """Click into a text field, select what is there and type over it, key by key."""
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def paste(page: Any, field: Any, text: str) -> None:
    """Put `text` on the clipboard and paste it into a field with Ctrl+V."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    field.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+V")


def size_shown(page: Any) -> tuple[int, int, float]:
    """The trust policy's size and limit as the size text says, and the bar's filled width in pixels."""
    text = page.locator(".labkit-trust-size").inner_text()
    match = SIZE.search(text)
    assert match, f"no 'N / M characters' in the size display: {text!r}"
    fill = page.locator(".labkit-trust-size [style*='background']").first  # the coloured part of the bar
    return int(match[1].replace(",", "")), int(match[2].replace(",", "")), fill.bounding_box()["width"]


def test_trust_policy_builder_follows_namespace_and_service_account(page: Any, lab: LabServer, workdir: Path):
    require_widget("TrustPolicyBuilder")
    show_widget(page, lab, workdir, "TrustPolicyBuilder")
    json_view = page.locator(".labkit-trust-json pre")  # notes may follow the JSON
    before = json.loads(json_view.inner_text())
    size, limit, bar = size_shown(page)
    namespace = page.locator(".labkit-trust-namespace input")
    old_namespace = namespace.input_value()

    retype(page, namespace, "payments")
    page.wait_for_function("() => document.querySelector('.labkit-trust-json').innerText.includes(':payments:')")
    after = json.loads(json_view.inner_text())
    assert after != before and "system:serviceaccount:payments:" in json.dumps(after)
    # IAM counts characters: the namespace is in the policy once, so the size moves by the length difference
    page.wait_for_function(f"() => !document.querySelector('.labkit-trust-size').innerText.startsWith('{size:,} ')")
    assert size_shown(page)[:2] == (size + len("payments") - len(old_namespace), limit)

    service_account = page.locator(".labkit-trust-service-account input")
    longer = "reports-generator-with-a-much-longer-service-account-name"
    retype(page, service_account, longer)
    page.wait_for_function(f"() => document.querySelector('.labkit-trust-json').innerText.includes('{longer}')")
    grown, _, grown_bar = size_shown(page)
    assert f"system:serviceaccount:payments:{longer}" in json_view.inner_text()
    assert grown > size and grown_bar > bar, (size, bar, grown, grown_bar)
    snapshot(page, "TrustPolicyBuilder")


def test_token_inspector_shows_the_claims_of_a_pasted_token(page: Any, lab: LabServer, workdir: Path):
    require_widget("TokenInspector")
    from labkit.tokens import decode_unverified, example_irsa_token

    show_widget(page, lab, workdir, "TokenInspector")
    claims_view = page.locator(".labkit-token-claims")
    token = example_irsa_token()
    claims = decode_unverified(token).claims
    assert claims["sub"] not in claims_view.inner_text()

    paste(page, page.locator(".labkit-token-input textarea"), token)
    page.wait_for_function("sub => document.querySelector('.labkit-token-claims').innerText.includes(sub)",
                           arg=claims["sub"])
    shown = claims_view.inner_text()
    for claim in ("iss", "sub", "aud", "exp"):
        assert claim in shown and str(claims[claim] if claim != "aud" else claims["aud"][0]) in shown, claim
    snapshot(page, "TokenInspector")


def test_decision_wizard_verdict_follows_the_answers(page: Any, lab: LabServer, workdir: Path):
    require_widget("DecisionWizard")
    from labkit.ui import WizardAnswers, wizard_verdict

    show_widget(page, lab, workdir, "DecisionWizard")
    questions = page.locator(".labkit-wizard-question")
    assert mechanism_shown(page) == wizard_verdict(WizardAnswers()).mechanism == "pod-identity"

    questions.get_by_role("button", name="Fargate", exact=True).click()
    fargate = wizard_verdict(WizardAnswers(compute="fargate"))
    wait_for_mechanism(page, fargate.mechanism)
    assert fargate.mechanism == "irsa"  # EKS Pod Identity does not run on Fargate
    shown = page.locator(".labkit-wizard-verdict").inner_text()
    assert all(reason.because in shown for reason in fargate.reasons), shown

    questions.get_by_role("button", name="EC2 Linux", exact=True).click()
    wait_for_mechanism(page, "pod-identity")
    questions.locator("select").first.select_option(label="self-managed Kubernetes")
    self_managed = wizard_verdict(WizardAnswers(platform="self-managed"))
    wait_for_mechanism(page, self_managed.mechanism)
    assert self_managed.mechanism == "irsa"  # the EKS Pod Identity agent and API exist on EKS only
    snapshot(page, "DecisionWizard")


def mechanism_shown(page: Any) -> str | None:
    """The first mechanism named in the verdict (the verdict itself; reasons follow it)."""
    match = MECHANISM.search(page.locator(".labkit-wizard-verdict").inner_text())
    return match[0] if match else None


def wait_for_mechanism(page: Any, mechanism: str | None) -> None:
    """Wait until the verdict names `mechanism` first."""
    page.wait_for_function("want => (document.querySelector('.labkit-wizard-verdict').innerText"
                           ".match(/pod-identity|irsa/) || [null])[0] === want", arg=mechanism)


def test_policy_playground_shows_each_effect(page: Any, lab: LabServer, workdir: Path):
    require_widget("PolicyPlayground")
    show_widget(page, lab, workdir, "PolicyPlayground")
    assert effect_shown(page) == "Allow"  # the default: the ABAC policy and a matching team tag

    retype(page, page.locator(".labkit-playground-resource input"), "arn:aws:s3:::team-billing/report.csv")
    wait_for_effect(page, "ImplicitDeny")

    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "NoBilling", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team-billing/*"}]}
    paste(page, page.locator(".labkit-playground-policy textarea"), json.dumps(deny, indent=2))
    wait_for_effect(page, "ExplicitDeny")
    assert "NoBilling" in page.locator(".labkit-playground-result").inner_text()

    retype(page, page.locator(".labkit-playground-action input"), "s3:PutObject")
    wait_for_effect(page, "Allow")
    snapshot(page, "PolicyPlayground")


def effect_shown(page: Any) -> str | None:
    """The first effect named in the playground's result."""
    match = EFFECT.search(page.locator(".labkit-playground-result").inner_text())
    return match[0] if match else None


def wait_for_effect(page: Any, effect: str) -> None:
    """Wait until the result names `effect` first."""
    page.wait_for_function("want => (document.querySelector('.labkit-playground-result').innerText"
                           ".match(/ExplicitDeny|ImplicitDeny|Allow/) || [null])[0] === want", arg=effect)
