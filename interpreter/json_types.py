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


class NotJSONValueError(ValueError):
    """Text Python's parser accepts that is not JSON: ``NaN``, ``Infinity``, ``1e999``."""


def reject_constant(name: str) -> Any:
    """A ``parse_constant`` hook: ``NaN`` and ``Infinity`` are not JSON."""
    raise NotJSONValueError(f"Unexpected token {name}: not a JSON value")


def finite_float(text: str) -> float:
    """A ``parse_float`` hook: a number too large for a double is refused, not read as
    infinity (which no payload can carry)."""
    value = float(text)
    if math.isinf(value):
        raise NotJSONValueError(f"Number out of range: {text}")
    return value


def parse_json(text: str | bytes) -> JSON:
    """Parse JSON text strictly: ``NaN`` and ``Infinity`` are not JSON, and a number too large for
    a double (``1e999``) is refused rather than read as infinity, which no payload can carry.

    Raises ValueError (``json.JSONDecodeError`` for a syntax error) or RecursionError for text
    nested too deeply.
    """
    return json.loads(text, parse_constant=reject_constant, parse_float=finite_float)
