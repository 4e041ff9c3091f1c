"""labkit.ui: the course's widgets, each a pure model (state in, text/HTML out) and a thin ipywidgets view.

ipywidgets loads when a widget is built, not with `import labkit.ui`.

    >>> from labkit.ui import inspect_token
    >>> from labkit.tokens import example_irsa_token
    >>> inspect_token(example_irsa_token()).lifetime
    86400
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.lazy import lazy_exports

if TYPE_CHECKING:
    from labkit.ui.comparison_table import ComparisonTable, comparison_html
    from labkit.ui.decision_wizard import DecisionWizard, WizardAnswers, WizardVerdict, wizard_verdict
    from labkit.ui.policy_playground import PlaygroundInputs, PlaygroundResult, PolicyPlayground, evaluate_playground
    from labkit.ui.token_inspector import TokenInspector, TokenReport, inspect_token
    from labkit.ui.trust_policy_builder import (
        SampleToken,
        TrustPolicyBuilder,
        TrustPolicyInputs,
        TrustPolicyResult,
        build_trust_policy,
    )

# name -> module: loaded on first use.
_EXPORTS = {
    "ComparisonTable": "labkit.ui.comparison_table",
    "comparison_html": "labkit.ui.comparison_table",
    "DecisionWizard": "labkit.ui.decision_wizard",
    "WizardAnswers": "labkit.ui.decision_wizard",
    "WizardVerdict": "labkit.ui.decision_wizard",
    "wizard_verdict": "labkit.ui.decision_wizard",
    "PlaygroundInputs": "labkit.ui.policy_playground",
    "PlaygroundResult": "labkit.ui.policy_playground",
    "PolicyPlayground": "labkit.ui.policy_playground",
    "evaluate_playground": "labkit.ui.policy_playground",
    "TokenInspector": "labkit.ui.token_inspector",
    "TokenReport": "labkit.ui.token_inspector",
    "inspect_token": "labkit.ui.token_inspector",
    "SampleToken": "labkit.ui.trust_policy_builder",
    "TrustPolicyBuilder": "labkit.ui.trust_policy_builder",
    "TrustPolicyInputs": "labkit.ui.trust_policy_builder",
    "TrustPolicyResult": "labkit.ui.trust_policy_builder",
    "build_trust_policy": "labkit.ui.trust_policy_builder",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
