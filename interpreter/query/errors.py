"""Errors raised by the query layer (JSONPath, payload templates, intrinsics, JSONata, Choice).

Two kinds, never mixed:

* :class:`QuerySyntaxError` — found while *compiling* a definition (a malformed path, intrinsic call
  or JSONata expression). The definition layer turns it into an AWS diagnostic.
* :class:`QueryRuntimeError` — found while *evaluating* against data (a path that finds nothing, an
  intrinsic given the wrong type, a JSONata expression that returned nothing). It is an ASL failure:
  the core catches it and turns it into data (``States.Runtime``, ``States.QueryEvaluationError``,
  ``States.IntrinsicFailure``...) that flows into Retry and Catch. The core adds AWS's prefix
  ``An error occurred while executing the state 'X' (entered at the event id #N).`` to ``detail``.
"""

from __future__ import annotations


class QuerySyntaxError(ValueError):
    """A query that cannot be compiled. ``message`` is worded for an AWS diagnostic."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QueryRuntimeError(Exception):
    """An ASL runtime failure raised while evaluating a compiled query.

    ``error`` is the ASL error name (``States.Runtime``, ``States.QueryEvaluationError``,
    ``States.IntrinsicFailure``...). ``detail`` is AWS's text *after* the standard
    ``An error occurred while executing the state ...`` prefix, which the core adds.
    ``location`` names the field for JSONata failures (``Output``, ``Arguments``,
    ``Assign/result``); AWS puts it in the ``EvaluationFailed`` history event.
    ``with_state_prefix`` is False for the few causes AWS reports bare.
    """

    def __init__(
        self,
        error: str,
        detail: str,
        *,
        location: str | None = None,
        with_state_prefix: bool = True,
    ) -> None:
        super().__init__(f"{error}: {detail}")
        self.error = error
        self.detail = detail
        self.location = location
        self.with_state_prefix = with_state_prefix
