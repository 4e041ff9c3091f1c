"""What every course widget shares: ipywidgets loaded on demand, and a notebook display with a stable text form."""

from __future__ import annotations

import html
from types import ModuleType
from typing import Any

from labkit.errors import MissingDependency


def load_ipywidgets() -> ModuleType:
    """ipywidgets, imported at first use so `import labkit.ui` stays light."""
    try:
        import ipywidgets
    except ImportError as exc:
        raise MissingDependency("labkit.ui widgets need ipywidgets: pip install 'ipywidgets>=8.1,<9'") from exc
    return ipywidgets


class CourseWidget:
    """Base of the course widgets: shows `root` (an ipywidget) with `repr(self)` as the text/plain form.

    Strict nbval compares text/plain of committed outputs; the widget-view JSON carries a random model id
    and is skipped, so the one-line repr must be deterministic.
    """

    root: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.root._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        return bundle


def pre(text: str, css_class: str = "") -> str:
    """Text in a <pre> block, escaped."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<pre{attribute} style=\"white-space:pre-wrap;margin:0\">{html.escape(text)}</pre>"


def bullet_list(items: list[str] | tuple[str, ...], css_class: str = "") -> str:
    """Escaped items as an HTML list ('' when there are none)."""
    if not items:
        return ""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<ul{attribute}>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"


EFFECT_COLOURS = {"Allow": "#1a7f37", "ExplicitDeny": "#cf222e", "ImplicitDeny": "#9a6700"}


def effect_badge(effect: str) -> str:
    """The effect in bold, coloured the way labkit.policy.Decision colours it."""
    return f'<b style="color:{EFFECT_COLOURS.get(effect, "#57606a")}">{html.escape(effect)}</b>'
