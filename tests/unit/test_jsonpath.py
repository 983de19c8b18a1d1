"""AWS's JSONPath dialect: lookups, Jayway's messages, indefinite paths, value paths, ResultPath."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.jsonpath import (
    PathNotFoundError,
    apply_result_path,
    compile_path,
    compile_reference_path,
    compile_value_path,
)
from interpreter.query.scope import Scope

DOC: dict[str, Any] = {
    "users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1, "tag": "x"}],
    "numbers": [1, 2, 3, 4],
    "obj": {"p": 1, "q": {"year": 5}},
    "a b": {"c-d": 7},
    "delivery-partner": "dp",
    "text": "str",
    "nothing": None,
    'Test\\""Name"': "escaped",
}


# ------------------------------------------------------------------------------ definite paths


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$", DOC),
        ("$.users[0].year", 1997),
        ("$.users[-1].tag", "x"),
        ("$['a b']['c-d']", 7),
        ("$.['a b'].c-d", 7),
        ("$.delivery-partner", "dp"),
        ('$["obj"]["q"]', {"year": 5}),
        ("$.nothing", None),
        ("  $.text  ", "str"),
        # A backslash inside a quoted name is kept (recorded case ESCAPE_SEQUENCES_JSONPATH).
        ('$[\'Test\\""Name"\']', "escaped"),
    ],
)
def test_definite_paths_select_one_node(text: str, expected: Any) -> None:
    path = compile_path(text)
    assert path.is_definite
    assert path.find(DOC) == expected


def test_definite_paths_return_the_node_itself_not_a_copy() -> None:
    assert compile_path("$.obj").find(DOC) is DOC["obj"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # Recorded: InputPath/OutputPath on {"int-literal": 0}.
        ("$.NoSuchInputPath", "No results for path: $['NoSuchInputPath']"),
        # Recorded: OutputPath on {} ("Invalid path '$.no.such.result.path' : ...").
        ("$.no.such.result.path", "Missing property in path $['no']"),
        ("$.users[5].year", "No results for path: $['users'][5]['year']"),
        ("$.numbers[-5]", "No results for path: $['numbers'][-5]"),
        ("$.obj.missing", "No results for path: $['obj']['missing']"),
        ("$.nothing[0]", "The path $['nothing'] is null"),
        (
            "$.obj.p.q",
            "Expected to find an object with property ['q'] in path $['obj']['p'] but found "
            "'java.lang.Integer'. This is not a json object according to the JsonProvider: "
            "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.",
        ),
        (
            "$.numbers.x",
            "Expected to find an object with property ['x'] in path $['numbers'] but found "
            "'java.util.ArrayList'. This is not a json object according to the JsonProvider: "
            "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.",
        ),
        (
            "$.obj[0].p",
            "Filter: [0]['p'] can only be applied to arrays. Current context is: {p=1, q={year=5}}",
        ),
    ],
)
def test_definite_paths_that_find_nothing_give_jayways_reason(text: str, reason: str) -> None:
    with pytest.raises(PathNotFoundError) as caught:
        compile_path(text).find(DOC)
    error = caught.value
    assert error.reason == reason
    assert error.error == "States.Runtime"
    assert error.detail == f"Invalid path '{text}' : {reason}"
    assert error.document is DOC


def test_an_index_on_a_string_is_not_a_character_lookup() -> None:
    with pytest.raises(PathNotFoundError, match="can only be applied to arrays"):
        compile_path("$.text[0]").find(DOC)


# ------------------------------------------------------------------------------ indefinite paths


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Recorded case BASE_PASS_RESULT_REGEX_JSON_PATH_BASE.
        ("$.users[?(@.status == 0)]", [{"year": 1997, "status": 0}]),
        ("$.users[?(@.status == 5)]", []),
        ("$.users[?(@.status == 0 && @.year > 1990)].year", [1997]),
        ("$.users[?(@.status == 1 || @.year < 1998)].year", [1997, 1998]),
        ("$.users[?(@.tag)].tag", ["x"]),
        ("$.users[?(@.tag == 'x')].year", [1998]),
        ("$.users[*].year", [1997, 1998]),
        ("$.obj.*", [1, {"year": 5}]),
        ("$.numbers[1:3]", [2, 3]),
        ("$.numbers[-2:]", [3, 4]),
        ("$.numbers[:1]", [1]),
        ("$.numbers[0,2,9]", [1, 3]),
        ("$..year", [1997, 1998, 5]),
        ("$..q.year", [5]),
        ("$.missing[*]", []),
        # Jayway merges a trailing union of properties into one object per node.
        ("$.obj['p','missing']", [{"p": 1}]),
        # A filter on an object tests the object itself.
        ("$.obj[?(@.p == 1)]", [{"p": 1, "q": {"year": 5}}]),
        # "@" matches objects only, never scalars (AWS's documentation).
        ("$.numbers[?(@ > 2)]", []),
        ("$..[?(@.year == 5)]", [{"year": 5}]),
    ],
)
def test_indefinite_paths_return_every_match(text: str, expected: Any) -> None:
    path = compile_path(text)
    assert not path.is_definite
    assert path.find(DOC) == expected


def test_scan_visits_nodes_depth_first_in_document_order() -> None:
    doc = {"a": {"x": 1, "b": {"x": 2}}, "c": [{"x": 3}], "x": 0}
    # Jayway tests each object before walking into its members.
    assert compile_path("$..x").find(doc) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "text",
    [
        "a",
        "",
        "$$.a",
        "$.a[?(@.x =~ /(a)\\1/)]",
        "$.a[?(@.x == $$.y)]",
        "$.a b",
        "$.",
        "$..",
        "$[",
        "$['a'",
        "$.a[1:2:3]",
        "$.a[(@.length-1)]",
        "$.a[x]",
        "$.a[?(@.x == 1]",
        "$.a[?(@.x ==)]",
    ],
)
def test_malformed_or_unsupported_paths_are_compile_errors(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_path(text)


# ------------------------------------------------------------------------------ value paths


def _scope(**variables: Any) -> Scope:
    return Scope(
        {"x": 1, "list": [10, 20]},
        {"Execution": {"Name": "exec-1", "Input": {"k": "v"}}},
        variables,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$", {"x": 1, "list": [10, 20]}),
        ("$.list[1]", 20),
        ("$$.Execution.Name", "exec-1"),
        ("$$", {"Execution": {"Name": "exec-1", "Input": {"k": "v"}}}),
        ("$var", {"a": [5, {"b": True}]}),
        ("$var.a[1].b", True),
        ("$var['a'][0]", 5),
        ("$_under_score", 3),
        ("$var.a[*]", [5, {"b": True}]),
    ],
)
def test_value_paths_read_input_context_and_variables(text: str, expected: Any) -> None:
    scope = _scope(var={"a": [5, {"b": True}]}, _under_score=3)
    assert compile_value_path(text).evaluate(scope) == expected


def test_value_path_errors_quote_the_path_as_written() -> None:
    with pytest.raises(PathNotFoundError) as caught:
        compile_value_path("$$.Execution.Input.no_such_jsonpath").evaluate(_scope())
    assert caught.value.path_text == "$$.Execution.Input.no_such_jsonpath"
    assert caught.value.reason == "No results for path: $['Execution']['Input']['no_such_jsonpath']"
    assert caught.value.document == _scope().context


def test_an_undefined_variable_is_a_path_that_finds_nothing() -> None:
    with pytest.raises(PathNotFoundError, match="'nope' is not defined"):
        compile_value_path("$nope.a").evaluate(_scope())


@pytest.mark.parametrize("text", ["$1abc", "x", "$.a[", "$$$"])
def test_malformed_value_paths_are_compile_errors(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_value_path(text)


# ------------------------------------------------------------------------------ ResultPath


def test_result_path_null_keeps_the_input_and_dollar_replaces_it() -> None:
    state_input = {"a": 1}
    assert apply_result_path(state_input, None, {"r": 2}) is state_input
    assert apply_result_path(state_input, compile_reference_path("$"), "r") == "r"


def test_result_path_writes_into_a_copy_made_only_along_the_path() -> None:
    state_input = {"keep": {"deep": [1, 2]}, "a": {"b": {"old": 1}, "side": [3]}}
    before = copy.deepcopy(state_input)
    output = apply_result_path(state_input, compile_reference_path("$.a.b.c"), {"r": 1})
    assert output == {
        "keep": {"deep": [1, 2]},
        "a": {"b": {"old": 1, "c": {"r": 1}}, "side": [3]},
    }
    assert state_input == before
    # Untouched subtrees are shared, not copied.
    assert output["keep"] is state_input["keep"]
    assert output["a"]["side"] is state_input["a"]["side"]
    assert output["a"] is not state_input["a"]


def test_result_path_creates_missing_objects() -> None:
    assert apply_result_path({}, compile_reference_path("$.x.y['z z']"), 1) == {
        "x": {"y": {"z z": 1}}
    }


def test_result_path_replaces_an_existing_array_item() -> None:
    state_input = {"arr": [0, 1, 2]}
    output = apply_result_path(state_input, compile_reference_path("$.arr[-1]"), "last")
    assert output == {"arr": [0, 1, "last"]}
    assert state_input == {"arr": [0, 1, 2]}


@pytest.mark.parametrize(
    ("state_input", "path", "step"),
    [
        ([1, 2], "$.aggregated", "aggregated"),
        ({"a": 5}, "$.a.b", "b"),
        ({"a": "text"}, "$.a.b", "b"),
        ({"arr": [0]}, "$.arr[3]", "3"),
        ({"arr": {"0": 1}}, "$.arr[0]", "0"),
        ({}, "$.missing[0]", "0"),
    ],
)
def test_result_path_conflicts_are_reported_like_aws(
    state_input: Any, path: str, step: str
) -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        apply_result_path(state_input, compile_reference_path(path), "r")
    error = caught.value
    assert error.error == "States.ReferencePathConflict"
    assert error.detail.startswith(f'Unable to apply step "{step}" to input ')
    assert not error.with_state_prefix


def test_result_path_conflict_quotes_the_whole_input_as_compact_json() -> None:
    state_input = {"discovery": {"statusCode": 500, "body": "é"}}
    with pytest.raises(QueryRuntimeError) as caught:
        apply_result_path(state_input, compile_reference_path("$.discovery.statusCode.x"), 1)
    assert caught.value.detail == (
        'Unable to apply step "x" to input {"discovery":{"statusCode":500,"body":"é"}}'
    )


@pytest.mark.parametrize("text", ["$.a[*]", "$..a", "$$.a", "$var", "$.a[?(@.b)]", "$.a[0:1]"])
def test_reference_paths_must_name_one_node(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_reference_path(text)
