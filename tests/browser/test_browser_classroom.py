"""The lab as a classroom first sees it: the course opens on 00-start-here, with the shipped settings and no
news prompt asking every learner about an internet feed the lab cannot reach."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from labkit import course, notebooks

from . import labpage
from .conftest import ROOT, LabServer

OVERRIDES = ROOT / ".jupyter" / "lab" / "settings" / "overrides.json"


def test_the_server_applies_every_shipped_setting(lab: LabServer):
    for plugin, expected in json.loads(OVERRIDES.read_text()).items():
        # overrides.json becomes the schema's defaults (a learner's own settings still win)
        schema = lab.api("GET", f"/lab/api/settings/{urllib.parse.quote(plugin)}")["schema"]
        defaults = {key: schema["properties"][key]["default"] for key in expected}
        assert defaults == _merged(defaults, expected), plugin


def _merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`base` with `update` applied, nested dicts merged key by key (as JupyterLab merges overrides)."""
    merged = dict(base)
    for key, value in update.items():
        merged[key] = _merged(base[key], value) if isinstance(value, dict) else value
    return merged


def test_the_course_opens_on_start_here_without_a_news_prompt(page: Any, lab: LabServer):
    page.goto(f"{lab.base}/?token={lab.token}")  # what `make lab` opens
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_function(labpage.KERNEL_IDLE, timeout=120_000)
    page.wait_for_timeout(3000)  # JupyterLab asks about news a moment after start-up; give it the chance

    assert urllib.parse.urlsplit(page.url).path == f"/lab/tree/{course.START_NOTEBOOK}"
    assert page.locator(".lm-DockPanel-tabBar .lm-mod-current").inner_text().strip() == "00-start-here.ipynb"
    title = course.notebook_title(notebooks.read(ROOT / course.START_NOTEBOOK))
    assert page.get_by_role("heading", name=title).first.is_visible()
    assert page.get_by_text("Jupyter news").count() == 0
    assert page.locator(".jp-toast-message, .Toastify__toast").count() == 0
    # classroom setting: line numbers, so an instructor can say "line 3"
    assert page.locator(".jp-CodeCell .cm-lineNumbers").first.is_visible()
