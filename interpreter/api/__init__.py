"""The Step Functions API as Python: AWS's request and response shapes, AWS's error names.

* :func:`test_state` — the TestState action (:mod:`interpreter.api.test_state`);
* :class:`StepFunctionsError`, :class:`ValidationException`, :class:`InvalidDefinition` — the
  errors a refused request raises (:mod:`interpreter.api.errors`).
"""

from __future__ import annotations

from interpreter.api.errors import InvalidDefinition, StepFunctionsError, ValidationException
from interpreter.api.test_state import test_state

__all__ = ["InvalidDefinition", "StepFunctionsError", "ValidationException", "test_state"]

# pytest collects functions named ``test_*`` from modules that import them: not this one.
__test__ = False
