"""The one alias for JSON values that flow through the interpreter.

States' inputs and outputs, payload templates, the context object and variables are all plain
JSON as produced by :func:`json.loads`: dicts, lists, str, int, float, bool and None.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeAlias

#: Any JSON value. Kept as ``Any`` on purpose: the engine passes values through untouched, and a
#: recursive union costs mypy time without catching real mistakes at these boundaries.
JSON: TypeAlias = Any

#: A JSON object.
JSONObject: TypeAlias = dict[str, Any]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text} is out of range")
    return value


def parse_json(text: str | bytes) -> JSON:
    """Parse JSON text strictly: ``NaN`` and ``Infinity`` are not JSON, and a number too large for
    a double (``1e999``) is refused rather than read as infinity, which no payload can carry.

    Raises ValueError (``json.JSONDecodeError`` for a syntax error) or RecursionError for text
    nested too deeply.
    """
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
