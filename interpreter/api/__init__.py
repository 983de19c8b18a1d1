"""The Step Functions API as Python: AWS's request and response shapes, AWS's error names.

* :class:`~interpreter.api.service.StepFunctionsService` — the API actions over a durable runtime
  (built by :mod:`interpreter.app`);
* :func:`execute_test_state` — the TestState action (:mod:`interpreter.api.teststate`);
* :class:`StepFunctionsError`, :class:`ValidationException`, :class:`InvalidDefinition` — the
  errors a refused request raises (:mod:`interpreter.api.errors`).
"""

from __future__ import annotations

from interpreter.api.errors import InvalidDefinition, StepFunctionsError, ValidationException
from interpreter.api.teststate import execute_test_state

__all__ = ["InvalidDefinition", "StepFunctionsError", "ValidationException", "execute_test_state"]
