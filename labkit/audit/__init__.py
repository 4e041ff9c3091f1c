"""labkit.audit: find the IRSA and Pod Identity pitfalls in manifests, IAM documents and node settings.

Pure: reads files, never AWS. Each finding has an id, a severity, a location (file, document, JSON path,
line), why it matters, the fix, and the fact it rests on.

    >>> from labkit.audit import audit_paths
    >>> report = audit_paths(["examples/audit/pitfalls"])
    >>> report.exit_code
    1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.lazy import lazy_exports

if TYPE_CHECKING:
    from labkit.audit.auditor import audit_documents, audit_paths, audit_text
    from labkit.audit.checks import CHECKS, Check, Finding
    from labkit.audit.report import Report

_EXPORTS = {
    "audit_documents": "labkit.audit.auditor",
    "audit_paths": "labkit.audit.auditor",
    "audit_text": "labkit.audit.auditor",
    "CHECKS": "labkit.audit.checks",
    "Check": "labkit.audit.checks",
    "Finding": "labkit.audit.checks",
    "Report": "labkit.audit.report",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
