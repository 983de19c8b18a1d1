"""Payload templates: Parameters, ItemSelector, ResultSelector, Credentials, Arguments-like JSON.

A template is any JSON value. In its objects (at any depth, arrays included), a key ending in
``.$`` takes a dynamic value, and the key loses the suffix in the result:

* a path — ``$...`` (the scope's input), ``$$...`` (the context object), ``$name...`` (a variable);
* an intrinsic call — ``States.Format(...)`` and the other 17 functions.

Every other value is copied as written. The template is compiled once into a tree of small nodes;
evaluation builds fresh containers each time, so results never share a mutable constant with the
definition or with each other, and evaluation never parses text.

A definite path that selects nothing fails with ``States.Runtime`` and AWS's cause
``The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{...}'``,
where the input is the searched document as compact JSON (the context object for ``$$`` paths).
"""

from __future__ import annotations

from typing import Final

from interpreter.json_types import JSON
from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.intrinsics import IntrinsicCall, compile_intrinsic, is_intrinsic_call
from interpreter.query.jsonpath import (
    PathNotFoundError,
    ValuePath,
    compile_value_path,
    input_steps,
)
from interpreter.query.jsontext import to_compact_json
from interpreter.query.scope import Scope

__all__ = ["PayloadTemplate", "compile_payload_template"]

_SUFFIX: Final = ".$"

_JSON_TYPE_NAMES: Final = {
    dict: "an OBJECT",
    list: "an ARRAY",
    bool: "a BOOLEAN",
    int: "a NUMBER",
    float: "a NUMBER",
    type(None): "NULL",
}


class _Node:
    __slots__ = ()

    def evaluate(self, scope: Scope) -> JSON:
        raise NotImplementedError


class _Object(_Node):
    """An object; each entry is (key, constant, node) with node None for scalar constants.

    Evaluation copies a prototype that holds every key in the template's order (scalar constants
    in place, None where a value is computed), then fills in the computed values: key order is
    the definition's, and the copy is done in C.
    """

    __slots__ = ("dynamic", "entries", "prototype")

    def __init__(self, entries: tuple[tuple[str, JSON, _Node | None], ...]) -> None:
        self.entries = entries
        self.prototype = {key: constant for key, constant, _node in entries}
        self.dynamic = tuple((key, node) for key, _constant, node in entries if node is not None)

    def evaluate(self, scope: Scope) -> JSON:
        out: dict[str, JSON] = self.prototype.copy()
        for key, node in self.dynamic:
            out[key] = node.evaluate(scope)
        return out


class _Array(_Node):
    __slots__ = ("items",)

    def __init__(self, items: tuple[tuple[JSON, _Node | None], ...]) -> None:
        self.items = items

    def evaluate(self, scope: Scope) -> JSON:
        return [constant if node is None else node.evaluate(scope) for constant, node in self.items]


class _Scalar(_Node):
    __slots__ = ("value",)

    def __init__(self, value: JSON) -> None:
        self.value = value

    def evaluate(self, scope: Scope) -> JSON:
        return self.value


def _not_found(key: str, exc: PathNotFoundError) -> QueryRuntimeError:
    return QueryRuntimeError(
        "States.Runtime",
        f"The JSONPath '{exc.path_text}' specified for the field '{key}' could not be found in "
        f"the input '{to_compact_json(exc.document)}'",
    )


class _PathValue(_Node):
    __slots__ = ("key", "path")

    def __init__(self, key: str, path: ValuePath) -> None:
        self.key = key
        self.path = path

    def evaluate(self, scope: Scope) -> JSON:
        try:
            return self.path.evaluate(scope)
        except PathNotFoundError as exc:
            raise _not_found(self.key, exc) from None


class _InputLookup(_PathValue):
    """A ``$.a.b[0]``-style path into the input, looked up inline (the common case).

    Anything unusual (a missing key, a wrong type) goes through the value path itself, which
    raises with AWS's wording.
    """

    __slots__ = ("steps",)

    def __init__(self, key: str, path: ValuePath, steps: tuple[str | int, ...]) -> None:
        super().__init__(key, path)
        self.steps = steps

    def evaluate(self, scope: Scope) -> JSON:
        current = scope.input
        for step in self.steps:
            if type(step) is str:
                if type(current) is dict and step in current:
                    current = current[step]
                    continue
            elif type(current) is list and -len(current) <= step < len(current):  # type: ignore[operator]
                current = current[step]  # type: ignore[index]
                continue
            return super().evaluate(scope)
        return current


class _IntrinsicValue(_Node):
    __slots__ = ("call", "key")

    def __init__(self, key: str, call: IntrinsicCall) -> None:
        self.key = key
        self.call = call

    def evaluate(self, scope: Scope) -> JSON:
        try:
            return self.call.evaluate(scope)
        except PathNotFoundError as exc:
            raise _not_found(self.key, exc) from None


def _type_name(value: JSON) -> str:
    return _JSON_TYPE_NAMES.get(type(value), "a value")


def _compile_dynamic(key: str, value: JSON) -> _Node:
    """Compile the value of a ``.$`` key."""
    if not isinstance(value, str):
        raise QuerySyntaxError(
            f"The value for the field '{key}' must be a STRING that contains a JSONPath "
            f"but was {_type_name(value)}"
        )
    stripped = value.strip()
    reason: QuerySyntaxError | None = None
    try:
        if stripped.startswith("$"):
            path = compile_value_path(value)
            steps = input_steps(path)
            if steps is not None:
                return _InputLookup(key, path, steps)
            return _PathValue(key, path)
        if is_intrinsic_call(stripped):
            return _IntrinsicValue(key, compile_intrinsic(stripped))
    except QuerySyntaxError as exc:
        reason = exc
    # AWS's wording; the precise parse error stays attached as the cause for diagnostics.
    raise QuerySyntaxError(
        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
        "function call"
    ) from reason


def _compile(value: JSON) -> _Node | None:
    """Compile a template value; None means a scalar constant that can be shared as is."""
    if isinstance(value, dict):
        entries: list[tuple[str, JSON, _Node | None]] = []
        for key, item in value.items():
            if key.endswith(_SUFFIX):
                entries.append((key[: -len(_SUFFIX)], None, _compile_dynamic(key, item)))
            else:
                node = _compile(item)
                entries.append((key, item if node is None else None, node))
        return _Object(tuple(entries))
    if isinstance(value, list):
        items: list[tuple[JSON, _Node | None]] = []
        for item in value:
            node = _compile(item)
            items.append((item if node is None else None, node))
        return _Array(tuple(items))
    return None


class PayloadTemplate:
    """A compiled payload template; ``evaluate(scope)`` builds the payload."""

    __slots__ = ("_root", "field", "value")

    def __init__(self, value: JSON, field: str) -> None:
        self.value = value
        self.field = field
        node = _compile(value)
        self._root: _Node = _Scalar(value) if node is None else node

    def evaluate(self, scope: Scope) -> JSON:
        """Build the payload from ``scope`` (raises QueryRuntimeError on a failed path/call)."""
        return self._root.evaluate(scope)

    def __repr__(self) -> str:
        return f"PayloadTemplate(field={self.field!r})"


def compile_payload_template(value: JSON, *, field: str) -> PayloadTemplate:
    """Compile the template found in the state field ``field`` (raises QuerySyntaxError)."""
    return PayloadTemplate(value, field)
