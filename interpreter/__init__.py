"""asl-interpreter: validate and run Amazon States Language (AWS Step Functions) state machines.

The public API:

* :class:`StateMachine` — validate + compile a definition once, ``run`` it locally many times;
  :func:`run` does both for one execution. Results are :class:`ExecutionResult`.
* :func:`validate_definition` — AWS-shaped diagnostics (``ValidateStateMachineDefinition``).
* :class:`InvalidDefinitionError` — raised for invalid definitions, with AWS's message.
* :func:`sleep` — for local Lambda handlers that simulate slow work (virtual on a virtual clock).
* :func:`test_state` — AWS's TestState API: run one state, with mocks and inspection data.

Exceptions: ``InvalidDefinitionError`` (a ``ValueError``) for bad definitions,
``InvalidExecutionInputError`` (a ``ValueError``) for an input that is not JSON; ASL failures of an
execution (``States.TaskFailed``...) are never raised — they are the result's ``error``/``cause``.

Names are imported on first use, so ``import interpreter`` stays cheap (it runs inside Lambda).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interpreter.adapters.lambda_local import sleep
    from interpreter.app import run_test_state as test_state
    from interpreter.definition.diagnostics import Diagnostic
    from interpreter.definition.validation import validate_definition
    from interpreter.machine import (
        InvalidDefinitionError,
        InvalidExecutionInputError,
        StateMachine,
        run,
    )
    from interpreter.runtime.local import ExecutionResult

__all__ = [
    "Diagnostic",
    "ExecutionResult",
    "InvalidDefinitionError",
    "InvalidExecutionInputError",
    "StateMachine",
    "run",
    "sleep",
    "test_state",
    "validate_definition",
]

__version__ = "0.1.0"

#: Public name -> (module, attribute).
_HOMES = {
    "Diagnostic": ("interpreter.definition.diagnostics", "Diagnostic"),
    "ExecutionResult": ("interpreter.runtime.local", "ExecutionResult"),
    "InvalidDefinitionError": ("interpreter.machine", "InvalidDefinitionError"),
    "InvalidExecutionInputError": ("interpreter.machine", "InvalidExecutionInputError"),
    "StateMachine": ("interpreter.machine", "StateMachine"),
    "run": ("interpreter.machine", "run"),
    "sleep": ("interpreter.adapters.lambda_local", "sleep"),
    "test_state": ("interpreter.app", "run_test_state"),
    "validate_definition": ("interpreter.definition.validation", "validate_definition"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'interpreter' has no attribute {name!r}")
    value = getattr(importlib.import_module(home[0]), home[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
