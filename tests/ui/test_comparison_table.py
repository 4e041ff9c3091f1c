"""The comparison table: today's rows vs the course text's, changes tied to facts."""

from __future__ import annotations

from labkit import FACTS
from labkit.decide.comparison import comparison_frame, comparison_rows
from labkit.ui import ComparisonTable, comparison_html


def test_every_changed_row_names_its_facts():
    for row in comparison_rows():
        assert all(f in FACTS for f in row.facts), row.attribute
        if row.changed:
            assert row.facts, row.attribute


def test_numbers_come_from_the_policy_engine_not_from_text():
    sizes = next(r for r in comparison_rows() if r.attribute.startswith("Service accounts per role"))
    assert sizes.irsa.startswith("4 one statement each, 27 packed per cluster at 2,048")
    assert sizes.course_irsa == "~4-8 per role" and sizes.changed


def test_cross_account_row_teaches_target_roles():
    row = next(r for r in comparison_rows() if r.attribute == "Cross-account")
    assert row.cells("course-text")[0] == "Via role chaining"
    assert "target role" in row.cells("today")[0].lower()


def test_frame_filters_changed_rows():
    assert len(comparison_frame(changed_only=True)) == sum(r.changed for r in comparison_rows()) < len(comparison_rows())


def test_widget_switches_views_and_filters():
    table = ComparisonTable()
    assert "Target role on the association" in table.table.value
    table.view.value = "course-text"
    assert "Via role chaining" in table.table.value
    table.changed_only.value = True
    assert repr(table) == f"ComparisonTable(view='course-text', rows={table.table.value.count('<tr') - 1}, changed={table.table.value.count('<tr') - 1})"
    assert "labkit-comparison-table" in table.table._dom_classes


def test_html_escapes_and_marks_changes():
    html = comparison_html("today")
    assert html.count("✱") == sum(r.changed for r in comparison_rows()) + 1  # plus the legend
