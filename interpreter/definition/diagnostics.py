"""Definition diagnostics, shaped like AWS's ``ValidateStateMachineDefinition`` response.

A :class:`Diagnostic` is one finding: ``severity`` (``ERROR`` or ``WARNING``), AWS's ``code``
(``SCHEMA_VALIDATION_FAILED``, ``MISSING_TRANSITION_TARGET``...), a ``message`` worded as AWS
words it where we know AWS's wording, and a ``location`` in AWS's pointer style
(``/States/Choose/Choices[0]/Next``: object keys as ``/Key``, array items as ``[index]``; absent
when AWS gives none, as for ``MISSING_END_STATE`` at the top level).

Two renderings:

* :func:`validation_response` — the body of ``ValidateStateMachineDefinition``;
* :func:`invalid_definition_message` — the ``InvalidDefinition`` message of
  ``CreateStateMachine``/``UpdateStateMachine``: every ERROR as ``CODE: message at location``,
  joined with ``", "`` inside ``Invalid State Machine Definition: '...'`` (a missing location
  reads ``at null``, as AWS prints it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

Severity: TypeAlias = Literal["ERROR", "WARNING"]

ERROR: Final = "ERROR"
WARNING: Final = "WARNING"

# AWS's error codes (API reference, ValidateStateMachineDefinitionDiagnostic).
INVALID_JSON_DESCRIPTION: Final = "INVALID_JSON_DESCRIPTION"
MISSING_DESCRIPTION: Final = "MISSING_DESCRIPTION"
SCHEMA_VALIDATION_FAILED: Final = "SCHEMA_VALIDATION_FAILED"
INVALID_RESOURCE: Final = "INVALID_RESOURCE"
MISSING_END_STATE: Final = "MISSING_END_STATE"
DUPLICATE_STATE_NAME: Final = "DUPLICATE_STATE_NAME"
INVALID_STATE_NAME: Final = "INVALID_STATE_NAME"
DUPLICATE_LABEL_NAME: Final = "DUPLICATE_LABEL_NAME"
INVALID_LABEL_NAME: Final = "INVALID_LABEL_NAME"
MISSING_TRANSITION_TARGET: Final = "MISSING_TRANSITION_TARGET"
TOO_DEEPLY_NESTED: Final = "TOO_DEEPLY_NESTED"
# Codes AWS emits for JSONata expressions (observed in CreateStateMachine answers).
INVALID_JSONATA_EXPRESSION: Final = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA_EXPRESSION: Final = "UNSUPPORTED_JSONATA_EXPRESSION"
# AWS rejects an oversized definition before its validator runs (a ValidationException on the
# ``definition`` parameter), so it has no diagnostic code for it; this one is ours.
DEFINITION_TOO_LARGE: Final = "DEFINITION_TOO_LARGE"

# AWS's warning codes.
NO_DOLLAR: Final = "NO_DOLLAR"
NO_PATH: Final = "NO_PATH"
PASS_RESULT_IS_STATIC: Final = "PASS_RESULT_IS_STATIC"  # noqa: S105 - a code, not a secret

#: The prefix of every ``InvalidDefinition`` message built from diagnostics.
INVALID_DEFINITION_PREFIX: Final = "Invalid State Machine Definition: "

#: The diagnostics a Map ``Label`` produces whose ``InvalidDefinition`` text has its own shape.
_LABEL_VALUE_ERROR_CODE: Final = INVALID_LABEL_NAME


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a definition, in the shape of AWS's validation diagnostics."""

    severity: Severity
    code: str
    message: str
    location: str | None = None

    @property
    def is_error(self) -> bool:
        """True for ERROR diagnostics (the ones that make AWS refuse the definition)."""
        return self.severity == ERROR

    def to_json(self) -> dict[str, str]:
        """The diagnostic as an item of ``ValidateStateMachineDefinition``'s ``diagnostics``."""
        item = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            item["location"] = self.location
        return item

    def describe(self) -> str:
        """``CODE: message at location``, the form CreateStateMachine uses for one error."""
        location = "null" if self.location is None else self.location
        return f"{self.code}: {self.message} at {location}"


def error(code: str, message: str, location: str | None = None) -> Diagnostic:
    """An ERROR diagnostic."""
    return Diagnostic(ERROR, code, message, location)


def warning(code: str, message: str, location: str | None = None) -> Diagnostic:
    """A WARNING diagnostic."""
    return Diagnostic(WARNING, code, message, location)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an ERROR."""
    return any(d.is_error for d in diagnostics)


def invalid_definition_message(diagnostics: Sequence[Diagnostic], definition_text: str) -> str:
    """The ``InvalidDefinition`` message ``CreateStateMachine`` returns for these diagnostics.

    Only ERROR diagnostics count. ``definition_text`` is the definition exactly as the caller
    submitted it: the recorded AWS answers for an invalid Map ``Label`` quote it whole, in the
    form ``Error=ValueError Args=['<reason>'] in definition '<definition>'.``, and that check
    runs before the others, so such an error is reported alone.
    """
    errors = [d for d in diagnostics if d.is_error]
    if not errors:
        return ""
    for diagnostic in errors:
        if diagnostic.code == _LABEL_VALUE_ERROR_CODE and diagnostic.message.startswith("Label "):
            # repr() of a one-item list is exactly how the recorded message renders the reason
            # (quotes chosen by content, control characters as \x escapes).
            return (
                f"Error=ValueError Args={[diagnostic.message]!r} in definition '{definition_text}'."
            )
    return INVALID_DEFINITION_PREFIX + "'" + ", ".join(d.describe() for d in errors) + "'"


def validation_response(
    diagnostics: Sequence[Diagnostic],
    *,
    severity: Severity = ERROR,
    max_results: int | None = 100,
) -> dict[str, object]:
    """The ``ValidateStateMachineDefinition`` response body for these diagnostics.

    ``severity`` is AWS's request parameter: ``ERROR`` returns only errors, ``WARNING`` returns
    both. ``max_results`` caps the list as AWS's ``maxResults`` does (0 means its default, 100;
    None, ours, means no cap); ``truncated`` says whether more were found. ``result`` is ``FAIL``
    when any ERROR exists, whatever is returned.
    """
    selected = [d for d in diagnostics if severity == WARNING or d.is_error]
    limit = len(selected) if max_results is None else (max_results or 100)
    return {
        "result": "FAIL" if has_errors(diagnostics) else "OK",
        "diagnostics": [d.to_json() for d in selected[:limit]],
        "truncated": len(selected) > limit,
    }
