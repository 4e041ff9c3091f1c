"""Checks for the reflection exercise: the learner's choices against the decision engine's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labkit.facts import fact
from labkit.grading import attempt, check, check_equal, passed

MECHANISMS = ("pod-identity", "irsa")


def _engine() -> Any:
    from labkit.decide import plan, reflection

    return plan(reflection())


def _hint(workload_plan: Any) -> str:
    """A hint from the fact behind the deciding rule, without giving the verdict away."""
    rule = workload_plan.reasons[0].rule
    return f"Look at where it runs and what it needs: {fact(rule.fact).summary}"


def check_mechanisms(mechanisms: Callable[[], Mapping[str, str]]) -> None:
    """``mechanisms()`` gives one mechanism per reflection workload, as AWS's constraints dictate."""
    answers = attempt(mechanisms)
    engine = _engine()
    names = [w.workload.name for w in engine.workloads]
    check(isinstance(answers, Mapping), "answers must be a dict: workload name -> 'pod-identity' or 'irsa'")
    missing = [n for n in names if n not in answers]
    check(not missing, f"no answer for {', '.join(missing)}", f"answer all of: {', '.join(names)}")
    for name in names:
        answer = str(answers[name]).strip().lower()
        check(answer in MECHANISMS, f"{name}: {answers[name]!r} is not one of {MECHANISMS}")
        expected = engine.workload(name)
        check(answer == expected.mechanism, f"{name}: {answer} is not what AWS's constraints allow or favour",
              _hint(expected))
    passed("every workload has the mechanism its platform and needs call for")


def check_oidc_providers(oidc_answer: Callable[[], tuple[int, bool]]) -> None:
    """``oidc_answer()`` gives the OIDC providers for 3 IRSA clusters in one account, and whether that hits the quota."""
    providers_if_every_cluster_uses_irsa, over_quota = attempt(oidc_answer)
    account = _engine().account("platform")
    check_equal(providers_if_every_cluster_uses_irsa, account.oidc_providers_if_all_irsa,
                what="OIDC providers when every cluster uses IRSA",
                hint="IRSA needs one IAM OIDC provider per cluster in the account that holds the roles.")
    check_equal(over_quota, account.oidc_providers_if_all_irsa > account.oidc_provider_quota,
                what="is that over the quota",
                hint=f"The default quota is {fact('iam.oidc-providers-per-account').value} providers per account.")
    passed(f"{account.oidc_providers_if_all_irsa} providers, well within the quota of {account.oidc_provider_quota}")


def check_shared_role(shared_role_answer: Callable[[], tuple[str, int]]) -> None:
    """``shared_role_answer()`` gives the mechanism for the 150-service-account domain role and its IRSA role count."""
    mechanism, irsa_roles_at_default_quota = attempt(shared_role_answer)
    group = _engine().group("checkout-domain")
    check_equal(str(mechanism).strip().lower(), "pod-identity", what="mechanism for one shared domain role",
                hint="Which trust policy grows with every service account and cluster, and which stays fixed?")
    per_sa = next(row for row in group.irsa if row.packing == "per-sa" and row.limit == 2048)
    check_equal(irsa_roles_at_default_quota, per_sa.roles,
                what="IRSA roles for 150 service accounts at 2,048 characters (one statement per service account)",
                hint="Use labkit.policy.service_accounts_per_role for the three clusters' issuers, then divide.")
    passed(f"Pod Identity: 1 role; IRSA would need {per_sa.roles} roles at the default quota")
