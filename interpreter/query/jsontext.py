"""How AWS's Java runtime writes JSON values as text.

Step Functions runs on the JVM: its JSONPath engine is Jayway JsonPath over Jackson, so values
reach users in two textual shapes, and causes and intrinsic results must reproduce both:

* :func:`to_compact_json` — Jackson's compact serialisation: no spaces, non-ASCII characters kept
  as they are, doubles written the way ``Double.toString`` writes them (``1.0E7``), control
  characters escaped with upper-case hex. ``States.JsonToString`` and the causes that quote an
  input document use it.
* :func:`to_java_string` — ``toString()`` of the Java collections Jackson builds (``{a=1, b=[x]}``,
  strings without quotes). ``States.Format`` renders its arguments this way, and Jayway's
  messages quote models this way.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

from interpreter.json_types import JSON

__all__ = ["java_class_name", "java_double", "to_compact_json", "to_java_string"]

_HEX = "0123456789ABCDEF"


def java_double(value: float) -> str:
    """Return ``Double.toString(value)``: ``1.0``, ``0.001``, ``1.0E7``, ``1.5E-4``.

    Java uses plain notation for magnitudes in [1e-3, 1e7) and computerised scientific notation
    otherwise, always with at least one digit after the point. The digits are the shortest ones
    that round-trip, which is what Python's ``repr`` produces too.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    digits_tuple = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(str(d) for d in digits_tuple.digits)
    exponent = int(digits_tuple.exponent)
    # Scientific exponent of the first significant digit.
    sci = len(digits) + exponent - 1
    if -3 <= sci < 7:
        if sci >= 0:
            whole = digits[: sci + 1].ljust(sci + 1, "0")
            fraction = digits[sci + 1 :] or "0"
        else:
            whole = "0"
            fraction = "0" * (-sci - 1) + digits
        return f"{sign}{whole}.{fraction}"
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{sign}{mantissa}E{sci}"


_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _escape_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    if "\\u00" not in encoded:
        return encoded
    # Python writes \u001f where Jackson writes \u001F: rebuild this (rare) string by hand.
    out = ['"']
    for c in text:
        escaped = _SHORT_ESCAPES.get(c)
        if escaped is not None:
            out.append(escaped)
        elif c < " ":
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def to_compact_json(value: JSON) -> str:
    """Serialise ``value`` the way Jackson's default writer does (compact, UTF-8 kept)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _escape_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{_escape_string(k)}:{to_compact_json(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(to_compact_json(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def to_java_string(value: JSON) -> str:
    """Render ``value`` as the Java collection's ``toString()`` would (``{a=1, b=[x, y]}``)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={to_java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_java_string(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def java_class_name(value: JSON) -> str:
    """Name the Java class Jackson's untyped reader would build for ``value`` (for Jayway texts)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return "java.lang.Integer"
        if -(2**63) <= value < 2**63:
            return "java.lang.Long"
        return "java.math.BigInteger"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, dict):
        return "java.util.LinkedHashMap"
    if isinstance(value, list):
        return "java.util.ArrayList"
    raise TypeError(f"not a JSON value: {type(value).__name__}")
