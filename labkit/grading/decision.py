"""Checks for the decision exercise: the learner's rule against the decision engine, answer by answer."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from labkit.facts import fact
from labkit.grading import CheckFailed, check, passed

COMPUTES = ("ec2-linux", "ec2-windows", "fargate")
PLATFORMS = ("eks", "eks-anywhere", "self-managed", "rosa", "outposts")


def _situations() -> list[tuple[object, str, str]]:
    """(answers, engine's mechanism, fact behind its deciding rule) for every combination the engine can plan."""
    from labkit.decide.rules import RULES
    from labkit.ui import WizardAnswers, wizard_verdict

    facts = {rule.id: rule.fact for rule in RULES}
    found = []
    for compute, platform, cross_account in itertools.product(COMPUTES, PLATFORMS, (False, True)):
        answers = WizardAnswers(compute=compute, platform=platform, cross_account=cross_account)
        verdict = wizard_verdict(answers)
        if verdict.mechanism is not None:  # impossible combinations (Fargate off EKS) are skipped
            found.append((answers, verdict.mechanism, facts.get(verdict.reasons[0].rule, verdict.reasons[0].fact)))
    return found


def check_choose_mechanism(choose: Callable[..., str]) -> None:
    """``choose(compute, platform, cross_account)`` agrees with the engine on every plannable combination."""
    situations = _situations()
    for answers, expected, fact_id in situations:
        try:
            answer = choose(answers.compute, answers.platform, answers.cross_account)
        except NotImplementedError as exc:
            raise CheckFailed("choose is not written yet.", str(exc)) from None
        except Exception as exc:
            raise CheckFailed(f"choose{(answers.compute, answers.platform, answers.cross_account)} raised "
                              f"{type(exc).__name__}: {exc}") from None
        check(answer == expected,
              f"choose(compute={answers.compute!r}, platform={answers.platform!r}, cross_account={answers.cross_account}) "
              f"returned {answer!r}",
              f"What rules it out or in: {fact(fact_id).summary}")
    passed(f"choose agrees with the decision engine on all {len(situations)} combinations")
