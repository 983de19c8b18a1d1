"""Choice rules: every operator, type mismatches, missing paths, timestamps, StringMatches."""

from __future__ import annotations

from typing import Any

import pytest

from interpreter.query.choice import (
    compile_choice_rule,
    compile_string_pattern,
    parse_timestamp,
)
from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.scope import Scope


def _holds(rule: dict[str, Any], value: Any, other: Any = None, **variables: Any) -> bool:
    document = {"v": value, "o": other}
    scope = Scope(document, {"Execution": {"Input": document}}, variables)
    return compile_choice_rule({**rule, "Next": "N"}).evaluate(scope)


def _var(operator: str, operand: Any) -> dict[str, Any]:
    return {"Variable": "$.v", operator: operand}


@pytest.mark.parametrize(
    ("operator", "operand", "value", "expected"),
    [
        ("StringEquals", "a", "a", True),
        ("StringEquals", "a", "b", False),
        ("StringEquals", "1", 1, False),
        ("StringLessThan", "b", "a", True),
        ("StringLessThan", "a", "a", False),
        ("StringLessThanEquals", "a", "a", True),
        ("StringGreaterThan", "A", "AB", True),
        ("StringGreaterThanEquals", "AB", "A", False),
        # Java orders strings by UTF-16 code unit: U+FF5E sorts after a surrogate pair.
        ("StringLessThan", "\uff5e", "\U0001f600", True),
        ("NumericEquals", 1, 1.0, True),
        ("NumericEquals", 0, False, False),
        ("NumericEquals", 1, True, False),
        ("NumericEquals", 1, "1", False),
        ("NumericLessThan", 1, 0.5, True),
        ("NumericLessThanEquals", 1, 1, True),
        ("NumericGreaterThan", 1, 1, False),
        ("NumericGreaterThanEquals", -1.5, -1.5, True),
        ("BooleanEquals", True, True, True),
        ("BooleanEquals", False, 0, False),
        ("BooleanEquals", False, None, False),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T20:00:55+01:00", True),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55.000000001Z", False),
        ("TimestampLessThan", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55.999Z", True),
        ("TimestampGreaterThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", False),
        ("TimestampGreaterThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampLessThanEquals", "2012-10-09T19:00:55Z", "2023-02-24 12:15:56", False),
        ("TimestampEquals", "2012-10-09T19:00:55Z", 0, False),
        ("StringMatches", "log-*.txt", "log-2024.txt", True),
        ("StringMatches", "log-*.txt", "log-.txt", True),
        ("StringMatches", "log-*.txt", "log.txt", False),
        ("StringMatches", "*", 5, False),
        ("IsNull", True, None, True),
        ("IsNull", False, None, False),
        ("IsNumeric", True, 0.0, True),
        ("IsNumeric", True, True, False),
        ("IsNumeric", False, "1", True),
        ("IsString", True, "", True),
        ("IsString", True, ["x"], False),
        ("IsBoolean", True, False, True),
        ("IsBoolean", True, 0, False),
        ("IsTimestamp", True, "2016-03-14T01:59:00Z", True),
        ("IsTimestamp", True, "2016-03-14T01:59:00", False),
        ("IsTimestamp", False, "2023-02-24", True),
        ("IsPresent", True, None, True),
        ("IsPresent", False, {}, False),
    ],
)
def test_operators(operator: str, operand: Any, value: Any, expected: bool) -> None:
    assert _holds(_var(operator, operand), value) is expected


@pytest.mark.parametrize(
    ("operator", "value", "other", "expected"),
    [
        ("StringEqualsPath", "Hello", "Hello", True),
        ("StringEqualsPath", " ", "     ", False),
        ("StringLessThanPath", "A", "AB", True),
        ("StringGreaterThanEqualsPath", "AB", "A", True),
        ("StringGreaterThanPath", "A", 1, False),
        ("NumericEqualsPath", 0, 0.0, True),
        ("NumericEqualsPath", None, 0, False),
        ("NumericLessThanPath", 1, 2, True),
        ("NumericGreaterThanPath", 2, 1, True),
        ("NumericLessThanEqualsPath", 2, 2, True),
        ("NumericGreaterThanEqualsPath", 2, "2", False),
        ("BooleanEqualsPath", False, False, True),
        ("BooleanEqualsPath", 0, False, False),
        ("TimestampEqualsPath", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampLessThanPath", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", True),
        ("TimestampGreaterThanPath", "2012-10-09T19:00:55Z", "garbage", False),
        ("TimestampLessThanEqualsPath", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", False),
        ("TimestampGreaterThanEqualsPath", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
    ],
)
def test_path_operators_compare_with_another_value(
    operator: str, value: Any, other: Any, expected: bool
) -> None:
    assert _holds({"Variable": "$.v", operator: "$.o"}, value, other) is expected


def test_variables_and_context_can_be_compared() -> None:
    rule = {"Variable": "$guess", "StringEqualsPath": "$answer"}
    assert _holds(rule, None, guess="x", answer="x")
    assert not _holds(rule, None, guess="x", answer="y")
    assert _holds({"Variable": "$$.Execution.Input.v", "NumericLessThanEquals": 0}, -1)


def test_boolean_combinations() -> None:
    in_twenties = {
        "And": [
            {"Variable": "$.v", "NumericGreaterThanEquals": 20},
            {"Variable": "$.v", "NumericLessThan": 30},
        ]
    }
    assert _holds(in_twenties, 22)
    assert not _holds(in_twenties, 30)
    either = {"Or": [_var("StringEquals", "a"), _var("IsNumeric", True)]}
    assert _holds(either, 3)
    assert _holds(either, "a")
    assert not _holds(either, "b")
    assert _holds({"Not": _var("StringEquals", "Private")}, "Public")
    assert not _holds({"Not": {"Not": _var("IsNull", True)}}, 1)


def test_is_present_guards_a_missing_path() -> None:
    guarded = {
        "And": [
            {"Variable": "$.maybe", "IsPresent": True},
            {"Variable": "$.maybe", "StringEquals": "x"},
        ]
    }
    assert not _holds(guarded, 1)
    assert _holds({"Variable": "$.maybe", "IsPresent": False}, 1)
    assert _holds({"Variable": "$nope", "IsPresent": False}, 1)


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.missing", "NumericEquals": 1},
        {"Variable": "$.missing", "IsNull": True},
        {"Variable": "$.v", "NumericEqualsPath": "$.missing"},
    ],
)
def test_other_tests_on_a_missing_path_are_runtime_errors(rule: dict[str, Any]) -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        _holds(rule, 1)
    assert caught.value.error == "States.Runtime"
    assert caught.value.detail == (
        "Invalid path '$.missing': The choice state's condition path references an invalid value."
    )


def test_the_top_rule_carries_its_next_state() -> None:
    rule = compile_choice_rule({"Variable": "$", "IsPresent": True, "Next": "Target"})
    assert rule.next == "Target"


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.v", "StringEquals": 1},
        {"Variable": "$.v", "NumericEquals": "1"},
        {"Variable": "$.v", "NumericEquals": True},
        {"Variable": "$.v", "BooleanEquals": 1},
        {"Variable": "$.v", "TimestampEquals": "2012-10-09"},
        {"Variable": "$.v", "IsNull": "yes"},
        {"Variable": "$.v", "StringMatches": 1},
        {"Variable": "$.v", "StringEqualsPath": "not a path"},
        {"Variable": "$.v", "BooleanLessThan": True},
        {"Variable": "$.v"},
        {"Variable": "$.v", "StringEquals": "a", "NumericEquals": 1},
        {"StringEquals": "a"},
        {"Variable": "nope", "StringEquals": "a"},
        {"And": []},
        {"And": {"Variable": "$.v", "IsNull": True}},
        {"Variable": "$.v", "Not": {"Variable": "$.v", "IsNull": True}},
        {"Variable": "$.v", "Condition": "{% true %}"},
        "not a rule",
    ],
)
def test_malformed_rules_are_compile_errors(rule: Any) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_choice_rule(rule)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2016-03-14T01:59:00Z", True),
        ("2016-03-14T01:59:00.1Z", True),
        ("2016-03-14T01:59:00.123456789+05:30", True),
        ("2016-02-29T00:00:00-00:00", True),
        ("2016-12-05T21:29:29", False),
        ("2016-12-05 21:29:29Z", False),
        ("2016-13-05T21:29:29Z", False),
        ("2016-12-05T25:29:29Z", False),
        ("05-12-2016T21:29:29Z", False),
        ("2015-02-29T00:00:00Z", False),
        ("2016-03-14t01:59:00Z", False),
        ("2016-03-14T01:59:00z", False),
        ("2016-03-14T01:59Z", False),
        ("2016-03-14T01:59:00.Z", False),
        ("2016-03-14T01:59:00.1234567890Z", False),
        ("2016-03-14T01:59:00+0530", False),
        ("2016-03-14T01:59:00+19:00", False),
        ("２016-03-14T01:59:00Z", False),
    ],
)
def test_timestamp_format(text: str, valid: bool) -> None:
    assert (parse_timestamp(text) is not None) is valid


def test_timestamps_are_instants() -> None:
    assert parse_timestamp("1970-01-01T00:00:00Z") == 0
    assert parse_timestamp("1970-01-01T01:00:00+01:00") == 0
    assert parse_timestamp("1970-01-01T00:00:01.5Z") == 1_500_000_000
    assert parse_timestamp("1969-12-31T23:59:59.999999999Z") == -1


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("foo*.log", "foo23.log", True),
        ("*.log", "zebra.log", True),
        ("foo*.*", "foobar.zebra", True),
        ("*", "", True),
        ("**", "anything", True),
        ("a*b*c", "abc", True),
        ("a*b*c", "acb", False),
        ("a*a", "a", False),
        ("exact", "exact", True),
        ("exact", "exactly", False),
        ("literal\\*star", "literal*star", True),
        ("literal\\*star", "literalXstar", False),
        ("back\\\\*", "back\\slash", True),
        ("a.c", "abc", False),
        ("[a]*", "[a]x", True),
        ("?", "x", False),
    ],
)
def test_string_matches(pattern: str, text: str, expected: bool) -> None:
    assert compile_string_pattern(pattern)(text) is expected
