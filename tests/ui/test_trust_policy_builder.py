"""Trust-policy builder: the pure model (policy, size, notes, token test) and the widget driven like a learner."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from labkit.policy import irsa_trust_policy, policy_size
from labkit.tokens import EXAMPLE_ISSUER, encode_unsigned, example_irsa_token
from labkit.ui import SampleToken, TrustPolicyBuilder, TrustPolicyInputs, build_trust_policy
from labkit.ui.trust_policy_builder import limit_choices

HOST = EXAMPLE_ISSUER.removeprefix("https://")
BASE = TrustPolicyInputs()


def test_default_policy_is_the_labkit_policy_builders_irsa_policy() -> None:
    result = build_trust_policy(BASE)
    expected = irsa_trust_policy("111122223333", [(EXAMPLE_ISSUER, "production", "checkout-api-sa")])
    assert result.policy == expected
    assert json.loads(result.policy_json) == expected
    assert result.size == policy_size(expected)
    assert result.size_text == f"{result.size} / 2,048 characters" and result.fits
    assert result.problems == () and result.notes == ()
    assert result.summary() == (f"namespace='production', service_account='checkout-api-sa', "
                                f"size={result.size}/2048")


def test_the_namespace_and_service_account_appear_in_the_sub_condition() -> None:
    policy = build_trust_policy(replace(BASE, namespace="payments", service_account="ledger")).policy
    assert policy is not None
    assert policy["Statement"][0]["Condition"]["StringEquals"][f"{HOST}:sub"] == \
        "system:serviceaccount:payments:ledger"


def test_wildcard_uses_string_like_and_says_so() -> None:
    result = build_trust_policy(replace(BASE, service_account="*"))
    assert result.policy is not None
    condition = result.policy["Statement"][0]["Condition"]
    assert condition["StringLike"] == {f"{HOST}:sub": "system:serviceaccount:production:*"}
    assert any("StringLike" in note for note in result.notes)


def test_the_token_test_allows_the_named_service_account_only() -> None:
    assert build_trust_policy(BASE).test.allowed  # type: ignore[union-attr]
    other = build_trust_policy(replace(BASE, token=SampleToken("production", "other-sa")))
    assert other.test is not None and other.test.effect == "ImplicitDeny"
    assert "condition failed" in other.test.explanation and "other-sa" in other.test.explanation
    assert other.test.request["principal"] == {
        "type": "Federated", "id": f"arn:aws:iam::111122223333:oidc-provider/{HOST}"}
    assert other.test.request["context"] == {f"{HOST}:aud": "sts.amazonaws.com",
                                             f"{HOST}:sub": "system:serviceaccount:production:other-sa"}


def test_wrong_audience_or_issuer_is_denied() -> None:
    wrong_aud = build_trust_policy(replace(BASE, token=SampleToken(audience="pods.eks.amazonaws.com")))
    assert wrong_aud.test is not None and not wrong_aud.test.allowed
    other_cluster = build_trust_policy(replace(BASE, token=SampleToken(
        issuer="https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF")))
    assert other_cluster.test is not None and not other_cluster.test.allowed
    assert "Principal" in other_cluster.test.explanation


def test_wildcard_policy_admits_any_service_account_of_the_namespace() -> None:
    result = build_trust_policy(replace(BASE, service_account="*", token=SampleToken("production", "anything")))
    assert result.test is not None and result.test.allowed


def test_sample_token_from_a_jwt() -> None:
    sample = SampleToken.from_jwt(example_irsa_token())
    assert sample == SampleToken("production", "checkout-api-sa", "sts.amazonaws.com", EXAMPLE_ISSUER)
    odd = SampleToken.from_jwt(encode_unsigned({"alg": "RS256"}, {"sub": "robot", "aud": "x"}))
    assert (odd.namespace, odd.service_account, odd.audience, odd.issuer) == ("", "robot", "x", None)


@pytest.mark.parametrize("count", [1, 2, 5, 12])
def test_packing_sizes_match_the_policy_engine(count: int) -> None:
    for packing in ("per-sa", "per-cluster"):
        inputs = replace(BASE, service_accounts=count, packing=packing)
        result = build_trust_policy(inputs)
        assert result.size == policy_size(irsa_trust_policy("111122223333", inputs.bindings(), packing=packing))
    per_sa = build_trust_policy(replace(BASE, service_accounts=count)).size
    per_cluster = build_trust_policy(replace(BASE, service_accounts=count, packing="per-cluster")).size
    assert per_cluster <= per_sa and (count == 1) == (per_cluster == per_sa)


def test_over_the_limit_says_by_how_much_and_a_raised_limit_fits() -> None:
    over = build_trust_policy(replace(BASE, service_accounts=5))
    assert not over.fits
    assert over.size_text == f"{over.size:,} / 2,048 characters: {over.size - 2048:,} over the limit, IAM rejects it"
    assert "#cf222e" in over.size_html()
    raised = build_trust_policy(replace(BASE, service_accounts=5, limit=4096))
    assert raised.fits and raised.size_text == f"{raised.size:,} / 4,096 characters"


def test_limit_choices_come_from_the_facts() -> None:
    assert [value for _, value in limit_choices()] == [2048, 4096, 8192]
    assert limit_choices()[0][0] == "2,048 (default)"


def test_bindings_name_extra_service_accounts_after_the_first() -> None:
    assert [sa for _, _, sa in replace(BASE, service_accounts=3).bindings()] == [
        "checkout-api-sa", "checkout-api-sa-2", "checkout-api-sa-3"]


def test_pod_identity_policy_is_small_fixed_and_allows_the_service() -> None:
    result = build_trust_policy(replace(BASE, mechanism="pod-identity"))
    assert result.policy is not None
    assert result.policy["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert result.size == build_trust_policy(replace(BASE, mechanism="pod-identity", service_accounts=50)).size
    assert result.test is not None and result.test.allowed
    assert "sts:TagSession" in result.test.explanation and "association" in result.test.explanation


@pytest.mark.parametrize(("changes", "problem"), [
    ({"namespace": ""}, "namespace is empty"),
    ({"service_account": "  "}, "service account is empty"),
    ({"account_id": "1234"}, "not 12 digits"),
    ({"namespace": "a:b"}, "cannot contain ':'"),
    ({"audience": ""}, "audience is empty"),
    ({"service_accounts": 0}, "at least one service account"),
    ({"issuer": ""}, "issuer is empty"),
])
def test_bad_inputs_are_listed_instead_of_a_policy(changes: dict[str, object], problem: str) -> None:
    result = build_trust_policy(replace(BASE, **changes))  # type: ignore[arg-type]
    assert result.policy is None and result.test is None
    assert any(problem in p for p in result.problems)
    assert "Cannot build the trust policy" in result.json_html() and "Cannot build" in result.to_text()


# --- the widget, without a browser -------------------------------------------------------------------------


def test_widget_carries_the_dom_contract_classes() -> None:
    builder = TrustPolicyBuilder()
    assert "labkit-trust-namespace" in builder.namespace._dom_classes
    assert "labkit-trust-service-account" in builder.service_account._dom_classes
    assert "labkit-trust-json" in builder.json_output._dom_classes
    assert "labkit-trust-size" in builder.size_bar._dom_classes


def test_json_and_size_follow_the_namespace_and_service_account() -> None:
    builder = TrustPolicyBuilder(namespace="production", service_account="checkout-api-sa")
    before_json, before_size = builder.json_output.value, builder.size_bar.value
    assert "system:serviceaccount:production:checkout-api-sa" in before_json
    assert f"{builder.result.size} / 2,048 characters" in before_size
    builder.namespace.value = "payments-prod"
    assert "system:serviceaccount:payments-prod:checkout-api-sa" in builder.json_output.value
    assert builder.size_bar.value != before_size
    builder.service_account.value = "ledger"
    assert "system:serviceaccount:payments-prod:ledger" in builder.json_output.value


def test_size_limit_and_count_controls_move_the_bar() -> None:
    builder = TrustPolicyBuilder()
    builder.service_accounts.value = 5
    assert "over the limit" in builder.size_bar.value
    builder.limit.value = 8192
    assert "/ 8,192 characters" in builder.size_bar.value and "over the limit" not in builder.size_bar.value
    builder.packing.value = "per-cluster"
    assert builder.result.size < build_trust_policy(replace(builder.inputs, packing="per-sa")).size


def test_token_test_flips_when_the_policy_no_longer_names_the_token() -> None:
    builder = TrustPolicyBuilder()
    assert "Allow" in builder.test_output.value
    builder.namespace.value = "staging"
    assert "ImplicitDeny" in builder.test_output.value
    builder.token_namespace.value = "staging"
    assert ">Allow<" in builder.test_output.value


def test_mechanism_switch_shows_the_pod_identity_policy() -> None:
    builder = TrustPolicyBuilder()
    builder.mechanism.value = "pod-identity"
    assert "pods.eks.amazonaws.com" in builder.json_output.value and "sts:TagSession" in builder.json_output.value


def test_empty_namespace_shows_a_message() -> None:
    builder = TrustPolicyBuilder()
    builder.namespace.value = ""
    assert "namespace is empty" in builder.json_output.value


def test_widget_accepts_a_jwt_and_a_custom_limit() -> None:
    builder = TrustPolicyBuilder(token=example_irsa_token(), limit=3000)
    assert builder.token_namespace.value == "production"
    assert "/ 3,000 characters" in builder.size_bar.value


def test_text_plain_is_a_short_deterministic_line() -> None:
    builder = TrustPolicyBuilder(namespace="production", service_account="checkout-api-sa")
    size = builder.result.size
    bundle = builder._repr_mimebundle_()
    assert bundle["text/plain"] == (f"TrustPolicyBuilder(namespace='production', "
                                    f"service_account='checkout-api-sa', size={size}/2048)")
    assert "application/vnd.jupyter.widget-view+json" in bundle
