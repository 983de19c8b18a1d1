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
    """JSON text or a value nested deeper than a boundary allows (``depth`` is how deep it goes,
    None when the walk stopped at the limit without measuring the rest)."""

    def __init__(self, depth: int | None, limit: int) -> None:
        shown = f" ({depth})" if depth is not None else ""
        super().__init__(f"Document nesting depth{shown} exceeds the maximum allowed ({limit})")
        self.depth = depth
        self.limit = limit


class PayloadTooLargeError(ValueError):
    """A value whose JSON text is certainly longer than a boundary allows."""


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


#: A character that cannot stand alone in Unicode text (half of a UTF-16 surrogate pair).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_PROBLEM = "A string holds an unpaired surrogate: it is not Unicode text"
#: The most bytes one character of a string takes in compact JSON text (``\u001f``).
_MAX_BYTES_PER_CHAR = 6
#: Integers shorter than this many bits have fewer than 3,900 digits: Python writes them (it
#: refuses over 4,300 by default), so their size needs no exact measure.
_SAFE_INT_BITS = 12_900
#: The most bytes a double takes in JSON text (``-2.2250738585072014E-308``).
_MAX_DOUBLE_BYTES = 25


def json_size_bound(value: JSON, *, max_depth: int, max_bytes: int | None = None) -> int:
    """Check that ``value`` is a JSON value nested at most ``max_depth`` levels, and return an
    upper bound on the UTF-8 size of its compact JSON text (the caller measures exactly only when
    the bound is over its limit: most values are far below it).

    A JSON value is a tree of dicts with string keys, lists, strings of Unicode text, finite
    numbers, booleans and None. The walk is iterative (no recursion on a caller's data), stops
    at the first problem, and with ``max_bytes`` stops as soon as the text is certainly longer:
    so it visits at most ``max_bytes`` nodes however the value is built (a value that shares a
    part many times over is as large as its text, and a value that contains itself is infinitely
    deep).

    Raises :class:`NotJSONValueError`, :class:`TooDeeplyNestedError` or
    :class:`PayloadTooLargeError`.
    """
    if not isinstance(value, (dict, list)):
        return _scalar_bounds(value)[1]
    limit = max_bytes if max_bytes is not None else math.inf
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    #: The containers above the one in hand, for telling a cycle from a deep value.
    path: list[int] = []
    least = most = 0
    while stack:
        container, depth = stack.pop()
        del path[depth - 1 :]
        path.append(id(container))
        if depth > max_depth:
            if len(set(path)) < len(path):
                raise NotJSONValueError("The value contains itself: it is not a JSON tree")
            raise TooDeeplyNestedError(None, max_depth)
        # Two brackets and a comma between members.
        punctuation = len(container) + 1 if container else 2
        least += punctuation
        most += punctuation
        if isinstance(container, dict):
            for key in container:
                if type(key) is not str and not isinstance(key, str):
                    raise NotJSONValueError(
                        f"An object key must be a string, not {type(key).__name__}"
                    )
                if not key.isascii() and _LONE_SURROGATE.search(key):
                    raise NotJSONValueError(_SURROGATE_PROBLEM)
                least += len(key) + 3
                most += _MAX_BYTES_PER_CHAR * len(key) + 3
            members: Any = container.values()
        else:
            members = container
        for item in members:
            kind = type(item)
            if kind is str:
                size = len(item)
                least += size + 2
                most += _MAX_BYTES_PER_CHAR * size + 2
                if not item.isascii() and _LONE_SURROGATE.search(item):
                    raise NotJSONValueError(_SURROGATE_PROBLEM)
            elif kind is dict or kind is list:
                stack.append((item, depth + 1))
            elif kind is int and item.bit_length() < _SAFE_INT_BITS:
                least += 1
                most += item.bit_length() // 3 + 2
            elif isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
            else:
                low, high = _scalar_bounds(item)
                least += low
                most += high
        if least > limit:
            raise PayloadTooLargeError(f"The JSON text is longer than {max_bytes} bytes")
    return most


def _scalar_bounds(item: Any) -> tuple[int, int]:
    """The least and the most bytes a scalar takes in JSON text; raises NotJSONValueError for a
    value that is not JSON."""
    if item is None or item is True:
        return 4, 4
    if item is False:
        return 5, 5
    if isinstance(item, str):
        if not item.isascii() and _LONE_SURROGATE.search(item):
            raise NotJSONValueError(_SURROGATE_PROBLEM)
        return len(item) + 2, _MAX_BYTES_PER_CHAR * len(item) + 2
    if isinstance(item, int):
        if item.bit_length() >= _SAFE_INT_BITS:
            try:
                return len(str(item)), len(str(item))
            except ValueError:  # more digits than Python writes (sys.set_int_max_str_digits)
                raise NotJSONValueError("An integer has too many digits to be written") from None
        return 1, item.bit_length() // 3 + 2
    if isinstance(item, float):
        if not math.isfinite(item):
            raise NotJSONValueError(f"{item!r} is not a JSON number")
        return 1, _MAX_DOUBLE_BYTES
    raise NotJSONValueError(f"A value of type {type(item).__name__} is not JSON")
