"""JSONPath filter predicates (``[?(...)]``) with Jayway JsonPath's operators and value rules.

AWS evaluates JSONPath with Jayway JsonPath, so a filter may use everything Jayway's filter
language has: paths relative to the current item (``@.a``) or to the document's root
(``$.wanted``), literals (``'text'``, ``"text"``, numbers, ``true``, ``false``, ``null``, JSON
arrays and objects, ``/regex/flags``), the relational operators ``==``, ``!=``, ``===``, ``!==``,
``<``, ``<=``, ``>``, ``>=``, ``=~``, ``in``, ``nin``, ``subsetof``, ``anyof``, ``noneof``,
``contains``, ``all``, ``size``, ``empty``, ``exists``, a path alone as an existence test,
``!``, ``&&``, ``||`` and parentheses.

Values compare the way Jayway's value nodes do: a number equals a string that parses to the same
``BigDecimal`` (``1 == '1'``, ``1.0 == 1``), strings compare lexicographically, numbers
numerically, a path that selects nothing is *undefined* (every comparison with it is false,
except ``!=`` and ``nin``, which negate ``==`` and ``in``), arrays and objects are equal when
their JSON is.
``=~`` matches the whole text (``Matcher.matches()``) with :mod:`interpreter.query.safe_regex`,
which runs in linear time: no pattern from a definition reaches Python's backtracking ``re``.

The expression is parsed once, when the path is compiled; evaluating it reads values only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Protocol

from interpreter.json_types import JSON
from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.jsontext import java_double
from interpreter.query.safe_regex import SafeRegex, compile_regex


class JsonPath(Protocol):
    """What a filter needs of a compiled path (``interpreter.query.jsonpath.JsonPath``, which
    hands its compiler to :func:`compile_filter`: the two modules do not import each other)."""

    @property
    def is_definite(self) -> bool:
        """Whether the path names one place (no wildcard, slice or filter)."""
        ...

    def find(self, value: JSON) -> Any:
        """What the path selects in ``value`` (raises QueryRuntimeError when nothing)."""
        ...


__all__ = ["FilterPredicate", "compile_filter"]

#: ``predicate(item, root) -> bool``: does ``item`` pass, ``root`` being the searched document.
FilterPredicate = Callable[[JSON, JSON], bool]

_UNDEFINED: Final = object()
# Java's BigDecimal(String) syntax (Python's Decimal also takes "NaN", "Infinity", blanks).
_BIG_DECIMAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")
_WORD_OPERATORS: Final = (
    "subsetof",
    "contains",
    "noneof",
    "anyof",
    "exists",
    "empty",
    "size",
    "type",
    "nin",
    "all",
    "in",
)
_SYMBOL_OPERATORS: Final = ("===", "!==", "==", "!=", "<=", ">=", "=~", "<", ">")


# --------------------------------------------------------------------------------------------
# Value nodes (Jayway's ValueNode kinds)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Str:
    value: str


@dataclass(frozen=True, slots=True)
class _Num:
    value: Decimal


@dataclass(frozen=True, slots=True)
class _Bool:
    value: bool


@dataclass(frozen=True, slots=True)
class _Null:
    pass


@dataclass(frozen=True, slots=True)
class _Json:
    """An array or an object (from a path or a JSON literal)."""

    value: Any


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: SafeRegex
    text: str


@dataclass(frozen=True, slots=True)
class _Undefined:
    pass


_Value = _Str | _Num | _Bool | _Null | _Json | _Pattern | _Undefined
_UNDEFINED_NODE: Final = _Undefined()


def _number(value: int | float) -> _Num:
    # Jayway builds a BigDecimal from the Java value's toString(): 1.0 stays "1.0".
    return _Num(Decimal(java_double(value) if isinstance(value, float) else str(value)))


def _node_of(value: Any) -> _Value:
    """The value node Jayway makes of a JSON value."""
    if value is _UNDEFINED:
        return _UNDEFINED_NODE
    if value is None:
        return _Null()
    if isinstance(value, bool):
        return _Bool(value)
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str):
        return _Str(value)
    return _Json(value)


def _as_text(node: _Value) -> str | None:
    if isinstance(node, _Str):
        return node.value
    if isinstance(node, _Num):
        return str(node.value)  # BigDecimal.toString()
    return None


def _as_number(node: _Value) -> Decimal | None:
    if isinstance(node, _Num):
        return node.value
    if isinstance(node, _Str) and _BIG_DECIMAL.match(node.value):
        try:
            return Decimal(node.value)
        except InvalidOperation:  # pragma: no cover - the pattern rules it out
            return None
    return None


def _same_json(left: Any, right: Any) -> bool:
    """Java's equals() on the collections Jackson builds: 1 and 1.0 and true differ."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same_json(left[k], right[k]) for k in left)
    if isinstance(left, list):
        if len(left) != len(right):
            return False
        return all(_same_json(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


def _equals(left: _Value, right: _Value) -> bool:
    """``left.equals(right)`` as Jayway's value nodes define it (not always symmetric)."""
    if isinstance(left, _Str):
        text = _as_text(right)
        return text is not None and text == left.value
    if isinstance(left, _Num):
        number = _as_number(right)
        return number is not None and number == left.value
    if isinstance(left, _Json):
        return isinstance(right, _Json) and _same_json(left.value, right.value)
    if isinstance(left, _Pattern):
        return isinstance(right, _Pattern) and left.text == right.text
    # Booleans, null and undefined: equal to their own kind.
    return left == right


def _items(node: _Value) -> list[_Value] | None:
    """The elements of an array node, or None (Jayway's asValueListNode)."""
    if isinstance(node, _Json) and isinstance(node.value, list):
        return [_node_of(item) for item in node.value]
    return None


def _compare(left: _Value, right: _Value) -> int | None:
    if isinstance(left, _Num) and isinstance(right, _Num):
        return (left.value > right.value) - (left.value < right.value)
    if isinstance(left, _Str) and isinstance(right, _Str):
        return (left.value > right.value) - (left.value < right.value)
    return None


def _regex_input(node: _Value) -> str:
    text = _as_text(node)
    if text is not None:
        return text
    if isinstance(node, _Bool):
        return "true" if node.value else "false"
    return ""


def _regex_match(left: _Value, right: _Value) -> bool:
    if isinstance(left, _Pattern) == isinstance(right, _Pattern):
        return False
    pattern, subject = (left, right) if isinstance(left, _Pattern) else (right, left)
    assert isinstance(pattern, _Pattern)
    elements = _items(subject)
    if elements is not None:
        return any(pattern.regex.matches(_regex_input(item)) for item in elements)
    return pattern.regex.matches(_regex_input(subject))


def _in(left: _Value, right: _Value) -> bool:
    elements = _items(right)
    return elements is not None and any(_equals(left, item) for item in elements)


def _list_relation(left: _Value, right: _Value, relation: str) -> bool:
    lefts, rights = _items(left), _items(right)
    if lefts is None or rights is None:
        return False
    if relation == "subsetof":
        return all(any(_equals(a, b) for b in rights) for a in lefts)
    hit = any(_equals(a, b) for a in lefts for b in rights)
    return hit if relation == "anyof" else not hit


def _contains(left: _Value, right: _Value) -> bool:
    if isinstance(left, _Str) and isinstance(right, _Str):
        return right.value in left.value
    elements = _items(left)
    return elements is not None and any(_equals(right, item) for item in elements)


def _all(left: _Value, right: _Value) -> bool:
    required, present = _items(right), _items(left)
    if required is None or present is None:
        return False
    return all(any(_equals(need, have) for have in present) for need in required)


def _size(left: _Value, right: _Value) -> bool:
    if not isinstance(right, _Num):
        return False
    expected = int(right.value)  # BigDecimal.intValue()
    if isinstance(left, _Str):
        return len(left.value) == expected
    if isinstance(left, _Json):
        return isinstance(left.value, list) and len(left.value) == expected
    return False


def _empty(left: _Value, right: _Value) -> bool:
    if not isinstance(right, _Bool):
        return False
    if isinstance(left, _Str):
        return (left.value == "") == right.value
    if isinstance(left, _Json):
        return (len(left.value) == 0) == right.value
    return False


def _type(left: _Value, right: _Value) -> bool:
    # Jayway's "type" compares with a Java class literal, which no JSON value can spell.
    return False


_RELATIONS: Final[dict[str, Callable[[_Value, _Value], bool]]] = {
    "==": _equals,
    "!=": lambda a, b: not _equals(a, b),
    "===": lambda a, b: type(a) is type(b) and _equals(a, b),
    "!==": lambda a, b: not (type(a) is type(b) and _equals(a, b)),
    "<": lambda a, b: (c := _compare(a, b)) is not None and c < 0,
    "<=": lambda a, b: (c := _compare(a, b)) is not None and c <= 0,
    ">": lambda a, b: (c := _compare(a, b)) is not None and c > 0,
    ">=": lambda a, b: (c := _compare(a, b)) is not None and c >= 0,
    "=~": _regex_match,
    "in": _in,
    "nin": lambda a, b: not _in(a, b),
    "subsetof": lambda a, b: _list_relation(a, b, "subsetof"),
    "anyof": lambda a, b: _list_relation(a, b, "anyof"),
    "noneof": lambda a, b: _list_relation(a, b, "noneof"),
    "contains": _contains,
    "all": _all,
    "size": _size,
    "empty": _empty,
    "type": _type,
}


# --------------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------------


class _Operand:
    """A literal or a path, resolved against (item, root) to a value node."""

    __slots__ = ()

    def resolve(self, item: JSON, root: JSON) -> _Value:
        raise NotImplementedError


class _LiteralOperand(_Operand):
    __slots__ = ("node",)

    def __init__(self, node: _Value) -> None:
        self.node = node

    def resolve(self, item: JSON, root: JSON) -> _Value:
        return self.node


class _PathOperand(_Operand):
    """``@...`` (from the item) or ``$...`` (from the root); selecting nothing is undefined."""

    __slots__ = ("from_root", "path")

    def __init__(self, path: JsonPath, from_root: bool) -> None:
        self.path = path
        self.from_root = from_root

    def select(self, item: JSON, root: JSON) -> Any:
        try:
            return self.path.find(root if self.from_root else item)
        except QueryRuntimeError:
            return _UNDEFINED

    def resolve(self, item: JSON, root: JSON) -> _Value:
        return _node_of(self.select(item, root))

    def exists(self, item: JSON, root: JSON) -> bool:
        found = self.select(item, root)
        if found is _UNDEFINED:
            return False
        # An indefinite path (wildcards...) always gives a list: it exists when it found some.
        return self.path.is_definite or found != []


class _Expression:
    __slots__ = ()

    def test(self, item: JSON, root: JSON) -> bool:
        raise NotImplementedError


class _Relation(_Expression):
    __slots__ = ("left", "relation", "right")

    def __init__(self, left: _Operand, operator: str, right: _Operand) -> None:
        self.left = left
        self.right = right
        self.relation = _RELATIONS[operator]

    def test(self, item: JSON, root: JSON) -> bool:
        return self.relation(self.left.resolve(item, root), self.right.resolve(item, root))


class _Exists(_Expression):
    __slots__ = ("expected", "operand")

    def __init__(self, operand: _PathOperand, expected: bool) -> None:
        self.operand = operand
        self.expected = expected

    def test(self, item: JSON, root: JSON) -> bool:
        return self.operand.exists(item, root) == self.expected


class _Not(_Expression):
    __slots__ = ("inner",)

    def __init__(self, inner: _Expression) -> None:
        self.inner = inner

    def test(self, item: JSON, root: JSON) -> bool:
        return not self.inner.test(item, root)


class _And(_Expression):
    __slots__ = ("parts",)

    def __init__(self, parts: list[_Expression]) -> None:
        self.parts = tuple(parts)

    def test(self, item: JSON, root: JSON) -> bool:
        return all(part.test(item, root) for part in self.parts)


class _Or(_Expression):
    __slots__ = ("parts",)

    def __init__(self, parts: list[_Expression]) -> None:
        self.parts = tuple(parts)

    def test(self, item: JSON, root: JSON) -> bool:
        return any(part.test(item, root) for part in self.parts)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------

# Characters that end a path operand outside brackets (an operator, a blank, a parenthesis).
_PATH_END: Final = frozenset(" \t\n\r)=!<>&|~,")


class _FilterParser:
    def __init__(
        self, whole: str, expression: str, compile_path: Callable[[str], JsonPath]
    ) -> None:
        self.whole = whole
        self.text = expression
        self.pos = 0
        self.compile_path = compile_path

    def fail(self, why: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"Invalid JSONPath '{self.whole}': {why} in the filter")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, width: int = 1) -> str:
        return self.text[self.pos : self.pos + width]

    def parse(self) -> _Expression:
        expression = self.disjunction()
        self.skip()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos :]!r}")
        return expression

    def disjunction(self) -> _Expression:
        parts = [self.conjunction()]
        while True:
            self.skip()
            if self.peek(2) != "||":
                break
            self.pos += 2
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else _Or(parts)

    def conjunction(self) -> _Expression:
        parts = [self.unary()]
        while True:
            self.skip()
            if self.peek(2) != "&&":
                break
            self.pos += 2
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else _And(parts)

    def unary(self) -> _Expression:
        self.skip()
        if self.peek() == "!" and self.peek(2) != "!=":
            self.pos += 1
            self.skip()
            if self.peek() in ("@", "$"):
                return _Exists(self.path_operand(), expected=False)
            return _Not(self.unary())
        if self.peek() == "(":
            self.pos += 1
            inner = self.disjunction()
            self.skip()
            if self.peek() != ")":
                raise self.fail("missing ')'")
            self.pos += 1
            return inner
        return self.relation()

    def relation(self) -> _Expression:
        left = self.operand()
        self.skip()
        operator = self.operator()
        if operator is None:
            if isinstance(left, _PathOperand):
                return _Exists(left, expected=True)
            raise self.fail("an operator is expected after a literal")
        right = self.operand()
        if operator == "exists":
            if not isinstance(left, _PathOperand) or not isinstance(right, _LiteralOperand):
                raise self.fail("'exists' takes a path and true or false")
            if not isinstance(right.node, _Bool):
                raise self.fail("'exists' takes true or false")
            return _Exists(left, expected=right.node.value)
        return _Relation(left, operator, right)

    def operator(self) -> str | None:
        for symbol in _SYMBOL_OPERATORS:
            if self.text.startswith(symbol, self.pos):
                self.pos += len(symbol)
                return symbol
        for word in _WORD_OPERATORS:
            end = self.pos + len(word)
            if self.text.startswith(word, self.pos) and not self.text[end : end + 1].isalnum():
                self.pos = end
                return word
        return None

    def operand(self) -> _Operand:
        self.skip()
        c = self.peek()
        if not c:
            raise self.fail("a value is expected")
        if c in ("@", "$"):
            return self.path_operand()
        if c in ("'", '"'):
            return _LiteralOperand(_Str(self.quoted()))
        if c == "/":
            return _LiteralOperand(self.pattern())
        if c in ("[", "{"):
            return _LiteralOperand(self.json_literal())
        if c == "-" or c.isdigit():
            return _LiteralOperand(self.number())
        for word, node in (("true", _Bool(True)), ("false", _Bool(False)), ("null", _Null())):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return _LiteralOperand(node)
        raise self.fail(f"unexpected {self.text[self.pos :]!r}")

    def path_operand(self) -> _PathOperand:
        start = self.pos
        depth = 0
        quote: str | None = None
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if quote is not None:
                if c == "\\":
                    self.pos += 1
                elif c == quote:
                    quote = None
            elif c in ("'", '"') and depth:
                quote = c
            elif c in "[(":
                depth += 1
            elif c in "])":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and c in _PATH_END:
                break
            self.pos += 1
        text = self.text[start : self.pos]
        from_root = text.startswith("$")
        if from_root and (text.startswith("$$") or text[1:2] not in ("", ".", "[")):
            raise self.fail(f"'{text}': a filter can refer to '@' or '$' only")
        try:
            path = self.compile_path("$" + text[1:])
        except QuerySyntaxError as refusal:
            raise self.fail(f"'{text}' ({refusal.message})") from None
        return _PathOperand(path, from_root)

    def quoted(self) -> str:
        quote = self.text[self.pos]
        out: list[str] = []
        self.pos += 1
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\":
                out.append(self.unescape(self.text[self.pos + 1 : self.pos + 2]))
                continue
            self.pos += 1
            if c == quote:
                return "".join(out)
            out.append(c)
        raise self.fail("unterminated string")

    def unescape(self, letter: str) -> str:
        """One escape of a quoted string (Jayway's Utils.unescape)."""
        simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
        if letter == "u":
            digits = self.text[self.pos + 2 : self.pos + 6]
            if len(digits) == 4 and all(d in "0123456789abcdefABCDEF" for d in digits):
                self.pos += 6
                return chr(int(digits, 16))
        self.pos += 2
        return simple.get(letter, letter)

    def pattern(self) -> _Pattern:
        start = self.pos + 1
        i = start
        while i < len(self.text) and self.text[i] != "/":
            i += 2 if self.text[i] == "\\" else 1
        if i >= len(self.text):
            raise self.fail("unterminated regular expression")
        body = self.text[start:i]
        i += 1
        flags_start = i
        while i < len(self.text) and self.text[i].isalpha():
            i += 1
        flags = self.text[flags_start:i]
        self.pos = i
        try:
            return _Pattern(compile_regex(body, flags), f"/{body}/{flags}")
        except QuerySyntaxError as refusal:
            raise self.fail(refusal.message) from None

    def json_literal(self) -> _Value:
        start = self.pos
        depth = 0
        quote: str | None = None
        while self.pos < len(self.text):
            c = self.text[self.pos]
            self.pos += 1
            if quote is not None:
                if c == "\\":
                    self.pos += 1
                elif c == quote:
                    quote = None
            elif c in ("'", '"'):
                quote = c
            elif c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return _Json(self.read_json(self.text[start : self.pos]))
        raise self.fail("unterminated JSON literal")

    def read_json(self, literal: str) -> Any:
        # Jayway reads literals with a lenient JSON parser: single quotes are accepted.
        try:
            return json.loads(_double_quoted(literal))
        except ValueError:
            raise self.fail(f"{literal!r} is not a JSON value") from None

    def number(self) -> _Num:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        while self.pos < len(self.text) and (
            self.text[self.pos].isdigit() or self.text[self.pos] in ".eE+-"
        ):
            if self.text[self.pos] in "+-" and self.text[self.pos - 1] not in "eE":
                break
            self.pos += 1
        literal = self.text[start : self.pos]
        if not _BIG_DECIMAL.match(literal):
            raise self.fail(f"'{literal}' is not a number")
        return _Num(Decimal(literal))


def _double_quoted(literal: str) -> str:
    """Rewrite single-quoted strings of a lenient JSON literal as double-quoted ones."""
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(literal):
        c = literal[i]
        if quote is None:
            if c in ("'", '"'):
                quote = c
                out.append('"')
            else:
                out.append(c)
        elif c == "\\":
            out.append(literal[i : i + 2])
            i += 1
        elif c == quote:
            quote = None
            out.append('"')
        elif c == '"':
            out.append('\\"')
        else:
            out.append(c)
        i += 1
    return "".join(out)


def compile_filter(
    whole: str, expression: str, compile_path: Callable[[str], JsonPath]
) -> FilterPredicate:
    """Compile the expression of ``[?(expression)]`` (raises QuerySyntaxError).

    ``whole`` is the path the filter belongs to (for messages); ``compile_path`` compiles the
    operands' paths (``@.a`` is compiled as ``$.a``).
    """
    tree = _FilterParser(whole, expression, compile_path).parse()
    return tree.test
