"""How the browser tests judge a page (no browser needed): what a learner would see go wrong is reported."""

from __future__ import annotations

import nbformat

from .labpage import STDERR, CellView, OutputView, problems


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def code(source: str = "x = 1", outputs: list[dict] | None = None, tags: list[str] | None = None):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": tags or []})
    cell.outputs = [nbformat.from_dict(o) for o in outputs or []]
    return cell


PNG = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}
WIDGET = {"output_type": "execute_result", "data": {"text/plain": "IntSlider(value=3)"}, "metadata": {},
          "execution_count": 1}
STDERR_STREAM = {"output_type": "stream", "name": "stderr", "text": "a warning\n"}
VALUE_ERROR = {"output_type": "error", "ename": "ValueError", "evalue": "on purpose", "traceback": []}


def test_a_clean_run_has_no_problems():
    nb = notebook(nbformat.v4.new_markdown_cell("# t"), code(outputs=[PNG]), code(outputs=[WIDGET]), code(""))
    shown = [CellView("markdown", ""), CellView("code", "[1]:", (OutputView("image/png", "", images=1),)),
             CellView("code", "[2]:", (OutputView("widget", "n 3", widgets=1),)), CellView("code", "[ ]:")]
    assert problems(nb, shown) == []


def test_each_thing_a_learner_would_see_go_wrong_is_named():
    nb = notebook(code("a = 1"), code("b = 2"), code("plot()", outputs=[PNG]), code("slider", outputs=[WIDGET]),
                  code("w2"))
    shown = [CellView("code", "[ ]:"),
             CellView("code", "[1]:", (OutputView(STDERR, "---\nNameError: x"),)),
             CellView("code", "[2]:", (OutputView("text/plain", "<Figure>"),)),
             CellView("code", "[3]:", (OutputView("text/plain", "IntSlider(value=3)"),)),
             CellView("code", "[4]:", (OutputView("widget", "Error displaying widget: model not found"),))]
    found = problems(nb, shown)
    assert len(found) == 5, found
    assert "cell 0 ('a = 1') did not run" in found[0]
    assert "cell 1 ('b = 2') shows an error: NameError: x" in found[1]
    assert "cell 2 ('plot()') should show 1 image(s), shows 0" in found[2]
    assert "cell 3 ('slider') should show 1 widget view(s), shows 0" in found[3]
    assert "cell 4 ('w2') shows a broken widget" in found[4]


def test_deliberate_failures_must_still_fail_and_committed_stderr_is_allowed():
    nb = notebook(code("raise", outputs=[VALUE_ERROR], tags=["raises-exception"]),
                  code("warn()", outputs=[STDERR_STREAM]))
    still_fails = [CellView("code", "[1]:", (OutputView(STDERR, "ValueError: on purpose"),)),
                   CellView("code", "[2]:", (OutputView(STDERR, "a warning"),))]
    assert problems(nb, still_fails) == []
    stopped_failing = [CellView("code", "[1]:"), still_fails[1]]
    assert problems(nb, stopped_failing) == [
        "cell 0 ('raise') is tagged raises-exception but no longer shows ValueError"]


def test_a_page_with_other_cells_is_reported_once():
    assert problems(notebook(code()), []) == ["the page shows 0 cells, the notebook has 1"]
