"""The validator answers every input with diagnostics: it never raises and never hangs.

Valid definitions covering every state type are mutated at random (fields dropped, values of
the wrong type, dangling targets, deep nesting); arbitrary JSON and text are thrown at it too.
The internal safety net of ``validate_definition`` (an exception turned into a diagnostic) must
never be what answers.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interpreter.definition.diagnostics import ERROR, WARNING, Diagnostic
from interpreter.definition.validation import validate_definition, validate_state_definition

LAMBDA = "arn:aws:states:::lambda:invoke"

BASES: list[dict[str, Any]] = [
    {
        "Comment": "JSONPath: every state type",
        "StartAt": "Prepare",
        "States": {
            "Prepare": {
                "Type": "Pass",
                "Parameters": {"id.$": "$.id", "greeting.$": "States.Format('hi {}', $.name)"},
                "ResultPath": "$.prepared",
                "Next": "Call",
            },
            "Call": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                "TimeoutSeconds": 30,
                "HeartbeatSeconds": 10,
                "Retry": [
                    {"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2, "BackoffRate": 2.0},
                    {"ErrorEquals": ["States.ALL"], "JitterStrategy": "FULL", "MaxDelaySeconds": 5},
                ],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}
                ],
                "Next": "Decide",
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.count", "NumericGreaterThan": 1},
                            {"Not": {"Variable": "$.flag", "BooleanEquals": True}},
                        ],
                        "Next": "Fan",
                    },
                    {
                        "Variable": "$.when",
                        "TimestampLessThan": "2024-01-01T00:00:00Z",
                        "Next": "Pause",
                    },
                ],
                "Default": "Each",
            },
            "Pause": {"Type": "Wait", "Timestamp": "2030-01-01T00:00:00Z", "Next": "Done"},
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "B1",
                        "States": {"B1": {"Type": "Wait", "Seconds": 1, "End": True}},
                    },
                    {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": True}}},
                ],
                "ResultSelector": {"first.$": "$[0]"},
                "Next": "Done",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Item",
                    "States": {"Item": {"Type": "Pass", "End": True}},
                },
                "Next": "Done",
            },
            "Failed": {"Type": "Fail", "Error": "Boom", "CausePath": "$.error.Cause"},
            "Done": {"Type": "Succeed"},
        },
    },
    {
        "QueryLanguage": "JSONata",
        "StartAt": "Compute",
        "States": {
            "Compute": {
                "Type": "Pass",
                "Assign": {"total": "{% $sum($states.input.values) %}"},
                "Output": {"n": "{% $count($states.input.values) %}"},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $total > 10 %}", "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
                "TimeoutSeconds": "{% 30 %}",
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Output": "{% $states.errorOutput %}",
                        "Next": "Small",
                    }
                ],
                "End": True,
            },
            "Small": {
                "Type": "Map",
                "Items": "{% $states.input.values %}",
                "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Succeed", "QueryLanguage": "JSONata"}},
                },
                "Label": "Small",
                "ToleratedFailurePercentage": 5,
                "End": True,
            },
        },
    },
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**9), max_value=10**9)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["$", "$.a", "$$.x", "{% 1 %}", "{% ( %}", "States.UUID()", "States.ALL"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["Next", "Type", "End", "a.$"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


def _slots(document: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key-or-index) of a JSON document, walked iteratively."""
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                yield node, key
                pending.append(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield node, index
                pending.append(value)


def _nest(value: Any, depth: int, as_list: bool) -> Any:
    for _ in range(depth):
        value = [value] if as_list else {"n": value}
    return value


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        slots = list(_slots(document))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["drop", "replace", "dangle", "nest", "retype"]))
        if action == "drop":
            del container[key]
        elif action == "replace":
            container[key] = draw(json_values)
        elif action == "dangle":
            container[key] = draw(st.text(max_size=10))
        elif action == "nest":
            depth = draw(st.integers(min_value=1, max_value=400))
            container[key] = _nest(container[key], depth, draw(st.booleans()))
        else:
            container[key] = draw(st.sampled_from([None, 0, -1, 1.5, "", [], {}, True]))
    return document


def _check(diagnostics: Any) -> list[Diagnostic]:
    assert isinstance(diagnostics, list)
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.severity in (ERROR, WARNING)
        assert diagnostic.code
        assert diagnostic.message
        assert diagnostic.location is None or diagnostic.location.startswith("/")
        assert "could not be validated" not in diagnostic.message, diagnostic
    return list(diagnostics)


def test_the_bases_are_valid() -> None:
    for base in BASES:
        assert validate_definition(base) == []
        assert validate_definition(base, state_machine_type="EXPRESS") == []


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_definitions())
def test_mutated_definitions_get_diagnostics(definition: Any) -> None:
    from_json = _check(validate_definition(definition))
    from_text = _check(validate_definition(json.dumps(definition)))
    assert from_json == from_text
    _check(validate_definition(definition, state_machine_type="EXPRESS"))


@settings(max_examples=100, deadline=2000)
@given(json_values)
def test_any_json_gets_diagnostics(value: Any) -> None:
    _check(validate_definition(value))
    _check(validate_state_definition(value))


@settings(max_examples=100, deadline=2000)
@given(st.text(max_size=200))
def test_any_text_gets_diagnostics(text: str) -> None:
    _check(validate_definition(text))


@settings(max_examples=100, deadline=2000)
@given(st.data())
def test_a_dangling_target_is_always_reported(data: st.DataObject) -> None:
    definition = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    with_next = [name for name, state in definition["States"].items() if "Next" in state]
    name = data.draw(st.sampled_from(with_next))
    target = data.draw(
        st.text(min_size=1, max_size=10).filter(lambda t: t not in definition["States"])
    )
    definition["States"][name]["Next"] = target
    found = [(d.code, d.message, d.location) for d in _check(validate_definition(definition))]
    assert (
        "MISSING_TRANSITION_TARGET",
        f"Missing 'Next' target: {target}",
        f"/States/{name}/Next",
    ) in found


@settings(max_examples=100, deadline=2000)
@given(st.data())
def test_a_dropped_type_is_always_reported(data: st.DataObject) -> None:
    definition = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    name = data.draw(st.sampled_from(sorted(definition["States"])))
    del definition["States"][name]["Type"]
    found = [(d.code, d.message, d.location) for d in _check(validate_definition(definition))]
    assert (
        "SCHEMA_VALIDATION_FAILED",
        "The field 'Type' is required but was missing",
        f"/States/{name}",
    ) in found


def _nested_parallel(levels: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"StartAt": "L", "States": {"L": {"Type": "Succeed"}}}
    for level in range(levels):
        state = {"Type": "Parallel", "Branches": [inner], "End": True}
        inner = {"StartAt": f"P{level}", "States": {f"P{level}": state}}
    return inner


def _nested_not(levels: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"Variable": "$.a", "IsPresent": True}
    for _ in range(levels):
        rule = {"Not": rule}
    rule["Next"] = "T"
    choice = {"Type": "Choice", "Choices": [rule], "Default": "T"}
    return {"StartAt": "C", "States": {"C": choice, "T": {"Type": "Succeed"}}}


def test_ten_thousand_levels_of_nesting_answer_quickly() -> None:
    deep_result = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Result": _nest(1, 10_000, True), "End": True}},
    }
    for definition in (_nested_parallel(10_000), _nested_not(10_000), deep_result):
        for form in (definition, _deep_text(definition)):
            started = time.perf_counter()
            found = _check(validate_definition(form))
            assert time.perf_counter() - started < 5.0
            assert [d.code for d in found] == ["TOO_DEEPLY_NESTED"]


def _deep_text(definition: dict[str, Any]) -> str:
    """``json.dumps`` cannot write 10,000 levels (it recurses); build the text iteratively."""
    parts: list[str] = []
    pending: list[Any] = [definition]
    while pending:
        node = pending.pop()
        if isinstance(node, tuple):  # a piece of punctuation queued below
            parts.append(node[0])
        elif isinstance(node, dict):
            items = list(node.items())
            pending.append(("}",))
            for position, (key, value) in reversed(list(enumerate(items))):
                pending.append(value)
                pending.append((("," if position else "") + json.dumps(key) + ":",))
            pending.append(("{",))
        elif isinstance(node, list):
            pending.append(("]",))
            for position, value in reversed(list(enumerate(node))):
                pending.append(value)
                if position:
                    pending.append((",",))
            pending.append(("[",))
        else:
            parts.append(json.dumps(node))
    return "".join(parts)


def test_deep_text_builder_matches_json_dumps() -> None:
    for base in BASES:
        assert json.loads(_deep_text(base)) == base
