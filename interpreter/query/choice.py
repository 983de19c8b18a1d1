"""Choice rules of JSONPath Choice states, compiled once into small predicate trees.

A rule is a boolean combination (``And``, ``Or``, ``Not``) or a data test: a ``Variable`` path
(``$...`` input, ``$$...`` context, ``$name...`` variable) and one operator. AWS's semantics, as
the recorded ``choice_operators`` cases show them:

* a comparison whose operand has another type than the operator expects is simply false
  (``NumericEquals`` against a string, ``BooleanEquals`` against ``0``, ``TimestampEquals``
  against a value that is not a valid timestamp...); booleans are never numbers;
* ``*Path`` operators compare with the value another path selects, under the same type rules;
* ``Is*`` tests check the type; ``IsPresent`` is the only test that tolerates a missing path —
  any other test on a path that selects nothing fails with ``States.Runtime``
  ("The choice state's condition path references an invalid value");
* strings compare as Java compares them (UTF-16 code units), numbers by value (``1 == 1.0``),
  timestamps as instants — RFC 3339 with an upper-case ``T``, seconds, an optional fraction of up
  to nine digits, and ``Z`` or a ``+hh:mm``/``-hh:mm`` offset;
* ``StringMatches`` gives only ``*`` a meaning (any run of characters); ``\\*`` is a literal star
  and ``\\\\`` a literal backslash. It is matched by hand, never through a regex built from the
  pattern.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Final

from interpreter.json_types import JSON
from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.jsonpath import PathNotFoundError, ValuePath, compile_value_path
from interpreter.query.scope import Scope

__all__ = [
    "ChoiceRule",
    "compile_choice_rule",
    "compile_string_pattern",
    "parse_timestamp",
]

# Keys a rule may carry that are not part of its test.
_RULE_EXTRAS: Final = frozenset({"Next", "Comment", "Assign", "Output"})

_NANOS: Final = 1_000_000_000
_EPOCH_ORDINAL: Final = datetime.date(1970, 1, 1).toordinal()
# (start, length) of year, month, day, hour, minute and second in "YYYY-MM-DDThh:mm:ss".
_DATE_TIME_FIELDS: Final = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))


# --------------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------------


def _digits(text: str, start: int, count: int) -> int | None:
    chunk = text[start : start + count]
    if len(chunk) != count or not chunk.isdigit() or not chunk.isascii():
        return None
    return int(chunk)


def parse_timestamp(text: str) -> int | None:
    """Return the instant ``text`` names in nanoseconds since the epoch, or None if invalid.

    Accepted: ``YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|+hh:mm|-hh:mm)`` with valid calendar values.
    """
    if len(text) < 20 or text[4] != "-" or text[7] != "-" or text[10] != "T":
        return None
    if text[13] != ":" or text[16] != ":":
        return None
    values: list[int] = []
    for start, count in _DATE_TIME_FIELDS:
        value = _digits(text, start, count)
        if value is None:
            return None
        values.append(value)
    year, month, day, hour, minute, second = values
    if hour > 23 or minute > 59 or second > 59:
        return None
    try:
        ordinal = datetime.date(year, month, day).toordinal()
    except ValueError:
        return None
    i = 19
    nanos = 0
    if i < len(text) and text[i] == ".":
        j = i + 1
        while j < len(text) and text[j].isdigit() and text[j].isascii():
            j += 1
        fraction = text[i + 1 : j]
        if not 1 <= len(fraction) <= 9:
            return None
        nanos = int(fraction.ljust(9, "0"))
        i = j
    zone = text[i:]
    if zone == "Z":
        offset = 0
    elif len(zone) == 6 and zone[0] in "+-" and zone[3] == ":":
        offset_hours = _digits(zone, 1, 2)
        offset_minutes = _digits(zone, 4, 2)
        if offset_hours is None or offset_minutes is None:
            return None
        if offset_hours > 18 or offset_minutes > 59:
            return None
        offset = (offset_hours * 3600 + offset_minutes * 60) * (1 if zone[0] == "+" else -1)
    else:
        return None
    seconds = (ordinal - _EPOCH_ORDINAL) * 86400 + hour * 3600 + minute * 60 + second - offset
    return seconds * _NANOS + nanos


# --------------------------------------------------------------------------------------------
# StringMatches
# --------------------------------------------------------------------------------------------


def compile_string_pattern(pattern: str) -> Callable[[str], bool]:
    """Compile a StringMatches pattern into a matcher (``*`` is the only wildcard)."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            current.append(pattern[i + 1])
            i += 2
            continue
        if c == "*":
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    if len(parts) == 1:
        literal = parts[0]
        return lambda text: text == literal
    head, *middle, tail = parts
    minimum = sum(len(p) for p in parts)

    def matches(text: str) -> bool:
        if len(text) < minimum or not text.startswith(head) or not text.endswith(tail):
            return False
        # Leftmost placement of each middle piece is optimal for a pattern whose only wildcard
        # is '*': any later match leaves less room for the pieces after it.
        position = len(head)
        limit = len(text) - len(tail)
        for piece in middle:
            found = text.find(piece, position, limit)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return matches


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def _invalid_path(path: ValuePath) -> QueryRuntimeError:
    return QueryRuntimeError(
        "States.Runtime",
        f"Invalid path '{path.text}': The choice state's condition path references an "
        "invalid value.",
    )


def _read(path: ValuePath, scope: Scope) -> JSON:
    try:
        return path.evaluate(scope)
    except PathNotFoundError:
        raise _invalid_path(path) from None


class ChoiceRule:
    """A compiled Choice rule. ``evaluate(scope)`` says whether it matches; ``next`` is the
    state it leads to (None for rules nested in And/Or/Not)."""

    __slots__ = ("next",)

    next: str | None

    def evaluate(self, scope: Scope) -> bool:
        """Whether the rule holds for ``scope`` (raises QueryRuntimeError on a missing path)."""
        raise NotImplementedError


class _And(ChoiceRule):
    __slots__ = ("rules",)

    def __init__(self, rules: tuple[ChoiceRule, ...], next_state: str | None) -> None:
        self.rules = rules
        self.next = next_state

    def evaluate(self, scope: Scope) -> bool:
        return all(rule.evaluate(scope) for rule in self.rules)


class _Or(ChoiceRule):
    __slots__ = ("rules",)

    def __init__(self, rules: tuple[ChoiceRule, ...], next_state: str | None) -> None:
        self.rules = rules
        self.next = next_state

    def evaluate(self, scope: Scope) -> bool:
        return any(rule.evaluate(scope) for rule in self.rules)


class _Not(ChoiceRule):
    __slots__ = ("rule",)

    def __init__(self, rule: ChoiceRule, next_state: str | None) -> None:
        self.rule = rule
        self.next = next_state

    def evaluate(self, scope: Scope) -> bool:
        return not self.rule.evaluate(scope)


class _IsPresent(ChoiceRule):
    __slots__ = ("expected", "variable")

    def __init__(self, variable: ValuePath, expected: bool, next_state: str | None) -> None:
        self.variable = variable
        self.expected = expected
        self.next = next_state

    def evaluate(self, scope: Scope) -> bool:
        try:
            self.variable.evaluate(scope)
        except PathNotFoundError:
            return not self.expected
        return self.expected


class _Test(ChoiceRule):
    """A test of the Variable's value against a constant."""

    __slots__ = ("test", "variable")

    def __init__(
        self, variable: ValuePath, test: Callable[[JSON], bool], next_state: str | None
    ) -> None:
        self.variable = variable
        self.test = test
        self.next = next_state

    def evaluate(self, scope: Scope) -> bool:
        return self.test(_read(self.variable, scope))


class _PathTest(ChoiceRule):
    """A comparison of the Variable's value with the value another path selects."""

    __slots__ = ("compare", "other", "variable")

    def __init__(
        self,
        variable: ValuePath,
        other: ValuePath,
        compare: Callable[[JSON, JSON], bool],
        next_state: str | None,
    ) -> None:
        self.variable = variable
        self.other = other
        self.compare = compare
        self.next = next_state

    def evaluate(self, scope: Scope) -> bool:
        return self.compare(_read(self.variable, scope), _read(self.other, scope))


# Operand kinds: how a value is recognised and turned into something comparable.


def _as_string(value: JSON) -> str | None:
    return value if isinstance(value, str) else None


def _as_number(value: JSON) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _as_boolean(value: JSON) -> bool | None:
    return value if isinstance(value, bool) else None


def _as_timestamp(value: JSON) -> int | None:
    return parse_timestamp(value) if isinstance(value, str) else None


def _java_order(text: str) -> str | bytes:
    """A sort key ordering strings as Java's ``compareTo`` does (by UTF-16 code unit)."""
    if text.isascii():
        return text
    return text.encode("utf-16-be", "surrogatepass")


def _string_key(value: JSON) -> str | bytes | None:
    return _java_order(value) if isinstance(value, str) else None


_Converter = Callable[[JSON], object]

_KINDS: Final[Mapping[str, tuple[_Converter, _Converter]]] = {
    # kind: (operand converter for ordering, constant converter for validation)
    "String": (_string_key, _as_string),
    "Numeric": (_as_number, _as_number),
    "Boolean": (_as_boolean, _as_boolean),
    "Timestamp": (_as_timestamp, _as_timestamp),
}

_RELATIONS: Final[Mapping[str, Callable[[object, object], bool]]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,  # type: ignore[operator]
    "GreaterThan": lambda a, b: a > b,  # type: ignore[operator]
    "LessThanEquals": lambda a, b: a <= b,  # type: ignore[operator]
    "GreaterThanEquals": lambda a, b: a >= b,  # type: ignore[operator]
}

_COMPARISONS: Final[Mapping[str, tuple[str, str]]] = {
    f"{kind}{relation}": (kind, relation)
    for kind in ("String", "Numeric", "Boolean", "Timestamp")
    for relation in _RELATIONS
    if kind != "Boolean" or relation == "Equals"
}

_TYPE_TESTS: Final[Mapping[str, Callable[[JSON], bool]]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": lambda v: _as_number(v) is not None,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: _as_timestamp(v) is not None,
}


def _compile_path(rule_field: str, value: JSON) -> ValuePath:
    if not isinstance(value, str):
        raise QuerySyntaxError(f"The field '{rule_field}' must be a path string")
    try:
        return compile_value_path(value)
    except QuerySyntaxError as exc:
        raise QuerySyntaxError(f"The field '{rule_field}' is not a valid path: {exc}") from None


def _comparison(
    operator: str, operand: JSON, variable: ValuePath, next_state: str | None
) -> ChoiceRule:
    if operator.endswith("Path"):
        kind, relation = _COMPARISONS[operator[: -len("Path")]]
        other = _compile_path(operator, operand)
        convert = _KINDS[kind][0]
        related = _RELATIONS[relation]

        def compare(left: JSON, right: JSON) -> bool:
            a = convert(left)
            b = convert(right)
            return a is not None and b is not None and related(a, b)

        return _PathTest(variable, other, compare, next_state)
    kind, relation = _COMPARISONS[operator]
    convert, validate = _KINDS[kind]
    if validate(operand) is None:
        raise QuerySyntaxError(f"The value of '{operator}' is not a valid {kind.lower()} value")
    constant = convert(operand)
    related = _RELATIONS[relation]

    def test(value: JSON) -> bool:
        converted = convert(value)
        return converted is not None and related(converted, constant)

    return _Test(variable, test, next_state)


def _compile(rule: JSON, next_state: str | None) -> ChoiceRule:
    if not isinstance(rule, dict):
        raise QuerySyntaxError("A choice rule must be an object")
    operators = [key for key in rule if key not in _RULE_EXTRAS and key != "Variable"]
    if len(operators) != 1:
        raise QuerySyntaxError(
            "A choice rule must have exactly one operator, found "
            + (", ".join(operators) if operators else "none")
        )
    operator = operators[0]
    operand = rule[operator]
    if operator in ("And", "Or"):
        if "Variable" in rule:
            raise QuerySyntaxError(f"An '{operator}' rule cannot have a Variable")
        if not isinstance(operand, list) or not operand:
            raise QuerySyntaxError(f"'{operator}' must be a non-empty array of rules")
        rules = tuple(_compile(item, None) for item in operand)
        return _And(rules, next_state) if operator == "And" else _Or(rules, next_state)
    if operator == "Not":
        if "Variable" in rule:
            raise QuerySyntaxError("A 'Not' rule cannot have a Variable")
        return _Not(_compile(operand, None), next_state)
    if "Variable" not in rule:
        raise QuerySyntaxError(f"The '{operator}' rule needs a Variable")
    variable = _compile_path("Variable", rule["Variable"])
    if operator == "IsPresent" or operator in _TYPE_TESTS:
        if not isinstance(operand, bool):
            raise QuerySyntaxError(f"The value of '{operator}' must be a boolean")
        if operator == "IsPresent":
            return _IsPresent(variable, operand, next_state)
        type_test = _TYPE_TESTS[operator]
        expected = operand
        return _Test(variable, lambda value: type_test(value) is expected, next_state)
    if operator == "StringMatches":
        if not isinstance(operand, str):
            raise QuerySyntaxError("The value of 'StringMatches' must be a string")
        matcher = compile_string_pattern(operand)
        return _Test(variable, lambda v: isinstance(v, str) and matcher(v), next_state)
    base = operator[: -len("Path")] if operator.endswith("Path") else operator
    if base not in _COMPARISONS:
        raise QuerySyntaxError(f"Unknown choice operator '{operator}'")
    return _comparison(operator, operand, variable, next_state)


def compile_choice_rule(rule: JSON) -> ChoiceRule:
    """Compile one entry of ``Choices`` (its ``Next`` becomes ``.next``); raises
    QuerySyntaxError for a malformed rule."""
    if not isinstance(rule, dict):
        raise QuerySyntaxError("A choice rule must be an object")
    next_state = rule.get("Next")
    if next_state is not None and not isinstance(next_state, str):
        raise QuerySyntaxError("The 'Next' of a choice rule must be a string")
    return _compile(rule, next_state)
