"""Decision wizard: answers -> a one-workload inventory -> labkit.decide's verdict, and the widget."""

from __future__ import annotations

from dataclasses import replace

import pytest

from labkit.decide import plan
from labkit.ui import DecisionWizard, WizardAnswers, wizard_verdict
from labkit.ui.decision_wizard import inventory_document, inventory_for

BASE = WizardAnswers()


def rules(answers: WizardAnswers) -> list[str]:
    """The ids of the rules behind the verdict (group numbers left out)."""
    return [r.rule for r in wizard_verdict(answers).reasons if r.outcome != "group"]


def test_linux_on_eks_is_pod_identity_because_aws_recommends_it() -> None:
    verdict = wizard_verdict(BASE)
    assert verdict.mechanism == "pod-identity" and verdict.error is None
    assert rules(BASE) == ["aws-recommends-pod-identity"]
    assert verdict.reasons[0].fact == "eks.aws-recommends-pod-identity"
    assert verdict.summary() == ("compute='ec2-linux', platform='eks', mechanism='pod-identity', reasons=1, "
                                 "blockers=0")


@pytest.mark.parametrize(("changes", "rule"), [
    ({"compute": "fargate"}, "fargate-needs-irsa"),
    ({"compute": "ec2-windows"}, "windows-needs-irsa"),
    ({"platform": "eks-anywhere"}, "platform-without-pod-identity"),
    ({"platform": "self-managed"}, "platform-without-pod-identity"),
    ({"platform": "rosa"}, "platform-without-pod-identity"),
    ({"platform": "outposts"}, "platform-without-pod-identity"),
])
def test_where_pod_identity_cannot_run_the_verdict_is_irsa(changes: dict[str, str], rule: str) -> None:
    answers = replace(BASE, **changes)  # type: ignore[arg-type]
    verdict = wizard_verdict(answers)
    assert verdict.mechanism == "irsa"
    assert rules(answers)[0] == rule and "irsa-needs-oidc-provider" in rules(answers)
    assert verdict.reasons[0].fact == "eks.pod-identity-unsupported"


def test_verdict_is_the_engines_for_the_same_inventory() -> None:
    for answers in (BASE, replace(BASE, compute="fargate"), replace(BASE, cross_account=True, proxy="proxy")):
        workload = plan(inventory_for(answers)).workloads[0]
        verdict = wizard_verdict(answers)
        assert verdict.mechanism == workload.mechanism
        assert [r.rule for r in verdict.reasons if r.outcome != "group"] == [r.rule.id for r in workload.reasons]


def test_cross_account_uses_a_target_role_with_pod_identity_and_a_provider_with_irsa() -> None:
    assert "cross-account-target-role" in rules(replace(BASE, cross_account=True))
    assert "irsa-cross-account-provider" in rules(replace(BASE, cross_account=True, compute="fargate"))


def test_proxy_without_the_agent_address_is_a_blocker() -> None:
    blocked = wizard_verdict(replace(BASE, proxy="proxy"))
    assert blocked.mechanism == "pod-identity"
    assert [r.rule for r in blocked.blockers] == ["proxy-hides-agent"]
    assert wizard_verdict(replace(BASE, proxy="proxy-bypasses-agent")).blockers == ()
    assert "Fix first" in blocked.to_html()


def test_shared_role_adds_abac_and_the_groups_numbers() -> None:
    verdict = wizard_verdict(replace(BASE, shared_role=True, shared_service_accounts=50))
    assert "shared-role-abac" in rules(replace(BASE, shared_role=True))
    group = [r for r in verdict.reasons if r.outcome == "group"]
    assert group and "50 service accounts" in group[0].because
    assert {r.fact for r in group} >= {"iam.trust-policy-size-default", "eks.pod-identity-associations-per-cluster"}
    alone = wizard_verdict(replace(BASE, shared_role=True, shared_service_accounts=1))
    assert any("1 service accounts" in r.because for r in alone.reasons if r.outcome == "group")


def test_inventory_document_describes_the_answers() -> None:
    doc = inventory_document(replace(BASE, compute="fargate", cross_account=True, proxy="proxy"))
    cluster, workload = doc["clusters"][0], doc["workloads"][0]
    assert cluster["node_kinds"] == ["fargate"] and cluster["fargate_profiles"][0]["selectors"] == [
        {"namespace": workload["namespace"]}]
    assert [a["name"] for a in doc["accounts"]] == ["platform", "audit"]
    assert workload["targets"][0]["account"] == "audit"
    assert "169.254.170.23" not in workload["proxy"]["no_proxy"]


def test_an_impossible_combination_is_the_engines_message() -> None:
    verdict = wizard_verdict(replace(BASE, compute="fargate", platform="rosa"))
    assert verdict.mechanism is None
    assert verdict.error == "Fargate runs only on Amazon EKS, not on platform 'rosa'"
    assert verdict.to_text().startswith("No verdict:") and "No verdict" in verdict.to_html()


def test_text_lists_the_verdict_and_marked_reasons() -> None:
    text = wizard_verdict(replace(BASE, compute="fargate")).to_text()
    assert text.splitlines()[0] == "Verdict: irsa"
    assert "+ The pod runs on Fargate" in text and "[fargate-needs-irsa; fact eks.pod-identity-unsupported]" in text


# --- the widget, without a browser -------------------------------------------------------------------------


def test_widget_carries_the_dom_contract_classes() -> None:
    wizard = DecisionWizard()
    questions = [w for w in wizard.root.children if "labkit-wizard-question" in w._dom_classes]
    assert len(questions) == 6
    assert "labkit-wizard-verdict" in wizard.verdict_output._dom_classes


def test_verdict_changes_when_compute_switches_to_fargate() -> None:
    wizard = DecisionWizard()
    verdict = wizard.verdict_output
    assert "pod-identity" in verdict.value and "AWS recommends EKS Pod Identity" in verdict.value
    wizard.compute.value = "fargate"
    assert "<b>irsa</b>" in wizard.verdict_output.value and "Fargate" in wizard.verdict_output.value
    wizard.platform.value = "rosa"
    assert "No verdict" in wizard.verdict_output.value
    wizard.compute.value = "ec2-linux"
    assert "<b>irsa</b>" in wizard.verdict_output.value and "rosa" in wizard.verdict_output.value


def test_sharing_count_is_only_editable_when_shared() -> None:
    wizard = DecisionWizard()
    assert wizard.shared_service_accounts.disabled
    wizard.shared_role.value = True
    assert not wizard.shared_service_accounts.disabled and "shared-role-abac" in wizard.verdict_output.value
    wizard.shared_service_accounts.value = 150
    assert "150 service accounts" in wizard.verdict_output.value


def test_text_plain_is_a_short_deterministic_line() -> None:
    wizard = DecisionWizard(WizardAnswers(compute="fargate"))
    assert wizard._repr_mimebundle_()["text/plain"] == (
        "DecisionWizard(compute='fargate', platform='eks', mechanism='irsa', reasons=2, blockers=0)")
