"""JSON as AWS's Java runtime writes it: Jackson's compact text and Java's toString()."""

from __future__ import annotations

from typing import Any

import pytest

from interpreter.query.jsontext import (
    java_class_name,
    java_double,
    to_compact_json,
    to_java_string,
)


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1.0"),
        (1.1, "1.1"),
        (-2.5, "-2.5"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1.5e-4, "1.5E-4"),
        (9999999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (12345678.9, "1.23456789E7"),
        (1e20, "1.0E20"),
        (float("inf"), "Infinity"),
        (float("nan"), "NaN"),
    ],
)
def test_java_double(number: float, text: str) -> None:
    assert java_double(number) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"Arg1": 1, "Arg2": []}, '{"Arg1":1,"Arg2":[]}'),
        ([1, 2, "HelloWorld"], '[1,2,"HelloWorld"]'),
        ("HelloWorld", '"HelloWorld"'),
        (None, "null"),
        (True, "true"),
        (1.1, "1.1"),
        (1e7, "1.0E7"),
        ("é ✓", '"é ✓"'),
        ("a\x1fb\x00", '"a\\u001Fb\\u0000"'),
        ('q"\\\n\t', '"q\\"\\\\\\n\\t"'),
        # A backslash followed by "u00.." in the data is data, not an escape to rewrite.
        ("\\u00ab\x01", '"\\\\u00ab\\u0001"'),
    ],
)
def test_compact_json(value: Any, text: str) -> None:
    assert to_compact_json(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"Arg1": 1, "Arg2": []}, "{Arg1=1, Arg2=[]}"),
        ({"Id": "arn", "Name": "n"}, "{Id=arn, Name=n}"),
        ([None, True, "x", 1.0], "[null, true, x, 1.0]"),
        ('{"Arg1": 1}', '{"Arg1": 1}'),
    ],
)
def test_java_string(value: Any, text: str) -> None:
    assert to_java_string(value) == text


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "java.lang.Boolean"),
        (1, "java.lang.Integer"),
        (2**40, "java.lang.Long"),
        (2**70, "java.math.BigInteger"),
        (1.5, "java.lang.Double"),
        ("s", "java.lang.String"),
        ({}, "java.util.LinkedHashMap"),
        ([], "java.util.ArrayList"),
    ],
)
def test_java_class_name(value: Any, name: str) -> None:
    assert java_class_name(value) == name


def test_non_json_values_are_rejected() -> None:
    for render in (to_compact_json, to_java_string, java_class_name):
        with pytest.raises(TypeError):
            render(object())
