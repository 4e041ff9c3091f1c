"""The one exception tree of labkit.

::

    LabkitError(Exception)
    ├── InputError(LabkitError, ValueError)      bad input; says file, line and JSON path; CLI exit 2
    │   ├── PolicyError                           a policy document that does not parse or validate
    │   ├── InventoryError                        a decision-engine inventory (YAML) that does not validate
    │   └── ManifestError                         a Kubernetes manifest that cannot be used
    ├── CheckFailed(LabkitError, AssertionError)  an exercise check that did not pass (labkit.grading)
    ├── NetworkBlocked(LabkitError, ConnectionRefusedError)
    │                                             the offline guard refused a non-loopback connection
    ├── LabError(LabkitError, RuntimeError)       the simulated lab could not do what was asked
    │   ├── AwsError                              an AWS error answer: code, message, HTTP status
    │   └── KubernetesError                       an API-server answer: reason (NotFound, Forbidden, ...)
    └── MissingDependency(LabkitError, ImportError)
                                                  an optional package is missing; says what to install

Deny is never an exception: policy evaluation returns a Decision.
"""

from __future__ import annotations


class LabkitError(Exception):
    """Root of every error labkit raises on purpose."""


class InputError(LabkitError, ValueError):
    """Input that labkit cannot use, located by file, line and JSON path where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.path = path

    @property
    def where(self) -> str:
        """`file:line: at $.json.path` — the parts that are known."""
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.path:
            parts.append(f"at {self.path}")
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.where
        return f"{where}: {self.message}" if where else self.message


class PolicyError(InputError):
    """A policy document that does not parse or does not follow the IAM grammar."""


class InventoryError(InputError):
    """A decision-engine inventory that does not validate."""


class ManifestError(InputError):
    """A Kubernetes manifest that labkit cannot use."""


class CheckFailed(LabkitError, AssertionError):
    """An exercise check that did not pass: what is wrong, and a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nHint: {self.hint}" if self.hint else self.message


class NetworkBlocked(LabkitError, ConnectionRefusedError):
    """The offline guard refused a connection to a non-loopback address."""


class LabError(LabkitError, RuntimeError):
    """The simulated lab could not do what was asked."""


class AwsError(LabError):
    """An AWS error answer, carrying the real error code and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, *, sender_fault: bool = True) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault


class KubernetesError(LabError):
    """An error the cluster's API server or kubectl gives, worded as kubectl prints it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"Error from server ({reason}): {message}" if reason else f"error: {message}")
        self.reason = reason
        self.message = message


class MissingDependency(LabkitError, ImportError):
    """An optional dependency is not installed; the message says what to install."""
