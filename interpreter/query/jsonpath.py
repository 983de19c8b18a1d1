"""AWS's JSONPath dialect: compiled paths, value paths and ResultPath writes.

AWS evaluates JSONPath with Jayway JsonPath, so this module reproduces Jayway's behaviour and its
messages. Two kinds of path, decided when a path is compiled:

* **definite** paths (``$``, ``$.a.b``, ``$['a']``, ``$.a[0]``, ``$.a[-1]``) select one node. They
  compile to a tuple of keys and indexes and are evaluated by plain dict/list lookups. A definite
  path that selects nothing raises :class:`PathNotFoundError` with Jayway's text
  (``No results for path: $['x']``, ``Missing property in path $['no']``...).
* **indefinite** paths (wildcards, ``..``, slices, unions, filters) always evaluate to a list of
  matches, possibly empty, as Jayway returns them. Their structure is walked here with Jayway's
  rules (a filter applied to an object tests the object itself; ``@`` never matches a scalar);
  filter predicates (``@.a == 1 && @.b > 2``, ``@.id == $.wanted``, ``@.name =~ /a.*/i``...)
  follow Jayway's filter language (:mod:`interpreter.query.jsonpath_filter`), are compiled with
  the path and applied to one candidate at a time.

Values returned by ``find`` alias the searched document. The engine treats JSON values as
immutable (every write copies along its path, see :func:`apply_result_path`), so sharing is safe.

Value paths (:func:`compile_value_path`) add the roots ASL allows where a value is read: ``$...``
(the input), ``$$...`` (the context object) and ``$name...`` (a variable).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from interpreter.json_types import JSON
from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.jsontext import java_class_name, to_compact_json, to_java_string
from interpreter.query.scope import Scope

__all__ = [
    "JsonPath",
    "PathNotFoundError",
    "ReferencePath",
    "ValuePath",
    "apply_result_path",
    "compile_path",
    "compile_reference_path",
    "compile_value_path",
    "filter_expressions",
    "input_steps",
]

# Jayway names its JSON provider in one message; AWS runs it over Jackson's untyped maps and lists
# (States.Format prints arguments as java.util.Map.toString(), which tells us so).
_JSON_PROVIDER: Final = "com.jayway.jsonpath.spi.json.JacksonJsonProvider"

_MISSING: Final = object()


class PathNotFoundError(QueryRuntimeError):
    """A definite path that selects nothing.

    ``reason`` is Jayway's text (``No results for path: $['a']``); ``detail`` wraps it the way AWS
    reports InputPath/OutputPath failures: ``Invalid path '$.a' : No results for path: $['a']``.
    ``document`` is the JSON the path was evaluated against, for causes that quote it.
    """

    def __init__(self, path_text: str, reason: str, document: JSON) -> None:
        super().__init__("States.Runtime", f"Invalid path '{path_text}' : {reason}")
        self.path_text = path_text
        self.reason = reason
        self.document = document


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Props:
    names: tuple[str, ...]

    def fragment(self) -> str:
        return "[" + ",".join(f"'{n}'" for n in self.names) + "]"


@dataclass(frozen=True, slots=True)
class _Indexes:
    indexes: tuple[int, ...]

    def fragment(self) -> str:
        return "[" + ",".join(str(i) for i in self.indexes) + "]"


@dataclass(frozen=True, slots=True)
class _Slice:
    start: int | None
    end: int | None

    def fragment(self) -> str:
        start = "" if self.start is None else str(self.start)
        end = "" if self.end is None else str(self.end)
        return f"[{start}:{end}]"


@dataclass(frozen=True, slots=True)
class _Wildcard:
    def fragment(self) -> str:
        return "[*]"


@dataclass(frozen=True, slots=True)
class _Descend:
    def fragment(self) -> str:
        return ".."


@dataclass(frozen=True, slots=True)
class _Filter:
    expression: str
    #: ``predicate(item, root)``: whether ``item`` passes, ``root`` being the searched document.
    predicate: Callable[[JSON, JSON], bool]

    def fragment(self) -> str:
        return "[?]"


_Segment = _Props | _Indexes | _Slice | _Wildcard | _Descend | _Filter

# Characters that end a dot-notation property name (Jayway's rule); '(' would start a function.
_DOT_NAME_END: Final = frozenset(".[( ")


def _syntax(text: str, why: str) -> QuerySyntaxError:
    return QuerySyntaxError(f"Invalid JSONPath '{text}': {why}")


def _read_dot_name(text: str, i: int) -> tuple[str, int]:
    start = i
    n = len(text)
    while i < n and text[i] not in _DOT_NAME_END:
        i += 1
    if i < n and text[i] == "(":
        # Jayway would call a function (length(), sum()...); AWS does not: it looks the name up
        # as a property, parentheses included ("Invalid path '$.list.length()' : Property
        # ['length()'] not found in path $['list']", quoted in awsdocs/aws-step-functions-
        # developer-guide#5), so the definition is valid and the read finds nothing.
        close = text.find(")", i)
        if close < 0:
            raise _syntax(text, f"unterminated '(' at position {i}")
        i = close + 1
    if i < n and text[i] == " ":
        raise _syntax(text, "use bracket notation ['my prop'] for names with blanks")
    if i == start:
        raise _syntax(text, f"a property name is expected at position {start}")
    return text[start:i], i


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """Read a quoted bracket property starting at the quote; return (name, index after quote).

    A backslash protects the next character from ending the name but is kept: AWS resolves
    ``$['Test\\"Name']`` against the key ``Test\\"Name`` (recorded case
    ESCAPE_SEQUENCES_JSONPATH).
    """
    quote = text[i]
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == quote:
            return text[i + 1 : j], j + 1
        j += 1
    raise _syntax(text, "unterminated quoted property name")


def _read_int(text: str, token: str) -> int:
    stripped = token.strip()
    body = stripped[1:] if stripped.startswith("-") else stripped
    if not body.isdigit() or not body.isascii():
        raise _syntax(text, f"'{stripped}' is not an array index")
    return int(stripped)


def _find_filter_end(text: str, i: int) -> int:
    """Given ``i`` just after ``[?(``, return the index of the matching ``)``.

    Quoted strings and ``/regex/`` literals (the only use of ``/`` in a filter) are skipped.
    """
    depth = 1
    n = len(text)
    quote: str | None = None
    while i < n:
        c = text[i]
        if quote is not None:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"/":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise _syntax(text, "unterminated filter expression")


def _compile_filter(text: str, expression: str) -> _Filter:
    from interpreter.query.jsonpath_filter import compile_filter

    return _Filter(expression, compile_filter(text, expression, compile_path))


def _read_bracket(text: str, i: int) -> tuple[_Segment, int]:
    """Parse the bracket starting at ``text[i] == '['``."""
    n = len(text)
    j = _skip_spaces(text, i + 1)
    if j >= n:
        raise _syntax(text, "unterminated bracket")
    c = text[j]
    if c == "?":
        j = _skip_spaces(text, j + 1)
        if j >= n or text[j] != "(":
            raise _syntax(text, "a filter must read [?(...)]")
        end = _find_filter_end(text, j + 1)
        expression = text[j + 1 : end].strip()
        k = _skip_spaces(text, end + 1)
        if k >= n or text[k] != "]":
            raise _syntax(text, "a filter must read [?(...)]")
        return _compile_filter(text, expression), k + 1
    if c == "(":
        raise _syntax(text, "script expressions are not supported")
    if c == "*":
        k = _skip_spaces(text, j + 1)
        if k >= n or text[k] != "]":
            raise _syntax(text, "expected ']' after '*'")
        return _Wildcard(), k + 1
    if c in "'\"":
        names: list[str] = []
        k = j
        while True:
            name, k = _read_quoted(text, k)
            names.append(name)
            k = _skip_spaces(text, k)
            if k < n and text[k] == ",":
                k = _skip_spaces(text, k + 1)
                if k >= n or text[k] not in "'\"":
                    raise _syntax(text, "expected a quoted property name after ','")
                continue
            if k < n and text[k] == "]":
                return _Props(tuple(names)), k + 1
            raise _syntax(text, "expected ']' after a quoted property name")
    close = text.find("]", j)
    if close < 0:
        raise _syntax(text, "unterminated bracket")
    content = text[j:close]
    if ":" in content:
        parts = content.split(":")
        if len(parts) != 2:
            raise _syntax(text, "array slices take [from:to]")
        low = _read_int(text, parts[0]) if parts[0].strip() else None
        high = _read_int(text, parts[1]) if parts[1].strip() else None
        return _Slice(low, high), close + 1
    return _Indexes(tuple(_read_int(text, p) for p in content.split(","))), close + 1


def _parse_segments(text: str, i: int) -> list[_Segment]:
    segments: list[_Segment] = []
    n = len(text)
    while i < n:
        c = text[i]
        if c == ".":
            if text.startswith("..", i):
                segments.append(_Descend())
                i += 2
                if i < n and text[i] == "[":
                    continue
            else:
                i += 1
                if i < n and text[i] == "[":
                    # Jayway accepts "$.a.['b c']" as "$.a['b c']".
                    continue
            if i < n and text[i] == "*":
                segments.append(_Wildcard())
                i += 1
                continue
            name, i = _read_dot_name(text, i)
            segments.append(_Props((name,)))
        elif c == "[":
            segment, i = _read_bracket(text, i)
            segments.append(segment)
        else:
            raise _syntax(text, f"unexpected character {c!r} at position {i}")
    if segments and isinstance(segments[-1], _Descend):
        raise _syntax(text, "a path cannot end with '..'")
    return segments


def _definite_steps(segments: Sequence[_Segment]) -> tuple[str | int, ...] | None:
    steps: list[str | int] = []
    for segment in segments:
        if isinstance(segment, _Props) and len(segment.names) == 1:
            steps.append(segment.names[0])
        elif isinstance(segment, _Indexes) and len(segment.indexes) == 1:
            steps.append(segment.indexes[0])
        else:
            return None
    return tuple(steps)


# --------------------------------------------------------------------------------------------
# Compiled paths
# --------------------------------------------------------------------------------------------


class JsonPath:
    """A compiled JSONPath. ``find(data)`` evaluates it; see the module docstring."""

    __slots__ = ("is_definite", "text")

    text: str
    is_definite: bool

    def find(self, data: JSON) -> JSON:
        """Return the selected value (definite) or the list of matches (indefinite)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


def _fragment(step: str | int) -> str:
    return f"['{step}']" if isinstance(step, str) else f"[{step}]"


class _DefinitePath(JsonPath):
    """A path of plain keys and indexes: evaluated by direct lookups."""

    __slots__ = ("_fragments", "steps")

    def __init__(self, text: str, steps: tuple[str | int, ...]) -> None:
        self.text = text
        self.is_definite = True
        self.steps = steps
        self._fragments = tuple(_fragment(s) for s in steps)

    def find(self, data: JSON) -> JSON:
        current = data
        for step in self.steps:
            if type(step) is str:
                if type(current) is dict:
                    current = current.get(step, _MISSING)
                    if current is _MISSING:
                        raise self._not_found(data)
                    continue
                raise self._not_found(data)
            if type(current) is list:
                try:
                    current = current[cast(int, step)]
                except IndexError:
                    raise self._not_found(data) from None
                continue
            raise self._not_found(data)
        return current

    def jayway_path(self, upto: int | None = None) -> str:
        """Jayway's rendering of the path (``$['a'][0]``), optionally only its first steps."""
        return "$" + "".join(self._fragments[:upto])

    def _not_found(self, data: JSON) -> PathNotFoundError:
        """Work out Jayway's message for the step where ``data`` ran out."""
        return PathNotFoundError(self.text, self.explain(data), data)

    def explain(self, data: JSON) -> str:
        """Jayway's reason why this path selects nothing in ``data``."""
        current = data
        last = len(self.steps) - 1
        for k, step in enumerate(self.steps):
            here = self.jayway_path(k)
            if isinstance(step, str):
                if not isinstance(current, dict):
                    return (
                        f"Expected to find an object with property {self._fragments[k]} in path "
                        f"{here} but found '{java_class_name(current)}'. This is not a json "
                        f"object according to the JsonProvider: '{_JSON_PROVIDER}'."
                    )
                if step not in current:
                    if k == last:
                        return f"No results for path: {self.jayway_path()}"
                    return f"Missing property in path {self.jayway_path(k + 1)}"
                current = current[step]
            else:
                if current is None:
                    return f"The path {here} is null"
                if not isinstance(current, list):
                    rest = "".join(self._fragments[k:])
                    return (
                        f"Filter: {rest} can only be applied to arrays. Current context is: "
                        f"{to_java_string(current)}"
                    )
                if not -len(current) <= step < len(current):
                    return f"No results for path: {self.jayway_path()}"
                current = current[step]
        raise AssertionError("explain() called for a path that matches")  # pragma: no cover


def _descendants(node: JSON, out: list[JSON]) -> None:
    """Append ``node`` and everything below it, in Jayway's scan order (pre-order)."""
    out.append(node)
    if isinstance(node, dict):
        for value in node.values():
            if isinstance(value, (dict, list)):
                _descendants(value, out)
            else:
                out.append(value)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, (dict, list)):
                _descendants(value, out)
            else:
                out.append(value)


def _apply_segment(
    segment: _Segment, node: JSON, is_last: bool, out: list[JSON], root: JSON
) -> None:
    if isinstance(segment, _Props):
        if not isinstance(node, dict):
            return
        if len(segment.names) == 1:
            value = node.get(segment.names[0], _MISSING)
            if value is not _MISSING:
                out.append(value)
        elif is_last:
            # Jayway merges a trailing multi-property selection into one object per node.
            out.append({name: node[name] for name in segment.names if name in node})
        else:
            out.extend(node[name] for name in segment.names if name in node)
    elif isinstance(segment, _Indexes):
        if isinstance(node, list):
            size = len(node)
            out.extend(node[i] for i in segment.indexes if -size <= i < size)
    elif isinstance(segment, _Slice):
        if isinstance(node, list):
            out.extend(node[segment.start : segment.end])
    elif isinstance(segment, _Wildcard):
        if isinstance(node, dict):
            out.extend(node.values())
        elif isinstance(node, list):
            out.extend(node)
    elif isinstance(segment, _Filter):
        if isinstance(node, dict):
            # Jayway tests an object against the filter itself.
            if segment.predicate(node, root):
                out.append(node)
        elif isinstance(node, list):
            # AWS: "@" matches objects only, never scalar items.
            out.extend(
                item for item in node if isinstance(item, dict) and segment.predicate(item, root)
            )


class _IndefinitePath(JsonPath):
    """A path with wildcards, scans, slices, unions or filters: evaluates to a list."""

    __slots__ = ("_segments",)

    def __init__(self, text: str, segments: Sequence[_Segment]) -> None:
        self.text = text
        self.is_definite = False
        self._segments = tuple(segments)

    def find(self, data: JSON) -> JSON:
        nodes: list[JSON] = [data]
        segments = self._segments
        last = len(segments) - 1
        k = 0
        while k <= last:
            segment = segments[k]
            out: list[JSON] = []
            if isinstance(segment, _Descend):
                k += 1
                following = segments[k]
                scanned: list[JSON] = []
                for node in nodes:
                    _descendants(node, scanned)
                for node in scanned:
                    if isinstance(following, _Filter):
                        # After '..' a filter is tested against each object once, as Jayway's
                        # scan does, not again as an item of its parent array.
                        if isinstance(node, dict) and following.predicate(node, data):
                            out.append(node)
                    else:
                        _apply_segment(following, node, k == last, out, data)
            else:
                for node in nodes:
                    _apply_segment(segment, node, k == last, out, data)
            nodes = out
            k += 1
        return nodes


def compile_path(text: str) -> JsonPath:
    """Compile an ASL JSONPath rooted at ``$`` (raises :class:`QuerySyntaxError`)."""
    if not isinstance(text, str):
        raise QuerySyntaxError(f"A JSONPath must be a string, not {type(text).__name__}")
    stripped = text.strip()
    if not stripped.startswith("$") or stripped.startswith("$$"):
        raise _syntax(text, "a path must start with '$'")
    segments = _parse_segments(stripped, 1)
    steps = _definite_steps(segments)
    if steps is not None:
        return _DefinitePath(text, steps)
    return _IndefinitePath(text, segments)


# --------------------------------------------------------------------------------------------
# Value paths: $ (input), $$ (context), $name (variable)
# --------------------------------------------------------------------------------------------


class ValuePath:
    """A path read from a scope: ``$...`` (input), ``$$...`` (context) or ``$name...``."""

    __slots__ = ("path", "text")

    text: str
    path: JsonPath

    @property
    def is_definite(self) -> bool:
        """Whether the path selects a single node (else it evaluates to a list)."""
        return self.path.is_definite

    def document(self, scope: Scope) -> JSON:
        """The JSON this path is evaluated against in ``scope``."""
        raise NotImplementedError

    def evaluate(self, scope: Scope) -> JSON:
        """Select the value; a definite path that finds nothing raises PathNotFoundError."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


class _InputPath(ValuePath):
    __slots__ = ()

    def __init__(self, text: str, path: JsonPath) -> None:
        self.text = text
        self.path = path

    def document(self, scope: Scope) -> JSON:
        return scope.input

    def evaluate(self, scope: Scope) -> JSON:
        try:
            return self.path.find(scope.input)
        except PathNotFoundError as exc:
            raise PathNotFoundError(self.text, exc.reason, exc.document) from None


class _ContextPath(ValuePath):
    __slots__ = ()

    def __init__(self, text: str, path: JsonPath) -> None:
        self.text = text
        self.path = path

    def document(self, scope: Scope) -> JSON:
        return scope.context

    def evaluate(self, scope: Scope) -> JSON:
        try:
            return self.path.find(scope.context)
        except PathNotFoundError as exc:
            raise PathNotFoundError(self.text, exc.reason, exc.document) from None


class _VariablePath(ValuePath):
    __slots__ = ("name",)

    def __init__(self, text: str, name: str, path: JsonPath) -> None:
        self.text = text
        self.name = name
        self.path = path

    def document(self, scope: Scope) -> JSON:
        return scope.variables.get(self.name)

    def evaluate(self, scope: Scope) -> JSON:
        value = scope.variables.get(self.name, _MISSING)
        if value is _MISSING:
            raise PathNotFoundError(
                self.text, f"The variable '{self.name}' is not defined", dict(scope.variables)
            )
        try:
            return self.path.find(value)
        except PathNotFoundError as exc:
            raise PathNotFoundError(self.text, exc.reason, exc.document) from None


def filter_expressions(path: ValuePath) -> tuple[str, ...] | None:
    """The filter expressions of a path whose only indefinite parts are filters, else None.

    ``$.jar[?(@.a >= 5)]`` gives ``("@.a >= 5",)``; a definite path gives ``()``; a path with a
    wildcard, a scan, a slice or a union gives None.
    """
    inner = path.path
    if isinstance(inner, _DefinitePath):
        return ()
    assert isinstance(inner, _IndefinitePath)
    expressions: list[str] = []
    for segment in inner._segments:
        if isinstance(segment, _Filter):
            expressions.append(segment.expression)
        elif not (
            (isinstance(segment, _Props) and len(segment.names) == 1)
            or (isinstance(segment, _Indexes) and len(segment.indexes) == 1)
        ):
            return None
    return tuple(expressions)


def input_steps(path: ValuePath) -> tuple[str | int, ...] | None:
    """The keys and indexes of a definite path into the input (``$.a[0]``), else None.

    Hot callers use them to look values up inline and fall back to ``path.evaluate`` (which
    raises with AWS's wording) only when a step does not apply.
    """
    if isinstance(path, _InputPath) and isinstance(path.path, _DefinitePath):
        return path.path.steps
    return None


def _is_variable_char(c: str) -> bool:
    return c == "_" or c.isalnum()


def compile_value_path(text: str) -> ValuePath:
    """Compile a path that reads a value: ``$...``, ``$$...`` or ``$name...``."""
    if not isinstance(text, str):
        raise QuerySyntaxError(f"A JSONPath must be a string, not {type(text).__name__}")
    stripped = text.strip()
    if stripped.startswith("$$"):
        return _ContextPath(text, compile_path(stripped[1:]))
    if not stripped.startswith("$"):
        raise _syntax(text, "a path must start with '$'")
    if len(stripped) == 1 or stripped[1] in ".[":
        return _InputPath(text, compile_path(stripped))
    i = 1
    while i < len(stripped) and _is_variable_char(stripped[i]):
        i += 1
    name = stripped[1:i]
    if not name or not (name[0] == "_" or name[0].isalpha()):
        raise _syntax(text, "a variable name must start with a letter or '_'")
    return _VariablePath(text, name, compile_path("$" + stripped[i:]))


# --------------------------------------------------------------------------------------------
# ResultPath
# --------------------------------------------------------------------------------------------


class ReferencePath:
    """A definite path where a result is written (ResultPath); ``$`` has no steps."""

    __slots__ = ("path", "steps", "text")

    def __init__(self, text: str, path: _DefinitePath) -> None:
        self.text = text
        self.path = path
        self.steps = path.steps

    def __repr__(self) -> str:
        return f"ReferencePath({self.text!r})"


def compile_reference_path(text: str) -> ReferencePath:
    """Compile a ResultPath-like path: only ``$``, keys and indexes (raises QuerySyntaxError)."""
    path = compile_path(text)
    if not isinstance(path, _DefinitePath):
        raise QuerySyntaxError(
            f"Invalid reference path '{text}': it must identify a single node "
            "(no wildcards, filters, slices, unions or '..')"
        )
    return ReferencePath(text, path)


def _conflict(step: str | int, state_input: JSON) -> QueryRuntimeError:
    # AWS's wording, as its ExecutionFailed events show it: the step that could not be applied
    # and the whole state input, and no "An error occurred while executing the state" prefix.
    return QueryRuntimeError(
        "States.ReferencePathConflict",
        f'Unable to apply step "{step}" to input {to_compact_json(state_input)}',
        with_state_prefix=False,
    )


def apply_result_path(state_input: JSON, result_path: ReferencePath | None, result: JSON) -> JSON:
    """Combine a state's input and result as ResultPath says, without mutating either.

    ``None`` (``"ResultPath": null``) keeps the input, ``$`` replaces it, ``$.a.b`` writes into a
    copy of the input that is new only along the written path; missing objects on the way are
    created. A step that meets a value it cannot hold (a key on a non-object, an index on a
    non-array or outside it) raises ``States.ReferencePathConflict``.
    """
    if result_path is None:
        return state_input
    steps = result_path.steps
    if not steps:
        return result
    if len(steps) == 1 and type(state_input) is dict and type(steps[0]) is str:
        # The common case, "$.field" on an object: one shallow copy.
        combined = state_input.copy()
        combined[steps[0]] = result
        return combined
    last = len(steps) - 1
    # Walk down copying each container on the path, then link the copies bottom-up.
    copies: list[Any] = []
    current: JSON = state_input
    for k, step in enumerate(steps):
        if type(step) is str:
            if current is _MISSING:
                copy: Any = {}
            elif type(current) is dict:
                copy = dict(current)
            else:
                raise _conflict(step, state_input)
            copies.append(copy)
            current = _MISSING if k == last else copy.get(step, _MISSING)
        else:
            index = cast(int, step)
            if type(current) is not list or not -len(current) <= index < len(current):
                raise _conflict(step, state_input)
            copy = list(current)
            copies.append(copy)
            current = _MISSING if k == last else copy[index]
    value: JSON = result
    for k in range(last, -1, -1):
        copies[k][steps[k]] = value
        value = copies[k]
    return value
