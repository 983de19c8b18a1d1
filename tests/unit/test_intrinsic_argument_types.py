"""Family 2 of issue 13: every intrinsic function given every kind of JSON value, through a run.

Each function is called from a Pass state's Parameters with ``$.v`` in one argument position; the
table gives, for each kind of value (null, boolean, integer, negative, fraction, huge, numeric
string, string, object, array, missing), the result AWS gives or ``FAIL`` (States.IntrinsicFailure).
A missing value is always States.Runtime with the payload template's cause (CORPUS
scenarios/test_base_scenarios__test_invalid_jsonpath_INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH).

Sources, per function (the ``sources`` column):

* DOCS: the AWS developer guide, "Intrinsic functions for JSONPath states": ArrayPartition,
  ArrayRange, MathRandom and MathAdd round a non-integer argument to the nearest integer; MathAdd
  takes values in the int range; JsonMerge's third argument must be false; ArrayRange yields at
  most 1,000 items; Base64 and Hash take strings of at most 10,000 characters.
* SPEC: the Amazon States Language specification's "Input validation" (arguments that MUST be
  arrays, integers, strings).
* CORPUS: recorded cases in tests/conformance/cases/intrinsic_functions (test_format_2,
  test_array_2, test_json_to_string, test_string_to_json, test_math_add: Java's Math.round).
* SNAPSHOT: AWS-validated recordings the corpus does not hold (LocalStack's
  intrinsic_functions/test_math_operations ``test_math_random``: start 12.5 and end 44.51
  accepted; negative bounds accepted).
* UNSETTLED: no source settles the value kind; the row follows the documented rule of the
  function's siblings (a fraction rounds as ArrayRange's does; a numeric string is not a number,
  as SPEC's MUST-be-integer reads; a value of the wrong JSON type fails).
"""

from __future__ import annotations

from typing import Any

import pytest

from interpreter import StateMachine
from interpreter.query.intrinsics import JavaRandom

FAIL = "FAIL"
MISSING = object()

KINDS: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "integer": 3,
    "negative": -2,
    "fraction": 2.5,
    "huge": 2**40,
    "numeric string": "3",
    "string": "abc",
    "object": {"a": 1},
    "array": [1, 2, 3],
}

_JAVA_STRING = {
    "null": "null",
    "boolean": "true",
    "integer": "3",
    "negative": "-2",
    "fraction": "2.5",
    "huge": "1099511627776",
    "numeric string": "3",
    "string": "abc",
    "object": "{a=1}",
    "array": "[1, 2, 3]",
}
_JSON_TEXT = {
    "null": "null",
    "boolean": "true",
    "integer": "3",
    "negative": "-2",
    "fraction": "2.5",
    "huge": "1099511627776",
    "numeric string": '"3"',
    "string": '"abc"',
    "object": '{"a":1}',
    "array": "[1,2,3]",
}


def _only(results: dict[str, Any]) -> dict[str, Any]:
    """Every kind fails except the ones given."""
    return {kind: results.get(kind, FAIL) for kind in KINDS}


TABLE: list[tuple[str, str, dict[str, Any], str]] = [
    # (function, call with $.v, result by kind, sources)
    (
        "States.Format",
        "States.Format('x={}', $.v)",
        {kind: "x=" + text for kind, text in _JAVA_STRING.items()},
        "CORPUS test_format_2 (Java toString: null, 1.1, {Arg1=1, Arg2=[]}); SNAPSHOT format_1",
    ),
    (
        "States.Format",
        "States.Format($.v)",
        _only({"string": "abc", "numeric string": "3"}),
        "DOCS (the first argument must be a string); UNSETTLED for the other kinds",
    ),
    (
        "States.StringToJson",
        "States.StringToJson($.v)",
        _only({"numeric string": 3}),
        "CORPUS test_string_to_json ('1' -> 1); 'abc' is not JSON; UNSETTLED for non-strings",
    ),
    (
        "States.JsonToString",
        "States.JsonToString($.v)",
        dict(_JSON_TEXT),
        "CORPUS test_json_to_string (every JSON type)",
    ),
    (
        "States.Array",
        "States.Array($.v)",
        {kind: [value] for kind, value in KINDS.items()},
        "CORPUS test_array_2 (every JSON type)",
    ),
    (
        "States.ArrayPartition",
        "States.ArrayPartition($.four, $.v)",
        _only({"integer": [[1, 2, 3], [4]], "fraction": [[1, 2, 3], [4]]}),
        "DOCS (non-zero positive integer; a fraction rounds: 2.5 -> 3); SPEC; huge: an int",
    ),
    (
        "States.ArrayPartition",
        "States.ArrayPartition($.v, 2)",
        _only({"array": [[1, 2], [3]]}),
        "DOCS/SPEC (the first argument must be an array)",
    ),
    (
        "States.ArrayContains",
        "States.ArrayContains($.v, 2)",
        _only({"array": True}),
        "DOCS/SPEC (the first argument must be an array)",
    ),
    (
        "States.ArrayContains",
        "States.ArrayContains($.mixed, $.v)",
        {
            kind: kind in ("null", "integer", "string", "object", "array", "numeric string")
            for kind in KINDS
        },
        "DOCS (any JSON value is looked for; JSON equality: '3' is not 3, true is not 1)",
    ),
    (
        "States.ArrayRange",
        "States.ArrayRange(0, $.v, 1)",
        _only({"integer": [0, 1, 2, 3], "negative": [], "fraction": [0, 1, 2, 3]}),
        "DOCS (integers; a fraction rounds: 2.5 -> 3; at most 1,000 items); negative: UNSETTLED",
    ),
    (
        "States.ArrayGetItem",
        "States.ArrayGetItem($.four, $.v)",
        _only({"integer": 4, "fraction": 4}),
        "UNSETTLED: the index rounds as DOCS ArrayRange's do; -2 is out of bounds",
    ),
    (
        "States.ArrayGetItem",
        "States.ArrayGetItem($.v, 0)",
        _only({"array": 1}),
        "SPEC (an array of values)",
    ),
    (
        "States.ArrayLength",
        "States.ArrayLength($.v)",
        _only({"array": 3}),
        "CORPUS test_array_length; SPEC (an array)",
    ),
    (
        "States.ArrayUnique",
        "States.ArrayUnique($.v)",
        _only({"array": [1, 2, 3]}),
        "CORPUS test_array_unique; SPEC (an array)",
    ),
    (
        "States.Base64Encode",
        "States.Base64Encode($.v)",
        _only({"string": "YWJj", "numeric string": "Mw=="}),
        "DOCS (a data string); SNAPSHOT test_base_64_encode; UNSETTLED for non-strings",
    ),
    (
        "States.Base64Decode",
        "States.Base64Decode($.v)",
        _only({}),
        "DOCS (a Base64 string: 'abc' and '3' are not); UNSETTLED for non-strings",
    ),
    (
        "States.Hash",
        "States.Hash($.v, 'MD5')",
        _only(
            {
                "string": "900150983cd24fb0d6963f7d28e17f72",
                "numeric string": "eccbc87e4b5ce2fe28308fd9f2a7baf3",
            }
        ),
        "DOCS (the data is a string); SNAPSHOT test_hash; UNSETTLED for non-strings",
    ),
    (
        "States.Hash",
        "States.Hash('abc', $.v)",
        _only({}),
        "DOCS (MD5, SHA-1, SHA-256, SHA-384 or SHA-512 only)",
    ),
    (
        "States.JsonMerge",
        "States.JsonMerge($.v, $.obj, false)",
        _only({"object": {"a": 1, "b": 2}}),
        "DOCS (two JSON objects)",
    ),
    (
        "States.JsonMerge",
        "States.JsonMerge($.obj, $.obj, $.v)",
        _only({}),
        "DOCS (the third argument must be false; true, deep merging, is not supported)",
    ),
    (
        "States.MathRandom",
        "States.MathRandom($.v, 100, 7)",
        _only(
            {
                "integer": 3 + JavaRandom(7).next_int(97),
                "negative": -2 + JavaRandom(7).next_int(102),
                "fraction": 3 + JavaRandom(7).next_int(97),
            }
        ),
        "DOCS (a fraction rounds); SNAPSHOT test_math_random (12.5, 44.51; negatives)",
    ),
    (
        "States.MathRandom",
        "States.MathRandom(0, 10, $.v)",
        _only(
            {
                "integer": JavaRandom(3).next_int(10),
                "negative": JavaRandom(-2).next_int(10),
                "fraction": JavaRandom(3).next_int(10),
                "huge": JavaRandom(2**40).next_int(10),
            }
        ),
        "UNSETTLED: the seed is a Java long and rounds as the bounds do",
    ),
    (
        "States.MathAdd",
        "States.MathAdd($.v, 1)",
        _only({"integer": 4, "negative": -1, "fraction": 4}),
        "CORPUS test_math_add (Math.round: 2.5 -> 3); DOCS (int range: huge fails)",
    ),
    (
        "States.StringSplit",
        "States.StringSplit($.v, ',')",
        _only({"string": ["abc"], "numeric string": ["3"]}),
        "CORPUS test_string_split; UNSETTLED for non-strings",
    ),
    (
        "States.StringSplit",
        "States.StringSplit('a,b', $.v)",
        _only({"string": [","], "numeric string": ["a,b"]}),
        "CORPUS test_string_split (each delimiter character splits: 'abc' splits at a and b)",
    ),
]

CASES = [
    (function, call, kind, expected[kind], sources)
    for function, call, expected, sources in TABLE
    for kind in KINDS
]


def _run(call: str, value: Any) -> Any:
    document: dict[str, Any] = {
        "four": [1, 2, 3, 4],
        "obj": {"b": 2},
        "mixed": [None, 3, "abc", {"a": 1}, [1, 2, 3], "3"],
    }
    if value is not MISSING:
        document["v"] = value
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"r.$": call}, "End": True}},
    }
    return StateMachine(definition).run(document, clock="virtual")


@pytest.mark.parametrize(
    ("function", "call", "kind", "expected", "sources"),
    CASES,
    ids=[f"{case[1]}|{case[2]}" for case in CASES],
)
def test_argument_kinds(function: str, call: str, kind: str, expected: Any, sources: str) -> None:
    result = _run(call, KINDS[kind])
    if expected == FAIL:
        assert (result.status, result.error) == ("FAILED", "States.IntrinsicFailure")
        assert result.cause is not None
        assert f"Invalid arguments in {function}" in result.cause
    else:
        assert result.status == "SUCCEEDED", result.cause
        assert result.output == {"r": expected}


@pytest.mark.parametrize(("function", "call"), sorted({(row[0], row[1]) for row in TABLE}))
def test_a_missing_argument_is_a_path_that_finds_nothing(function: str, call: str) -> None:
    result = _run(call, MISSING)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause is not None
    assert result.cause.endswith(
        "The JSONPath '$.v' specified for the field 'r.$' could not be found in the input "
        '\'{"four":[1,2,3,4],"obj":{"b":2},"mixed":[null,3,"abc",{"a":1},[1,2,3],"3"]}\''
    )


def test_uuid_takes_no_argument() -> None:
    """States.UUID: no argument (DOCS); one given is a definition error, reported as AWS does."""
    from interpreter import validate_definition

    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"r.$": "States.UUID($.v)"}, "End": True}},
    }
    assert validate_definition(definition) != []


def test_every_intrinsic_has_rows() -> None:
    from interpreter.query import intrinsics

    names = {name for name in intrinsics._FUNCTIONS if name != "States.UUID"}
    assert names == {row[0] for row in TABLE}
