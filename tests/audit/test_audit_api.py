"""The public surface of labkit.audit and labkit.decide is small, pinned, and light to import."""

from __future__ import annotations

import subprocess
import sys

import labkit.audit
import labkit.decide


def test_public_names_are_pinned() -> None:
    assert labkit.audit.__all__ == ["CHECKS", "Check", "Finding", "Report", "audit_documents", "audit_paths",
                                    "audit_text"]
    assert labkit.decide.__all__ == ["Inventory", "Plan", "RULES", "Rule", "load_inventory", "parse_inventory",
                                     "plan", "reflection", "scenario"]
    for module in (labkit.audit, labkit.decide):
        assert all(getattr(module, name) is not None for name in module.__all__)


def test_audit_import_and_run_stay_light() -> None:
    code = ("import sys; from labkit.audit import audit_text; audit_text('apiVersion: v1\\nkind: Pod\\n'); "
            "print([m for m in ('pandas', 'matplotlib', 'boto3', 'moto', 'botocore', 'http.client') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_report_renders_in_notebooks() -> None:
    report = labkit.audit.audit_text('{"MetadataOptions": {"HttpTokens": "optional"}}', file="lt.json",
                                     json_file=True)
    assert "<code>imds-v1-allowed</code>" in report._repr_html_()
