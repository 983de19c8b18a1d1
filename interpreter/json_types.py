"""The one alias for JSON values that flow through the interpreter.

States' inputs and outputs, payload templates, the context object and variables are all plain
JSON as produced by :func:`json.loads`: dicts, lists, str, int, float, bool and None.
"""

from __future__ import annotations

import itertools
import json
import math
import re
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


class TooDeeplyNestedError(ValueError):
    """JSON text nested deeper than a boundary allows (``depth`` is how deep it goes)."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"Document nesting depth ({depth}) exceeds the maximum allowed ({limit})")
        self.depth = depth
        self.limit = limit


#: A JSON string literal (the unrolled form: no backtracking on long strings).
_STRING_LITERAL = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: Bytes that are not brackets: deleted before the brackets are counted.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: Opening brackets become +1 and closing ones -1, read as signed bytes.
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def nesting_depth(text: str | bytes) -> int:
    """How deeply ``text`` nests arrays and objects, found without recursion (and without
    parsing: brackets inside strings do not count). Linear in the text's length."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") == 0:
        return 0
    if b'"' in data:
        data = _STRING_LITERAL.sub(b'""', data)
    steps = data.translate(_BRACKET_STEPS, _NOT_BRACKETS)
    return max(0, max(itertools.accumulate(memoryview(steps).cast("b")), default=0))


def parse_json_bounded(text: str | bytes, max_depth: int) -> JSON:
    """:func:`parse_json`, refusing text nested deeper than ``max_depth`` before it is parsed
    (:class:`TooDeeplyNestedError`): no recursion on a caller's data, here or downstream."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") > max_depth:
        depth = nesting_depth(data)
        if depth > max_depth:
            raise TooDeeplyNestedError(depth, max_depth)
    return parse_json(text)
