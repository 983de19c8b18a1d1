"""JSONata semantics, errors and templates (interpreter.query.jsonata).

The language cases live in test_jsonata_semantics.json with answers recorded from jsonata-js
2.0.6, the version AWS documents. Where AWS documents a different answer ($eval absent, $parse
added), AWS wins.

Known gaps (named, never deleted):
* ``5 / 0``: jsonata-js answers Infinity (not JSON); the engine raises D1001. AWS's answer is not
  recorded anywhere we can read.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.jsonata import (
    FUNCTION,
    UNDEFINED,
    JsonataEvaluationError,
    JsonataSyntaxError,
    compile_jsonata,
    compile_jsonata_template,
    is_jsonata_string,
    json_type_name,
    referenced_variables,
    unexpected_result_type,
)

SEMANTICS = json.loads((Path(__file__).parent / "test_jsonata_semantics.json").read_text())

# AWS documents these differently from jsonata-js: "$eval is not available—use $parse instead".
AWS_ANSWERS = {
    "eval-builtin": {"kind": "error", "phase": "evaluate", "code": "T1006"},
    "parse-not-builtin": {"kind": "value", "value": 1},
}
KNOWN_GAPS = {
    "arith-divide-by-zero": "jsonata-js answers Infinity, the engine raises D1001; AWS unrecorded",
}


def _outcome(expr: str, states: Any, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        compiled = compile_jsonata(expr)
    except JsonataSyntaxError as err:
        return {"kind": "error", "phase": "compile", "code": err.jsonata_code}
    try:
        value = compiled.evaluate(states, variables)
    except JsonataEvaluationError as err:
        return {"kind": "error", "phase": "evaluate", "code": err.code}
    if value is UNDEFINED:
        return {"kind": "undefined"}
    if value is FUNCTION:
        return {"kind": "function"}
    return {"kind": "value", "value": value}


def _same(actual: Any, expected: Any) -> bool:
    """JSON equality where booleans are not numbers (Python says True == 1)."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            _same(actual[k], expected[k]) for k in actual
        )
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(map(_same, actual, expected))
    return bool(actual == expected)


def _semantics_params() -> list[Any]:
    params = []
    for case in SEMANTICS["cases"]:
        marks = []
        if case["id"] in KNOWN_GAPS:
            marks.append(pytest.mark.xfail(reason=KNOWN_GAPS[case["id"]], strict=True))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


@pytest.mark.parametrize("case", _semantics_params())
def test_semantics_match_the_reference(case: dict[str, Any]) -> None:
    states = case.get("states", SEMANTICS["default_states"])
    variables = case.get("variables", SEMANTICS["default_variables"])
    expected = AWS_ANSWERS.get(case["id"], case["expected"])
    actual = _outcome(case["expr"], states, variables)
    assert actual["kind"] == expected["kind"], actual
    if actual["kind"] == "value":
        assert _same(actual["value"], expected["value"]), actual
    if actual["kind"] == "error":
        assert (actual["phase"], actual["code"]) == (expected["phase"], expected["code"])


# --- undefined, null and results that are not JSON --------------------------------------------


def test_undefined_and_null_are_told_apart() -> None:
    states = {"input": {"n": None}}
    assert compile_jsonata("$states.input.n").evaluate(states, {}) is None
    assert compile_jsonata("$states.input.missing").evaluate(states, {}) is UNDEFINED
    assert compile_jsonata("$v").evaluate(states, {"v": None}) is None
    assert compile_jsonata("$v").evaluate(states, {}) is UNDEFINED


def test_undefined_result_is_aws_query_evaluation_error() -> None:
    expression = compile_jsonata(" $doesNotExist ")
    with pytest.raises(QueryRuntimeError) as caught:
        expression.evaluate_field({"input": {}}, {}, location="Output")
    assert caught.value.error == "States.QueryEvaluationError"
    assert caught.value.location == "Output"
    assert caught.value.detail == (
        "The JSONata expression '$doesNotExist' specified for the field 'Output' "
        "returned nothing (undefined)."
    )


@pytest.mark.parametrize(
    "text", ["$fn := function($x){$x}", "function($x){$x}", "$uppercase", "$partition"]
)
def test_function_result_is_unsupported(text: str) -> None:
    expression = compile_jsonata(text)
    assert expression.evaluate({"input": {}}, {}) is FUNCTION
    with pytest.raises(QueryRuntimeError) as caught:
        expression.evaluate_field({"input": {}}, {}, location="Items")
    assert caught.value.detail == (
        f"The JSONata expression '{text}' specified for the field 'Items' "
        "returned an unsupported result type."
    )


def test_runtime_error_names_expression_field_and_code() -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        compile_jsonata("$states.input.s + 1").evaluate_field(
            {"input": {"s": "a"}}, {}, location="Arguments/x"
        )
    assert caught.value.error == "States.QueryEvaluationError"
    assert caught.value.detail.startswith(
        "The JSONata expression '$states.input.s + 1' specified for the field 'Arguments/x' "
        "threw an error during evaluation. T2001: "
    )


def test_unexpected_result_type_message() -> None:
    expression = compile_jsonata("{'foo': 'bar'}")
    value = expression.evaluate({}, {})
    error = unexpected_result_type(expression, "Items", "array", value)
    assert error.detail == (
        "The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an "
        "unexpected result type. Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"
    )
    assert [json_type_name(v) for v in ([], {}, "", 1, 1.5, True, None)] == [
        "array",
        "object",
        "string",
        "number",
        "number",
        "boolean",
        "null",
    ]


# --- syntax ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # AWS's INVALID_JSONATA_EXPRESSION sentences, as measured by validate-state-machine-
        # definition (they are jsonata-js's parser messages).
        ("a[1,2)", 'Expected "]", got ","'),
        ('"unterminated', "String literal must be terminated by a matching quote"),
        ("1 +", "Unexpected end of expression"),
        ('{"a":}', 'The symbol "}" cannot be used as a unary operator'),
        ("$x :=", "Unexpected end of expression"),
        ('$match("a", /abc', "No terminating / in regular expression"),
        ("", "Unexpected end of expression"),
        # JSONata 2.1's operators do not exist in 2.0.6: same sentence as 2.0.6's parser gives.
        ("$a ?: 'x'", 'The symbol ":" cannot be used as a unary operator'),
        ("$a ?? 'x'", 'The symbol "?" cannot be used as a unary operator'),
    ],
)
def test_syntax_errors_carry_the_parser_sentence(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_jsonata(text)
    assert caught.value.message == message
    assert isinstance(caught.value, JsonataSyntaxError)
    assert caught.value.code == "INVALID_JSONATA_EXPRESSION"


def test_question_marks_inside_strings_and_conditions_are_fine() -> None:
    expression = compile_jsonata("$states.input.x ? '?:' : '??'")
    assert expression.evaluate({"input": {"x": True}}, {}) == "?:"


# --- $states, variables, the clock and randomness ------------------------------------------------


def test_only_mentioned_variables_are_read() -> None:
    class Watching(dict[str, Any]):
        read: list[str]

        def __getitem__(self, key: str) -> Any:
            self.read.append(key)
            return super().__getitem__(key)

    variables = Watching(a=1, big=list(range(10)))
    variables.read = []
    assert compile_jsonata("$a + 1").evaluate({}, variables) == 2
    assert variables.read == ["a"]


def test_context_item_is_undefined_at_top_level() -> None:
    # Expressions reading $ get $states as a binding (not as the document), like AWS evaluates.
    states = {"input": {"x": 1}}
    assert compile_jsonata("$").evaluate(states, {}) is UNDEFINED
    assert (
        compile_jsonata("$count($states.input.arr[$ > 1])").evaluate(
            {"input": {"arr": [1, 2, 3]}}, {}
        )
        == 2
    )


def test_states_can_be_rebound_locally() -> None:
    expression = compile_jsonata("($f := function($states){$states + 1}; $f($states.input.x))")
    assert expression.evaluate({"input": {"x": 1}}, {}) == 2


def test_now_and_millis_come_from_the_caller() -> None:
    now = datetime(2024, 2, 29, 12, 0, 0, 123000, tzinfo=UTC)
    expression = compile_jsonata("[$now(), $millis(), $now('[Y0001]')]")
    assert expression.evaluate({}, {}, now=now) == [
        "2024-02-29T12:00:00.123Z",
        1709208000123,
        "2024",
    ]
    with pytest.raises(JsonataEvaluationError):
        expression.evaluate({}, {})  # never the wall clock


def test_random_and_uuid_come_from_the_caller() -> None:
    expression = compile_jsonata("[$random(), $uuid()]")
    values = iter(["u-1"])
    result = expression.evaluate({}, {}, random=lambda: 0.25, new_uuid=lambda: next(values))
    assert result == [0.25, "u-1"]


def test_referenced_variables() -> None:
    assert referenced_variables("$a + $sum($b) + $states.input.x") == {"a", "b"}
    assert referenced_variables("($x := 1; $x + $y)") == {"y"}
    assert referenced_variables("$map($l, function($v) {$v + $w})") == {"l", "w"}
    assert referenced_variables("($a := ($b := 1; $b); $a + $b)") == {"b"}
    assert referenced_variables("'$notAVariable' & $real") == {"real"}
    assert referenced_variables("$partition($xs, 2) ~> $count()") == {"xs"}


def test_top_level_references_for_the_validator() -> None:
    assert compile_jsonata("phone.number").top_level_references() == ("phone",)
    assert compile_jsonata("$$").top_level_references() == ("$$",)
    assert compile_jsonata("$").top_level_references() == ("$",)
    assert compile_jsonata("$states.input.items[price > 1].name").top_level_references() == ()
    assert compile_jsonata("$partition($states.input.a, 1)").top_level_references() == ()


def test_expression_is_shared_between_threads() -> None:
    expression = compile_jsonata("$states.input.n * 2")
    results: dict[int, Any] = {}

    def work(n: int) -> None:
        results[n] = [expression.evaluate({"input": {"n": n}}, {}) for _ in range(200)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: [n * 2] * 200 for n in range(4)}


# --- {% %} strings and templates ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% $x %}", True),
        ("{%$x%}", True),
        ("{%%}", True),
        (" {% $x %}", False),
        ("{% $x %} ", False),
        ("{% $x", False),
        ("{%}", False),
        ("$x", False),
        (1, False),
        (None, False),
    ],
)
def test_is_jsonata_string(value: object, expected: bool) -> None:
    assert is_jsonata_string(value) is expected


def test_template_evaluates_recursively_with_literal_keys() -> None:
    template = compile_jsonata_template(
        {
            "{% 'key' %}": "{% $states.input.a %}",
            "list": [1, "{% $v %}", {"deep": "{% $states.input.a & '!' %}"}],
            "literal": " {% not evaluated %}",
        },
        field="Output",
    )
    assert template.evaluate({"input": {"a": "A"}}, {"v": 2}) == {
        "{% 'key' %}": "A",
        "list": [1, 2, {"deep": "A!"}],
        "literal": " {% not evaluated %}",
    }
    assert template.referenced_variables() == {"v"}


def test_template_constants_are_fresh_copies() -> None:
    template = compile_jsonata_template({"a": [1, {"b": 2}]}, field="Output")
    first = template.evaluate({}, {})
    first["a"].append(3)
    assert template.evaluate({}, {}) == {"a": [1, {"b": 2}]}


@pytest.mark.parametrize(
    ("value", "location"),
    [
        ("{% $doesNotExist %}", "Output"),
        ({"result": "{% $doesNotExist %}"}, "Output/result"),
        ({"a": {"b": "{% $doesNotExist %}"}}, "Output/a/b"),
    ],
)
def test_template_undefined_location(value: Any, location: str) -> None:
    template = compile_jsonata_template(value, field="Output")
    with pytest.raises(QueryRuntimeError) as caught:
        template.evaluate({"input": {}}, {})
    assert caught.value.location == location
    assert f"specified for the field '{location}' returned nothing" in caught.value.detail


def test_template_syntax_error_names_its_location() -> None:
    with pytest.raises(JsonataSyntaxError) as caught:
        compile_jsonata_template({"v": "{% phone[1,2) %}"}, field="Output")
    assert caught.value.location == "Output/v"
    assert caught.value.message == 'Expected "]", got ","'
