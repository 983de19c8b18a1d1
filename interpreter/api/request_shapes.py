"""Requests checked against the Step Functions API model, before any action runs.

The model is botocore's (the one the SDKs are generated from), so required members, member types,
enumerations, lengths, ranges and patterns are AWS's own. The whole request is walked, nested
structures and lists included (iteratively bounded by the model's own depth). Refusals take AWS's
forms:

* a member of the wrong JSON type, or a number its type cannot hold (an ``integer`` beyond 32
  bits, a ``long`` beyond 64): ``SerializationException`` (the service cannot deserialise the
  request);
* every broken constraint: one ``ValidationException`` with the service's "N validation
  error(s) detected: ..." message, each problem worded as AWS words it, for example
  ``Value null at 'roleArn' failed to satisfy constraint: Member must not be null`` or
  ``Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than
  or equal to 1000``. Members of list items are named ``tags.1.member.key``; the values of
  sensitive members (inputs, outputs, causes) are not repeated (``Value at 'input' ...``).

Rules the model cannot express stay with the actions (``InvalidName``, ``InvalidArn``...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from interpreter.api.errors import StepFunctionsError, api_error

# The JSON types a member of each model type may arrive as.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
}
#: The values Java's ``int`` and ``long`` hold.
_INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
#: Java regular expression classes the model uses, in Python's syntax.
_JAVA_CLASSES = {r"\p{ASCII}": r"\x00-\x7f"}


@functools.cache
def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("stepfunctions")


def _type_ok(value: object, type_name: str) -> bool:
    allowed = _JSON_TYPES.get(type_name)
    if allowed is None:
        return True
    if isinstance(value, bool) and bool not in allowed:
        return False  # JSON true is not a number
    if not isinstance(value, allowed):
        return False
    bounds = _INTEGER_RANGES.get(type_name)
    return bounds is None or (isinstance(value, int) and bounds[0] <= value <= bounds[1])


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _validation_message(problems: list[str]) -> str:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)


@functools.cache
def _pattern(text: str) -> re.Pattern[str]:
    for java, python in _JAVA_CLASSES.items():
        text = text.replace(java, f"[{python}]")
    return re.compile(text)


def _length(value: str, shape: Any) -> int:
    """A string's length as the service counts it: UTF-8 bytes for payloads (sensitive data),
    UTF-16 code units (Java's ``String.length``) for everything else."""
    if shape.name == "SensitiveData":
        return len(value.encode("utf-8", "surrogatepass"))
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


class _Walk:
    """One request's problems, found by walking it along the model."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, shape: Any, value: Any, path: str, constraint: str) -> None:
        subject = "Value" if shape.metadata.get("sensitive") else f"Value '{_shown(value)}'"
        self.problems.append(f"{subject} at '{path}' failed to satisfy constraint: {constraint}")

    def walk(self, shape: Any, value: Any, path: str) -> None:
        # An explicit stack: a request nests no deeper than the model, but it is never trusted.
        pending = [(shape, value, path)]
        while pending:
            shape, value, path = pending.pop()
            if value is None:
                continue
            if not _type_ok(value, shape.type_name):
                raise api_error(
                    "SerializationException",
                    f"Unexpected value type for member '{path.split('.')[-1]}': expected "
                    f"{shape.type_name}",
                )
            pending.extend(reversed(self._children(shape, value, path)))

    def _children(self, shape: Any, value: Any, path: str) -> list[tuple[Any, Any, str]]:
        kind = shape.type_name
        prefix = f"{path}." if path else ""
        if kind == "structure":
            for name in shape.required_members:
                if value.get(name) is None:
                    self.problems.append(
                        f"Value null at '{prefix}{name}' failed to satisfy constraint: "
                        "Member must not be null"
                    )
            return [
                (shape.members[name], member, prefix + name)
                for name, member in value.items()
                if name in shape.members
            ]
        if kind == "list":
            self._bounds(shape, value, path, len(value), "length")
            return [(shape.member, item, f"{path}.{i}.member") for i, item in enumerate(value, 1)]
        if kind == "map":
            self._bounds(shape, value, path, len(value), "length")
            return [(shape.value, item, f"{path}.{key}") for key, item in value.items()]
        if kind == "string":
            self._string(shape, value, path)
        elif kind in ("integer", "long", "float", "double"):
            self._bounds(shape, value, path, value, "value")
        return []

    def _string(self, shape: Any, value: str, path: str) -> None:
        enum = shape.enum
        if enum and value not in enum:
            self.problem(
                shape, value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
            return
        self._bounds(shape, value, path, _length(value, shape), "length")
        pattern = shape.metadata.get("pattern")
        if pattern and not _pattern(pattern).fullmatch(value):
            self.problem(
                shape, value, path, f"Member must satisfy regular expression pattern: {pattern}"
            )

    def _bounds(self, shape: Any, value: Any, path: str, measure: Any, what: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and measure < low:
            self.problem(
                shape, value, path, f"Member must have {what} greater than or equal to {low}"
            )
        elif high is not None and measure > high:
            self.problem(
                shape, value, path, f"Member must have {what} less than or equal to {high}"
            )


def check_request(action: str, request: Mapping[str, Any]) -> None:
    """Refuse ``request`` for ``action`` as the service would, or return (see module docs)."""
    try:
        shape = _service_model().operation_model(action).input_shape
    except Exception:  # an action the model does not know: nothing to check against
        return
    if shape is None:
        return
    walk = _Walk()
    walk.walk(shape, dict(request), "")
    if walk.problems:
        raise api_error("ValidationException", _validation_message(walk.problems))


def missing_members(names: list[str]) -> StepFunctionsError:
    """The refusal of a request that lacks members an action cannot do without."""
    return api_error(
        "ValidationException",
        _validation_message(
            [
                f"Value null at '{name}' failed to satisfy constraint: Member must not be null"
                for name in names
            ]
        ),
    )
