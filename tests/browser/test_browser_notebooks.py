"""Every notebook of the course and of the answer key, run from JupyterLab's Run menu in a real Chromium.

A learner's view: the page must show every cell run, no error (except cells tagged `raises-exception`,
which must still fail), every widget as controls, every plot as an image. A screenshot of each lands
in artifacts/browser/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labkit import notebooks

from . import labpage
from .conftest import ARTIFACTS, ROOT, LabServer

COURSE = list(notebooks.course_notebooks(ROOT, ("notebooks", "solutions")))
RUN_TIMEOUT_S = 600
SCREENSHOT_MAX_HEIGHT = 16000


@pytest.mark.timeout(RUN_TIMEOUT_S + 120)
@pytest.mark.parametrize("path", COURSE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_runs_in_the_browser(path: Path, page: Any, lab: LabServer, notebook_timings: dict[str, float]):
    relative = path.relative_to(ROOT).as_posix()
    labpage.open_notebook(page, lab.url(relative, workspace=f"run-{path.parent.name}-{path.stem}"))
    notebook_timings[relative] = labpage.restart_and_run_all(page, timeout_s=RUN_TIMEOUT_S)
    shown = labpage.read_cells(page)
    screenshot(page, ARTIFACTS / f"{path.parent.name}-{path.stem}.png")
    assert labpage.problems(notebooks.read(path), shown) == []


def screenshot(page: Any, target: Path) -> None:
    """The whole notebook in one picture, from the top: the window grows to the notebook's height first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Off-screen cells are laid out with estimated heights (content-visibility): grow until the size holds.
    for _ in range(4):
        sizes = page.evaluate(_NOTEBOOK_SIZES)
        wanted = int(min(SCREENSHOT_MAX_HEIGHT, page.viewport_size["height"] - sizes["visible"] + sizes["content"]))
        if wanted <= page.viewport_size["height"]:
            break
        page.set_viewport_size({"width": page.viewport_size["width"], "height": wanted})
        page.wait_for_timeout(300)  # let the layout settle
    page.evaluate(_NOTEBOOK_SIZES)  # back to the top after the resizes
    page.screenshot(path=str(target))


# The height of the cells (scroll-invariant: last bottom minus first top) and of the visible notebook area.
_NOTEBOOK_SIZES = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const outer = panel.querySelector('.jp-WindowedPanel-outer');
  const cells = panel.querySelectorAll('.jp-Cell');
  const content = cells[cells.length - 1].getBoundingClientRect().bottom - cells[0].getBoundingClientRect().top;
  outer.scrollTop = 0;
  return {content: content + 60, visible: outer.clientHeight};
}"""
