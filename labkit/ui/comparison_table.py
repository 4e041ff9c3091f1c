"""The official comparison made interactive: switch between the course text's table and today's, see what changed."""

from __future__ import annotations

import html
from typing import Any

from labkit.decide.comparison import ComparisonRow, View, comparison_rows
from labkit.ui.display import CourseWidget, load_ipywidgets

VIEWS: tuple[tuple[str, View], ...] = (("Today", "today"), ("As the course text says", "course-text"))


def comparison_html(view: View = "today", *, changed_only: bool = False) -> str:
    """The table as HTML; rows that changed since the course text are marked."""
    rows = [r for r in comparison_rows() if r.changed or not changed_only]
    head = "<tr><th>Attribute</th><th>Pod Identity</th><th>IRSA</th><th>What changed</th><th>Facts</th></tr>"
    body = "".join(_row_html(row, view) for row in rows)
    note = "<p>✱ the course text no longer holds as written.</p>"
    return f'<table class="labkit-comparison">{head}{body}</table>{note}'


def _row_html(row: ComparisonRow, view: View) -> str:
    """One table row; changed rows are highlighted."""
    style = ' style="background:#fff8c5"' if row.changed else ""
    mark = " ✱" if row.changed else ""
    cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in row.cells(view))
    return (f"<tr{style}><td><b>{html.escape(row.attribute)}</b>{mark}</td>{cells}"
            f"<td>{html.escape(row.change)}</td><td><code>{html.escape(', '.join(row.facts))}</code></td></tr>")


class ComparisonTable(CourseWidget):
    """Toggle between today's comparison and the course text's; optionally only the rows that changed."""

    def __init__(self, view: View = "today", *, changed_only: bool = False) -> None:
        widgets = load_ipywidgets()
        self.view = widgets.ToggleButtons(options=VIEWS, value=view, description="Show")
        self.view.add_class("labkit-comparison-view")
        self.changed_only = widgets.Checkbox(value=changed_only, description="only what changed")
        self.changed_only.add_class("labkit-comparison-changed")
        self.table = widgets.HTML()
        self.table.add_class("labkit-comparison-table")
        for control in (self.view, self.changed_only):
            control.observe(self._render, names="value")
        self.root = widgets.VBox([widgets.HBox([self.view, self.changed_only]), self.table])
        self._render()

    def _render(self, *_: Any) -> None:
        self.table.value = comparison_html(self.view.value, changed_only=self.changed_only.value)

    def __repr__(self) -> str:
        rows = [r for r in comparison_rows() if r.changed or not self.changed_only.value]
        return f"ComparisonTable(view={self.view.value!r}, rows={len(rows)}, changed={sum(r.changed for r in rows)})"
