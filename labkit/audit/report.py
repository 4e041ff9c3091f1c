"""The audit's answer: findings with locations, as JSON, Markdown, text or pandas."""

from __future__ import annotations

import html
import json
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any

from labkit.audit.checks import SEVERITIES, Finding
from labkit.errors import MissingDependency


@dataclass(frozen=True)
class Report:
    """Every finding of one audit run."""

    findings: tuple[Finding, ...]
    files: int

    @property
    def exit_code(self) -> int:
        """1 when anything was found (contract 5), else 0."""
        return 1 if self.findings else 0

    def ids(self) -> set[tuple[str, str]]:
        """(file name, check id) of every finding, handy for tests and exercises."""
        return {(f.location.file.rsplit("/", 1)[-1], f.id) for f in self.findings}

    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        counter = Counter(f.severity for f in self.findings)
        return {severity: counter[severity] for severity in SEVERITIES}

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"files": self.files, "counts": self.counts(), "findings": [f.to_dict() for f in self.findings]}

    def to_json(self, *, indent: int | None = 2) -> str:
        """JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_frame(self) -> Any:
        """One row per finding (pandas is imported now)."""
        try:
            import pandas as pd  # type: ignore[import-untyped]
        except ImportError as exc:
            raise MissingDependency("Report.to_frame needs pandas: pip install pandas") from exc
        return pd.DataFrame([f.to_dict() for f in self.findings],
                            columns=["id", "severity", "file", "document", "path", "line", "message", "why", "fix",
                                     "fact"])

    def to_table(self) -> str:
        """Readable text: one block per finding."""
        if not self.findings:
            return f"No findings in {self.files} files.\n"
        lines = [f"{len(self.findings)} findings in {self.files} files: " +
                 ", ".join(f"{n} {s}" for s, n in self.counts().items() if n)]
        for f in self.findings:
            lines += ["", f"[{f.severity}] {f.id}  {f.location}", *_wrap(f.detail), *_wrap("Why: " + f.check.why),
                      *_wrap("Fix: " + f.check.fix + (f" (fact {f.check.fact})" if f.check.fact else ""))]
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        """Markdown table of findings."""
        lines = [f"# Audit: {len(self.findings)} findings in {self.files} files", ""]
        if self.findings:
            lines += ["| severity | check | where | what | fix |", "|---|---|---|---|---|"]
            lines += [f"| {f.severity} | `{f.id}` | `{f.location}` | {f.detail} | {f.check.fix} |" for f in self.findings]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_table()

    def __repr__(self) -> str:
        return f"<Report {len(self.findings)} findings in {self.files} files>"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{f.severity}</td><td><code>{f.id}</code></td><td>{html.escape(str(f.location))}</td>"
                       f"<td>{html.escape(f.detail)}</td><td>{html.escape(f.check.fix)}</td></tr>" for f in self.findings)
        return (f"<p>{html.escape(repr(self))}</p><table><tr><th>severity</th><th>check</th><th>where</th>"
                f"<th>what</th><th>fix</th></tr>{rows}</table>")


def _wrap(text: str) -> list[str]:
    """A paragraph indented under a finding."""
    return textwrap.wrap(text, 100, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False,
                         break_long_words=False)
