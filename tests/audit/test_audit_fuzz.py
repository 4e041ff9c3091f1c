"""Whatever shape an input has, the audit answers with findings or a located ManifestError, never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.audit import audit_text
from labkit.errors import ManifestError

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "audit" / "pitfalls").iterdir())
VALUES = ["", "[]", "{}", "null", "0", "3", "true", "x", "[a, {b: c}]", "{a: [b]}", "windows", "*",
          "system:serviceaccount:*:*", "AKIAIOSFODNN7EXAMPLE", "'169.254.170.23'"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SAMPLES), st.integers(0, 80), st.sampled_from(VALUES))
def test_mutated_inputs_never_crash(path: Path, index: int, value: str) -> None:
    lines = path.read_text().splitlines()
    line = lines[index % len(lines)]
    if ":" in line:
        key = line.split(":", 1)[0]
        lines[index % len(lines)] = f"{key}: {value}" + ("," if line.rstrip().endswith(",") else "")
    try:
        report = audit_text("\n".join(lines) + "\n", file=path.name, json_file=path.suffix == ".json")
    except ManifestError as error:
        assert error.file == path.name
    else:
        report.to_json()
