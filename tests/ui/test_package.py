"""labkit.ui's surface: a sorted __all__, every name importable, and no ipywidgets at import time."""

from __future__ import annotations

import subprocess
import sys

import labkit.ui


def test_all_is_pinned_sorted_and_every_name_resolves() -> None:
    assert labkit.ui.__all__ == [
        "ComparisonTable", "DecisionWizard", "PlaygroundInputs", "PlaygroundResult", "PolicyPlayground", "SampleToken",
        "TokenInspector", "TokenReport", "TrustPolicyBuilder", "TrustPolicyInputs", "TrustPolicyResult",
        "WizardAnswers", "WizardVerdict", "build_trust_policy", "comparison_html", "evaluate_playground", "inspect_token",
        "wizard_verdict"]
    assert labkit.ui.__all__ == sorted(labkit.ui.__all__)
    for name in labkit.ui.__all__:
        assert getattr(labkit.ui, name) is not None


def test_import_does_not_load_ipywidgets_or_the_widget_modules() -> None:
    code = ("import sys, labkit.ui; "
            "print(sorted(m for m in sys.modules if m.startswith(('ipywidgets', 'labkit.ui.', 'labkit.decide.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
