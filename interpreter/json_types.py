"""The one alias for JSON values that flow through the interpreter.

States' inputs and outputs, payload templates, the context object and variables are all plain
JSON as produced by :func:`json.loads`: dicts, lists, str, int, float, bool and None.
"""

from __future__ import annotations

from typing import Any, TypeAlias

#: Any JSON value. Kept as ``Any`` on purpose: the engine passes values through untouched, and a
#: recursive union costs mypy time without catching real mistakes at these boundaries.
JSON: TypeAlias = Any

#: A JSON object.
JSONObject: TypeAlias = dict[str, Any]
