"""JupyterLab as a learner drives it: open a notebook, use the menus, read what the page shows.

The functions that read the page return plain data (`CellView`), and `problems` compares that data with
the committed notebook, so the judging logic is testable without a browser.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field
from typing import Any

# What ipywidgets writes into an output when a view cannot be built.
WIDGET_ERRORS = ("Error displaying widget", "model not found")
STDERR = "application/vnd.jupyter.stderr"
_RUN_PROMPT = re.compile(r"^\[\d+\]:$")

# One entry per `.jp-Cell`: its kind, prompt and outputs (mime type, text, loaded images, widget views).
_READ_CELLS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'))
  .map(cell => ({
    kind: cell.classList.contains('jp-CodeCell') ? 'code' : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
    prompt: ((cell.querySelector('.jp-InputPrompt') || {}).textContent || '').trim(),
    outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(out => ({
      mime: out.dataset.mimeType || (out.querySelector('.jupyter-widgets') ? 'widget' : ''),
      text: (out.textContent || '').slice(0, 2000),
      images: Array.from(out.querySelectorAll('img')).filter(img => img.complete && img.naturalWidth > 0).length,
      widgets: out.querySelectorAll('.jupyter-widgets').length,
    })),
  }))"""

KERNEL_IDLE = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const name = panel && panel.querySelector('.jp-KernelName');
  const status = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!(name && !/No Kernel/.test(name.textContent) && status && status.dataset.status === 'idle');
}"""

# Done when the kernel is idle, nothing is queued ([*]) and something has run since outputs were cleared.
_RUN_FINISHED = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const status = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const prompts = Array.from(panel ? panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt') : []).map(p => p.textContent.trim());
  return !!status && status.dataset.status === 'idle' && !prompts.some(p => p.includes('*'))
    && prompts.some(p => /^\\[\\d+\\]:$/.test(p));
}"""


@dataclass(frozen=True)
class OutputView:
    """One output as the page shows it."""

    mime: str
    text: str
    images: int = 0
    widgets: int = 0


@dataclass(frozen=True)
class CellView:
    """One cell as the page shows it."""

    kind: str
    prompt: str
    outputs: tuple[OutputView, ...] = field(default_factory=tuple)

    @property
    def ran(self) -> bool:
        """Whether the prompt shows an execution count."""
        return bool(_RUN_PROMPT.match(self.prompt))


def workspace_url(base: str, token: str, path: str, workspace: str) -> str:
    """A fresh workspace showing one file (`?reset`: no tabs restored from an earlier visit)."""
    return f"{base}/lab/workspaces/{workspace}/tree/{path}?reset&token={token}"


def open_notebook(page: Any, url: str, *, timeout_s: float = 120) -> None:
    """Load a notebook URL and wait until its cells are shown and its kernel is idle.

    If the kernel never shows as idle, reload once, as a learner would: on a loaded machine JupyterLab can
    miss the kernel's first status message and keep showing it as starting.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
    try:
        page.wait_for_function(KERNEL_IDLE, timeout=timeout_s * 500)
    except PlaywrightTimeout:
        page.reload()
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout_s * 1000)
        page.wait_for_function(KERNEL_IDLE, timeout=timeout_s * 1000)


def menu(page: Any, top: str, item: str) -> None:
    """Click a main-menu entry, then one of its items, like a learner with the mouse."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name=top, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def restart_and_run_all(page: Any, *, timeout_s: float) -> float:
    """Clear outputs, then Run > Restart Kernel and Run All Cells… (confirmed); seconds until all ran."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    menu(page, "Run", "Restart Kernel and Run All Cells…")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    started = time.monotonic()
    page.wait_for_function(_RUN_FINISHED, timeout=timeout_s * 1000, polling=250)
    return time.monotonic() - started


def read_cells(page: Any) -> list[CellView]:
    """Every cell of the notebook in view, as shown."""
    return [
        CellView(raw["kind"], raw["prompt"], tuple(OutputView(**out) for out in raw["outputs"]))
        for raw in page.evaluate(_READ_CELLS)
    ]


def problems(nb: Any, shown: list[CellView]) -> list[str]:
    """What a learner would see go wrong, comparing the page with the committed notebook (empty when fine)."""
    if len(shown) != len(nb.cells):
        return [f"the page shows {len(shown)} cells, the notebook has {len(nb.cells)}"]
    found: list[str] = []
    for index, (cell, view) in enumerate(zip(nb.cells, shown)):
        found += _cell_problems(index, cell, view)
    return found


def _cell_problems(index: int, cell: Any, view: CellView) -> list[str]:
    """The problems of one cell."""
    if cell.cell_type != "code":
        return []
    where = f"cell {index} ({_first_line(cell.source)!r})"
    if cell.source.strip() and not view.ran:
        return [f"{where} did not run (prompt {view.prompt!r})"]
    return (_error_problems(where, cell, view) + _widget_problems(where, cell, view)
            + _image_problems(where, cell, view))


def _error_problems(where: str, cell: Any, view: CellView) -> list[str]:
    """Errors shown where the committed notebook has none, and deliberate failures that stopped failing."""
    committed = cell.get("outputs", [])
    errors = [o for o in view.outputs if o.mime == STDERR]
    if "raises-exception" in cell.metadata.get("tags", []):
        expected = [o.ename for o in committed if o.output_type == "error"]
        missing = [name for name in expected if not any(name in o.text for o in errors)]
        return [f"{where} is tagged raises-exception but no longer shows {name}" for name in missing]
    # stderr the committed notebook also has (a deliberate print to stderr) is part of the lesson
    if any(o.output_type == "stream" and o.get("name") == "stderr" for o in committed):
        return []
    return [f"{where} shows an error: {_first_lines(o.text)}" for o in errors]


def _widget_problems(where: str, cell: Any, view: CellView) -> list[str]:
    """Widget views that failed to render, or that show as plain text instead of controls."""
    broken = [f"{where} shows a broken widget: {_first_lines(o.text)}" for o in view.outputs
              if any(marker in o.text for marker in WIDGET_ERRORS)]
    # Committed notebooks keep a widget's text form only (the view JSON is stripped): that names its class.
    expected = sum(_names_a_widget(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", []))
    shown = sum(1 for o in view.outputs if o.widgets)
    missing = [f"{where} should show {expected} widget view(s), shows {shown}"] if shown < expected else []
    return broken + missing


def _names_a_widget(text: str) -> bool:
    """Whether an output's text form is a widget's repr, like `IntSlider(value=3)` or `TokenInspector(...)`."""
    match = re.match(r"^([A-Z]\w*)\(", text)
    return bool(match) and match.group(1) in widget_class_names()


@functools.cache
def widget_class_names() -> frozenset[str]:
    """Names of ipywidgets' widget classes and of labkit's course widgets."""
    import ipywidgets

    names = {n for n, v in vars(ipywidgets).items() if isinstance(v, type) and issubclass(v, ipywidgets.Widget)}
    try:
        from labkit import ui
        from labkit.ui.display import CourseWidget
    except ImportError:  # labkit.ui not there yet: only ipywidgets' own
        return frozenset(names)
    exported = (getattr(ui, name) for name in ui.__all__)
    return frozenset(names | {v.__name__ for v in exported if isinstance(v, type) and issubclass(v, CourseWidget)})


def _image_problems(where: str, cell: Any, view: CellView) -> list[str]:
    """Plots the committed notebook has that the page does not show as loaded images."""
    expected = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    shown = sum(o.images for o in view.outputs)
    return [f"{where} should show {expected} image(s), shows {shown}"] if shown < expected else []


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:60] if text.strip() else ""


def _first_lines(text: str, count: int = 4) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not set(line.strip()) <= {"-"}]
    return " | ".join(lines[:count])[:400]
