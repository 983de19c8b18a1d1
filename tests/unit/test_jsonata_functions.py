"""The functions AWS adds to JSONata: $partition, $range, $hash, $random, $uuid, $parse; $eval
absent. Expected values come from the AWS developer guide's descriptions, hashlib-independent
published digests and the JDK's documented java.util.Random sequence."""

from __future__ import annotations

from typing import Any

import pytest

from interpreter.query.errors import QueryRuntimeError
from interpreter.query.jsonata import UNDEFINED, JsonataEvaluationError, compile_jsonata
from interpreter.query.jsonata_functions import java_random_double


def run(text: str, states: Any = None, **sources: Any) -> Any:
    return compile_jsonata(text).evaluate(states or {"input": {}}, {}, **sources)


def fails(text: str, states: Any = None) -> str | None:
    with pytest.raises(JsonataEvaluationError) as caught:
        run(text, states)
    return caught.value.code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)", [[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
        ("$partition([1, 2, 3, 4], 3)", [[1, 2, 3], [4]]),
        ("$partition([1, 2], 5)", [[1, 2]]),
        ("$partition([], 2)", []),
        ("$partition([1, 2, 3], 2.9)", [[1, 2], [3]]),  # "round down any non-integer numbers"
        ("$partition(['a', {'b': 1}], 1)", [["a"], [{"b": 1}]]),
    ],
)
def test_partition(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_partition_keeps_a_singleton_array_from_the_input() -> None:
    # The corpus's FunctionInput {"fst": [0], "snd": 1} gave AWS [[0]].
    states = {"input": {"fst": [0], "snd": 1}}
    assert run("$partition($states.input.fst, $states.input.snd)", states) == [[0]]


@pytest.mark.parametrize(
    "text", ["$partition([1], 0)", "$partition([1], -1)", "$partition([1], 'a')", "$partition(1)"]
)
def test_partition_rejects_bad_arguments(text: str) -> None:
    assert fails(text) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$range(0, 10, 2)", [0, 2, 4, 6, 8, 10]),
        ("$range(1, 8, 2)", [1, 3, 5, 7]),
        ("$range(10, 0, -5)", [10, 5, 0]),
        # A sequence: one number is that number (AWS recorded $range(1, 9, 9) as 1: LocalStack's
        # AWS-validated intrinsic_functions/test_array_jsonata test_array_range), none is
        # nothing (jsonata-js's rule for an empty sequence), an array constructor keeps it.
        ("$range(3, 3, 1)", 3),
        ("$range(1, 9, 9)", 1),
        ("[$range(3, 3, 1)]", [3]),
        ("$range(3, 1, 1)", UNDEFINED),
        ("$range(0.5, 3.9, 1.7)", [0, 1, 2, 3]),  # bounds and step rounded down
    ],
)
def test_range(text: str, expected: Any) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    "text", ["$range(0, 3, 0)", "$range('0', 3, 1)", "$range(0, 3)", "$range(0, 1e9, 1)"]
)
def test_range_rejects_bad_arguments(text: str) -> None:
    assert fails(text) is not None


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        # Published digests of the ASCII text "abc" (RFC 1321, FIPS 180).
        ("MD5", "900150983cd24fb0d6963f7d28e17f72"),
        ("SHA-1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("SHA-256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "SHA-384",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            "SHA-512",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ],
)
def test_hash(algorithm: str, digest: str) -> None:
    assert run(f"$hash('abc', '{algorithm}')") == digest


@pytest.mark.parametrize(
    "text", ["$hash('abc', 'SHA-2')", "$hash('abc', 'sha-256')", "$hash(1, 'MD5')"]
)
def test_hash_rejects_bad_arguments(text: str) -> None:
    assert fails(text) is not None


def test_random_without_seed_uses_the_callers_source() -> None:
    draws = iter([0.1, 0.9])
    expression = compile_jsonata("[$random(), $random()]")
    assert expression.evaluate({}, {}, random=lambda: next(draws)) == [0.1, 0.9]


def test_random_with_seed_is_java_util_random() -> None:
    # new java.util.Random(42).nextDouble() and new Random(0).nextDouble() (JDK-documented LCG).
    assert java_random_double(42) == 0.7275636800328681
    assert java_random_double(0) == 0.730967787376657
    assert run("$random(42)") == 0.7275636800328681
    assert run("$random(42.9)") == 0.7275636800328681  # seed rounded down
    assert run("[$random(7), $random(7)]") == [java_random_double(7)] * 2
    assert 0 <= run("$random(-123456789)") < 1


def test_uuid_comes_from_the_source_and_takes_no_arguments() -> None:
    assert run("$uuid()", new_uuid=lambda: "0b5a1c8e-2f1d-4a7b-9c3e-5d6f7a8b9c0d") == (
        "0b5a1c8e-2f1d-4a7b-9c3e-5d6f7a8b9c0d"
    )
    assert fails("$uuid(1)") == "T0410"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("""$parse('{"a": [1, 2.5, null, true]}')""", {"a": [1, 2.5, None, True]}),
        ("$parse('\"s\"')", "s"),
        ("$parse($states.input.json).k", "v"),
    ],
)
def test_parse(text: str, expected: Any) -> None:
    assert run(text, {"input": {"json": '{"k": "v"}'}}) == expected


def test_parse_rejects_text_that_is_not_json() -> None:
    assert fails("$parse('{nope')") is not None
    assert fails("$parse(1)") == "T0410"


def test_eval_is_absent() -> None:
    assert fails("$eval('1 + 1')") == "T1006"


def test_function_failure_is_a_query_evaluation_error() -> None:
    with pytest.raises(QueryRuntimeError) as caught:
        compile_jsonata("$hash('x', 'CRC32')").evaluate_field({}, {}, location="Assign/h")
    assert caught.value.error == "States.QueryEvaluationError"
    assert caught.value.location == "Assign/h"
    assert "specified for the field 'Assign/h' threw an error during evaluation." in (
        caught.value.detail
    )


def test_user_variables_named_like_functions_do_not_hide_them() -> None:
    # $hash is a call; the variable named "hash" is only read as $hash without parentheses.
    expression = compile_jsonata("{'h': $hash('abc', 'MD5'), 'p': $partition([1], 1)}")
    assert expression.evaluate({}, {"hash": "mine", "partition": 0}) == {
        "h": "900150983cd24fb0d6963f7d28e17f72",
        "p": [[1]],
    }
