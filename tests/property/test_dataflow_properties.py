"""Properties of the data-flow layer, checked on generated documents (Hypothesis)."""

from __future__ import annotations

import copy
import datetime
import json
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonpath_ng import parse as reference_parse

from interpreter.query.choice import compile_string_pattern, parse_timestamp
from interpreter.query.errors import QueryRuntimeError
from interpreter.query.jsonpath import (
    PathNotFoundError,
    apply_result_path,
    compile_path,
    compile_reference_path,
)
from interpreter.query.jsontext import java_double, to_compact_json
from interpreter.query.scope import Scope
from interpreter.query.template import compile_payload_template

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = st.sampled_from(["a", "b", "c", "k1", "k_2"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=20,
)
DOCUMENTS = st.dictionaries(KEYS, JSON_VALUES, max_size=5)
STEPS = st.lists(st.one_of(KEYS, st.integers(0, 3)), min_size=1, max_size=4)


def _render(steps: list[str | int]) -> str:
    return "$" + "".join(f".{s}" if isinstance(s, str) else f"[{s}]" for s in steps)


# ------------------------------------------------------------------------------ ResultPath


_ABSENT = object()


def _conflicts(document: Any, steps: list[str | int]) -> bool:
    """Oracle: does writing along ``steps`` meet a value that cannot hold the next step?"""
    current: Any = document
    for step in steps:
        if isinstance(step, str):
            if current is _ABSENT:
                continue
            if not isinstance(current, dict):
                return True
            current = current.get(step, _ABSENT)
        else:
            if not isinstance(current, list) or step >= len(current):
                return True
            current = current[step]
    return False


@PROFILE
@given(document=DOCUMENTS, steps=STEPS, result=JSON_VALUES)
def test_apply_result_path_never_mutates_and_writes_where_asked(
    document: dict[str, Any], steps: list[str | int], result: Any
) -> None:
    before = copy.deepcopy(document)
    path = compile_reference_path(_render(steps))
    if _conflicts(document, steps):
        with pytest.raises(QueryRuntimeError) as caught:
            apply_result_path(document, path, result)
        assert caught.value.error == "States.ReferencePathConflict"
        assert document == before
        return
    output = apply_result_path(document, path, result)
    assert document == before
    assert compile_path(_render(steps)).find(output) is result
    # Every top-level member off the written path is the very same object as before.
    first = steps[0]
    for key, value in document.items():
        if key != first:
            assert output[key] is value


# ------------------------------------------------------------------------------ lookups


@lru_cache(maxsize=512)
def _reference(text: str) -> Any:
    return reference_parse(text)


@PROFILE
@given(document=DOCUMENTS, steps=STEPS)
def test_definite_paths_agree_with_jsonpath_ng(document: dict[str, Any], steps: list[Any]) -> None:
    text = _render(steps)
    matches = [m.value for m in _reference(text).find(document)]
    # jsonpath-ng indexes strings; ASL (Jayway) does not, so only compare on JSON containers.
    assume(not any(isinstance(step, int) for step in steps) or _only_lists_indexed(document, steps))
    try:
        found = compile_path(text).find(document)
    except PathNotFoundError:
        assert matches == []
        return
    assert matches == [found]


def _only_lists_indexed(document: Any, steps: list[Any]) -> bool:
    current = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return not isinstance(current, str)
        elif not isinstance(current, dict) or step not in current:
            return True
        current = current[step]
    return True


@PROFILE
@given(document=DOCUMENTS, steps=st.lists(KEYS, min_size=0, max_size=2))
def test_wildcards_agree_with_jsonpath_ng(document: dict[str, Any], steps: list[str]) -> None:
    text = _render(list(steps)) + "[*]"
    expected = [m.value for m in _reference(text).find(document)]
    assert compile_path(text).find(document) == expected


# ------------------------------------------------------------------------------ templates


@PROFILE
@given(constant=JSON_VALUES, document=DOCUMENTS)
def test_templates_build_fresh_containers(constant: Any, document: dict[str, Any]) -> None:
    template = {"const": constant, "whole.$": "$", "nested": [{"c": constant}]}
    compiled = compile_payload_template(template, field="Parameters")
    scope = Scope(document, None, {})
    first = compiled.evaluate(scope)
    second = compiled.evaluate(scope)
    assert first == second == {"const": constant, "whole": document, "nested": [{"c": constant}]}
    assert not _shares_containers(first["const"], second["const"])
    assert not _shares_containers(first["const"], constant)


def _shares_containers(left: Any, right: Any) -> bool:
    if isinstance(left, (dict, list)) and left is right:
        return True
    if isinstance(left, dict) and isinstance(right, dict):
        return any(_shares_containers(left[k], right[k]) for k in left if k in right)
    if isinstance(left, list) and isinstance(right, list):
        return any(_shares_containers(a, b) for a, b in zip(left, right, strict=False))
    return False


# ------------------------------------------------------------------------------ StringMatches


def _reference_match(pattern: str, text: str) -> bool:
    """A StringMatches oracle written differently: tokenise, then dynamic programming."""
    tokens: list[str | None] = []  # None is the wildcard
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and pattern[i + 1 : i + 2] in ("*", "\\"):
            tokens.append(pattern[i + 1])
            i += 2
        else:
            tokens.append(None if pattern[i] == "*" else pattern[i])
            i += 1
    # reachable[j]: the tokens seen so far can consume exactly text[:j].
    reachable = [True] + [False] * len(text)
    for token in tokens:
        if token is None:
            for j in range(1, len(text) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [reachable[j] and text[j] == token for j in range(len(text))]
    return reachable[len(text)]


PATTERN_ALPHABET = st.sampled_from(["a", "b", "*", "\\", ".", "?"])


@PROFILE
@given(
    pattern=st.text(PATTERN_ALPHABET, max_size=8),
    text=st.text(st.sampled_from(["a", "b", "*", "\\", "."]), max_size=10),
)
def test_string_matches_agrees_with_a_reference_matcher(pattern: str, text: str) -> None:
    assert compile_string_pattern(pattern)(text) is _reference_match(pattern, text)


@PROFILE
@given(pattern=st.text(PATTERN_ALPHABET, max_size=6), data=st.data())
def test_a_pattern_without_stars_matches_its_own_literal_text(pattern: str, data: Any) -> None:
    literal = pattern.replace("\\*", "*").replace("\\\\", "\\")
    assume("*" not in pattern.replace("\\*", ""))
    assume("\\" not in pattern.replace("\\*", "").replace("\\\\", ""))
    assert compile_string_pattern(pattern)(literal)


# ------------------------------------------------------------------------------ text forms


@PROFILE
@given(
    moment=st.datetimes(
        min_value=datetime.datetime(1, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.just(datetime.UTC),
    ),
    offset_minutes=st.integers(-18 * 60, 18 * 60),
)
def test_timestamps_agree_with_datetime(moment: datetime.datetime, offset_minutes: int) -> None:
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    local = moment.astimezone(zone)
    text = local.isoformat(timespec="microseconds")
    if offset_minutes == 0:
        text = text.replace("+00:00", "Z")
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    delta = moment - epoch
    expected = (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    assert parse_timestamp(text) == expected


@PROFILE
@given(value=JSON_VALUES)
def test_compact_json_round_trips(value: Any) -> None:
    assert json.loads(to_compact_json(value)) == value


FLOAT_FREE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(st.characters(min_codepoint=0x20), max_size=8),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=20,
)


@PROFILE
@given(value=FLOAT_FREE)
def test_compact_json_is_compact_and_keeps_unicode(value: Any) -> None:
    # Without doubles (written the Java way) and control characters (escaped with upper-case
    # hex, see test_jsontext) the text is Python's compact form.
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert to_compact_json(value) == expected


@PROFILE
@given(number=st.floats(allow_nan=False, allow_infinity=False))
def test_java_doubles_round_trip(number: float) -> None:
    assert float(java_double(number)) == number
