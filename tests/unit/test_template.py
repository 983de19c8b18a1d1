"""Payload templates: ``.$`` keys, constants, fresh results, AWS's failure causes."""

from __future__ import annotations

from typing import Any

import pytest

from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.scope import Scope
from interpreter.query.template import compile_payload_template

INPUT: dict[str, Any] = {
    "x": 1,
    "users": [{"status": 0, "n": "a"}, {"status": 1, "n": "b"}],
    "text": "é",
}
CONTEXT: dict[str, Any] = {"Execution": {"Name": "exec", "Input": {"k": 1}}, "Map": None}


def _scope(value: Any = None, **variables: Any) -> Scope:
    return Scope(
        INPUT if value is None else value,
        CONTEXT,
        variables,
        new_uuid=lambda: "uuid-1",
        random=lambda: 0.0,
    )


def _evaluate(template: Any, scope: Scope | None = None) -> Any:
    return compile_payload_template(template, field="Parameters").evaluate(scope or _scope())


def test_dollar_keys_take_paths_context_variables_and_intrinsics() -> None:
    template = {
        "fromInput.$": "$.x",
        "whole.$": "$",
        "fromContext.$": "$$.Execution.Name",
        "fromVariable.$": "$v.deep[1]",
        "call.$": "States.Format('{}-{}', $.x, $v.deep[0])",
        "uuid.$": "States.UUID()",
        "plain": "$.not.a.path",
    }
    assert _evaluate(template, _scope(v={"deep": [7, 8]})) == {
        "fromInput": 1,
        "whole": INPUT,
        "fromContext": "exec",
        "fromVariable": 8,
        "call": "1-7",
        "uuid": "uuid-1",
        "plain": "$.not.a.path",
    }


def test_nested_objects_and_objects_inside_arrays_are_templates_too() -> None:
    template = {"outer": {"inner.$": "$.x", "list": [{"a.$": "$.text"}, 2, [{"b.$": "$.x"}]]}}
    assert _evaluate(template) == {"outer": {"inner": 1, "list": [{"a": "é"}, 2, [{"b": 1}]]}}


def test_an_indefinite_path_gives_a_list_even_when_nothing_matches() -> None:
    template = {
        "zero.$": "$.users[?(@.status == 0)].n",
        "none.$": "$.users[?(@.status == 9)]",
    }
    assert _evaluate(template) == {"zero": ["a"], "none": []}


@pytest.mark.parametrize("template", [[1, {"a.$": "$.x"}], "text", 5, None, True, []])
def test_a_template_need_not_be_an_object(template: Any) -> None:
    expected = [1, {"a": 1}] if template == [1, {"a.$": "$.x"}] else template
    assert _evaluate(template) == expected


def test_results_never_share_mutable_constants() -> None:
    template = {"const": {"list": [1, {"k": "v"}]}, "top": [[0]]}
    compiled = compile_payload_template(template, field="Parameters")
    first = compiled.evaluate(_scope())
    first["const"]["list"][1]["k"] = "changed"
    first["top"][0].append(1)
    second = compiled.evaluate(_scope())
    assert second == {"const": {"list": [1, {"k": "v"}]}, "top": [[0]]}
    assert template == {"const": {"list": [1, {"k": "v"}]}, "top": [[0]]}


def test_a_missing_path_fails_with_aws_cause_quoting_the_input() -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        _evaluate({"value.$": "$.no_such_jsonpath"}, _scope({"int-literal": 0, "s": "é"}))
    assert caught.value.error == "States.Runtime"
    assert caught.value.detail == (
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be "
        """found in the input '{"int-literal":0,"s":"é"}'"""
    )


def test_a_missing_context_path_quotes_the_context_object() -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        _evaluate({"value.$": "$$.Execution.Input.no_such_jsonpath"})
    assert caught.value.detail == (
        "The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' "
        """could not be found in the input '{"Execution":{"Name":"exec","Input":{"k":1}},"""
        """"Map":null}'"""
    )


def test_a_missing_path_inside_an_intrinsic_call_names_that_path() -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        _evaluate({"nested": {"v.$": "States.Format('{}', $.missing)"}})
    assert caught.value.error == "States.Runtime"
    assert caught.value.detail.startswith(
        "The JSONPath '$.missing' specified for the field 'v.$' could not be found"
    )


def test_intrinsic_failures_pass_through() -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        _evaluate({"v.$": "States.ArrayGetItem($.users, 5)"})
    assert caught.value.error == "States.IntrinsicFailure"


@pytest.mark.parametrize(
    ("value", "kind"),
    [(["$.output.type"], "an ARRAY"), ({"a": 1}, "an OBJECT"), (1, "a NUMBER"), (None, "NULL")],
)
def test_dollar_keys_need_a_string(value: Any, kind: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_payload_template({"arrayField.$": value}, field="Parameters")
    assert caught.value.message == (
        f"The value for the field 'arrayField.$' must be a STRING that contains a JSONPath "
        f"but was {kind}"
    )


@pytest.mark.parametrize(
    "value",
    [
        "not a path",
        "$.a[",
        # Recorded (ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION_2): \" is not an escape.
        "States.Format('He said, \\\"Hello, {}!\\\"', 'Test \\\"Name\\\" Here')",
        "States.NoSuchFunction()",
        "States.ArrayLength()",
    ],
)
def test_invalid_dollar_values_are_rejected_in_aws_words(value: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_payload_template({"parsed.$": value}, field="Parameters")
    assert caught.value.message == (
        "The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic "
        "function call"
    )


def test_the_template_keeps_its_field_and_source() -> None:
    compiled = compile_payload_template({"a": 1}, field="ResultSelector")
    assert compiled.field == "ResultSelector"
    assert compiled.value == {"a": 1}
