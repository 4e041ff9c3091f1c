"""Checks for the course's exercises.

A check either prints one line saying what passed, or raises `CheckFailed` saying what is wrong and hinting
at the fix. Inside a notebook, importing this module makes a failed check show just those lines instead of
a traceback (the learner's own bugs still get full tracebacks).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from labkit.errors import CheckFailed

__all__ = ["CheckFailed", "attempt", "check", "check_equal", "passed"]

T = TypeVar("T")


def check(condition: object, message: str, hint: str | None = None) -> None:
    """Fail with ``message`` (and ``hint``) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message, hint)


def check_equal(actual: object, expected: object, *, what: str, hint: str | None = None) -> None:
    """Fail unless ``actual == expected``, showing both values."""
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}", hint)


def attempt(answer: Callable[..., T], *args: Any, hint: str | None = None, **kwargs: Any) -> T:
    """Call the learner's function; an unfinished stub or a crash becomes a readable `CheckFailed`."""
    name = getattr(answer, "__name__", "your function")
    try:
        return answer(*args, **kwargs)
    except CheckFailed:
        raise
    except NotImplementedError as exc:
        raise CheckFailed(f"{name} is not written yet.", str(exc) or hint) from None
    except Exception as exc:  # the learner's code failed: say how, briefly
        raise CheckFailed(f"{name} raised {type(exc).__name__}: {exc}", hint) from None


def passed(message: str) -> None:
    """Print the line a passing check shows."""
    print(f"✔ {message}")


def _show_check_failure(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> list[str]:
    """IPython custom-exception handler: show the failure and the hint, no traceback."""
    lines = [f"✘ Check failed: {getattr(value, 'message', value)}"]
    if getattr(value, "hint", None):
        lines.append(f"  Hint: {value.hint}")  # type: ignore[attr-defined]
    # IPython ignores what a custom handler returns; it must display the error itself (as an error output,
    # so the cell still counts as failed).
    shell._showtraceback(etype, value, lines)
    return lines


def _install_notebook_handler() -> None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is not None and CheckFailed not in getattr(shell, "custom_exceptions", ()):
        shell.set_custom_exc((CheckFailed,), _show_check_failure)


_install_notebook_handler()
