"""The intrinsic functions: parsing, each function, and failures as AWS reports them."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.intrinsics import (
    JavaRandom,
    compile_intrinsic,
    is_intrinsic_call,
)
from interpreter.query.jsonpath import PathNotFoundError
from interpreter.query.scope import Scope

INPUT: dict[str, Any] = {
    "arr": [1, 2, 2, 3],
    "csv": "a,b,,c",
    "obj": {"a": 1, "b": [True, None]},
    "num": 2.5,
    "template": "x={} y={}",
}
CONTEXT: dict[str, Any] = {"StateMachine": {"Id": "arn:sm", "Name": "one-two-three"}}


def _scope(random: float = 0.25) -> Scope:
    return Scope(
        INPUT,
        CONTEXT,
        {"v": [9, 8], "name": "World"},
        new_uuid=lambda: "0f0e0d0c-0000-4000-8000-000000000001",
        random=lambda: random,
    )


def _call(text: str, scope: Scope | None = None) -> Any:
    return compile_intrinsic(text).evaluate(scope or _scope())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('Hello {}!', $name)", "Hello World!"),
        ("States.Format('{} {} {} {} {}', 1, 1.5, true, null, 'q')", "1 1.5 true null q"),
        # Objects and arrays print as Java collections (recorded case test_format_2 exec7).
        ("States.Format('o={} a={}', $.obj, $.arr)", "o={a=1, b=[true, null]} a=[1, 2, 2, 3]"),
        ("States.Format('\\{\\} {} \\'q\\' \\\\', 1)", "{} 1 'q' \\"),
        ("States.Format($.template, 1, 2)", "x=1 y=2"),
        ("States.Format('{}', 1.0E7)", "1.0E7"),
        ("States.StringToJson('{\"a\": [1, 2.5]}')", {"a": [1, 2.5]}),
        ("States.StringToJson('  ')", None),
        ("States.StringToJson('-0')", 0),
        ("States.JsonToString($.obj)", '{"a":1,"b":[true,null]}'),
        ("States.JsonToString('é')", '"é"'),
        ("States.Array()", []),
        ("States.Array(1, 'two', $.obj.a, States.Array(null))", [1, "two", 1, [None]]),
        ("States.ArrayPartition($.arr, 3)", [[1, 2, 2], [3]]),
        ("States.ArrayPartition(States.Array(), 2)", []),
        ("States.ArrayContains($.arr, 3)", True),
        ("States.ArrayContains($.arr, 3.0)", False),
        ("States.ArrayContains(States.Array(true), 1)", False),
        ("States.ArrayContains(States.Array($.obj), $.obj)", True),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(0, 10, 3)", [0, 3, 6, 9]),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayRange(5, 1, 1)", []),
        ("States.ArrayGetItem($.arr, 3)", 3),
        ("States.ArrayLength($v)", 2),
        ("States.ArrayUnique($.arr)", [1, 2, 3]),
        (
            "States.ArrayUnique(States.Array(1, 1.0, true, $.obj, States.JsonMerge($.obj, $.obj,"
            " false)))",
            [1, 1.0, True, {"a": 1, "b": [True, None]}],
        ),
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
        ("States.Base64Decode('')", ""),
        ("States.Hash('input data', 'MD5')", hashlib.md5(b"input data").hexdigest()),  # noqa: S324
        ("States.Hash('input data', 'SHA-512')", hashlib.sha512(b"input data").hexdigest()),
        (
            'States.JsonMerge($.obj, States.StringToJson(\'{"b": 0, "c": 1}\'), false)',
            {"a": 1, "b": 0, "c": 1},
        ),
        ("States.MathAdd(1.49, 1.5)", 3),
        ("States.MathAdd(-2.5, 0)", -2),
        ("States.MathAdd(-1.5, -1.51)", -3),
        ("States.MathAdd(2147483647, -1)", 2147483646),
        ("States.StringSplit($.csv, ',')", ["a", "b", "c"]),
        ("States.StringSplit('a.b+c', '.+')", ["a", "b", "c"]),
        ("States.StringSplit('abc', '')", ["abc"]),
        ("States.UUID()", "0f0e0d0c-0000-4000-8000-000000000001"),
        (
            "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd("
            "States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))",
            "three",
        ),
        ("  States.ArrayLength( $.arr )  ", 4),
        ("States.Array($.arr[?(@.missing)])", [[]]),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    result = _call(text)
    assert result == expected
    assert type(result) is type(expected)


def test_math_random_draws_from_the_scope_with_an_exclusive_end() -> None:
    assert _call("States.MathRandom(1, 11)", _scope(0.0)) == 1
    assert _call("States.MathRandom(1, 11)", _scope(0.999999)) == 10
    assert _call("States.MathRandom(-5, 5)", _scope(0.5)) == 0


def test_math_random_with_a_seed_is_reproducible_java_random() -> None:
    first = _call("States.MathRandom(0, 10, 42)", _scope(0.0))
    second = _call("States.MathRandom(0, 10, 42)", _scope(0.9))
    assert first == second == 0  # new java.util.Random(42).nextInt(10) is 0
    assert _call("States.MathRandom(100, 110, 42)") == 100


def test_java_random_reproduces_java_util_random() -> None:
    # Values printed by Java: new Random(42).nextInt() and new Random(0).nextInt().
    assert JavaRandom(42)._next(32) == -1170105035
    assert JavaRandom(0)._next(32) == -1155484576
    generator = JavaRandom(42)
    assert [generator.next_int(10) for _ in range(5)] == [0, 3, 8, 4, 0]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("States.Format('{} {}', 1)", "2 placeholder(s) but 1 argument(s)"),
        ("States.Format($.arr)", "must be a string"),
        ("States.StringToJson('{nope')", "is not valid JSON"),
        ("States.StringToJson($.arr)", "must be a string"),
        ("States.ArrayPartition($.arr, 0)", "greater than 0"),
        ("States.ArrayPartition($.arr, 0.4)", "must be greater than 0"),
        ("States.ArrayPartition($.obj, 1)", "must be an array"),
        ("States.ArrayRange(0, 10, 0)", "must not be 0"),
        ("States.ArrayRange(0, 1000, 1)", "at most 1000"),
        ("States.ArrayGetItem($.arr, 4)", "out of bounds"),
        ("States.ArrayGetItem($.arr, -1)", "out of bounds"),
        ("States.ArrayLength($.csv)", "must be an array"),
        ("States.Base64Decode('%%%')", "not valid base64"),
        ("States.Hash('x', 'SHA-3')", "is not one of"),
        ("States.Hash($.arr, 'MD5')", "must be a string"),
        ("States.JsonMerge($.obj, $.obj, true)", "shallow"),
        ("States.JsonMerge($.obj, $.arr, false)", "JSON objects"),
        ("States.MathAdd('1', 1)", "must be an integer"),
        ("States.MathAdd(true, 1)", "must be an integer"),
        ("States.MathAdd(2147483648, 0)", "32-bit"),
        ("States.MathRandom(5, 5)", "must be greater than the start"),
        ("States.StringSplit($.arr, ',')", "must be a string"),
    ],
)
def test_bad_arguments_are_intrinsic_failures(text: str, fragment: str) -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        _call(text)
    name = text.split("(", 1)[0].strip()
    assert caught.value.error == "States.IntrinsicFailure"
    assert caught.value.detail.startswith(f"Invalid arguments in {name}: ")
    assert fragment in caught.value.detail


def test_text_limits() -> None:
    long_text = "a" * 10_001
    scope = Scope({"t": long_text}, None, {})
    for name in ("Base64Encode", "Base64Decode"):
        with pytest.raises(QueryRuntimeError, match="more than 10000"):
            _call(f"States.{name}($.t)", scope)
    with pytest.raises(QueryRuntimeError, match="more than 10000"):
        _call("States.Hash($.t, 'MD5')", scope)


def test_a_missing_path_argument_is_a_path_error() -> None:
    with pytest.raises(PathNotFoundError) as caught:
        _call("States.Array($.nope)")
    assert caught.value.error == "States.Runtime"
    assert caught.value.path_text == "$.nope"


@pytest.mark.parametrize(
    "text",
    [
        "States.Unknown()",
        "States.ArrayLength()",
        "States.ArrayLength($.a, $.b)",
        "States.UUID(1)",
        "States.MathRandom(1)",
        "States.Format()",
        "States.Format(1, 2)",
        "States.Array(",
        "States.Array(1,)",
        "States.Array(1 2)",
        "States.Array('unterminated)",
        "States.Array('bad \\n escape')",
        "States.Array('bad \\\" escape')",
        "States.Array(1.)",
        "States.Array(-)",
        "States.Array(nul)",
        "States.Array(1) trailing",
        "States.Array($.a[)",
        "Foo.Bar()",
        "States.Array",
    ],
)
def test_malformed_calls_are_compile_errors(text: str) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_intrinsic(text)


def test_paths_in_arguments_may_hold_commas_and_parentheses() -> None:
    scope = Scope({"a": [{"k": "x, y)"}, {"k": "z"}]}, None, {})
    assert _call("States.Array($.a[?(@.k == 'x, y)')].k, 2)", scope) == [["x, y)"], 2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('x')", True),
        ("  States.UUID()  ", True),
        ("$.a", False),
        ("States.Format", False),
        ("Format('x')", False),
        (5, False),
    ],
)
def test_is_intrinsic_call(text: Any, expected: bool) -> None:
    assert is_intrinsic_call(text) is expected


def test_compiled_calls_do_not_reparse() -> None:
    call = compile_intrinsic("States.Format('{}', $.num)")
    assert call.name == "States.Format"
    assert call.evaluate(_scope()) == "2.5"
    assert call.evaluate(Scope({"num": [1]}, None, {})) == "[1]"
