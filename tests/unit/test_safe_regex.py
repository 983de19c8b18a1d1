"""The linear-time engine behind JSONPath's ``=~``: Java's ``Matcher.matches()`` on the supported
syntax (sources: the java.util.regex.Pattern documentation; Jayway's flag letters), checked row by
row and against Python's ``re`` on patterns whose meaning the two engines share."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interpreter.query.errors import QuerySyntaxError
from interpreter.query.safe_regex import compile_regex

TABLE = [
    # (pattern, flags, text, Java's matches())
    ("ab.*", "", "abc", True),
    ("ab.*", "", "xab", False),  # the whole text must match
    ("a|bc", "", "bc", True),
    ("[a-c]+x?", "", "abcx", True),
    ("\\d{2,3}", "", "1234", False),
    ("(ab)*", "", "", True),
    ("HELLO", "i", "hElLo", True),
    ("é", "i", "É", False),  # CASE_INSENSITIVE without UNICODE_CASE: ASCII only
    ("a.c", "", "a\nc", False),  # '.' stops at line ends...
    ("a.c", "s", "a\nc", True),  # ...unless DOTALL
    ("^a$", "", "a", True),
    ("a$", "", "a\n", False),  # '$' may sit before a final line end, which is still unmatched
    ("a$\\n", "", "a\n", True),
    ("a\\nb", "m", "a\nb", True),
    ("a$\\n^b", "m", "a\nb", True),
    ("[^\\d_]+", "", "ab", True),
    ("[\\w-]+", "", "a-b_c", True),
    ("\\bfoo\\b.*", "", "foobar", False),
    ("\\Qa.b\\E", "", "axb", False),
    ("\\x41\\u0042", "", "AB", True),
    ("(?i)abc", "", "ABC", True),
    ("(?:a|b){3}", "", "aba", True),
    ("(?<year>\\d{4})-\\d\\d", "", "2024-01", True),
    ("a*?b", "", "aab", True),  # lazy quantifiers match the same whole texts
    ("\\.", "", ".", True),
    ("[.]", "", "x", False),
]


@pytest.mark.parametrize(("pattern", "flags", "text", "expected"), TABLE)
def test_matches_as_java(pattern: str, flags: str, text: str, expected: bool) -> None:
    assert compile_regex(pattern, flags).matches(text) is expected


@pytest.mark.parametrize(
    ("pattern", "flags"),
    [
        ("(a)\\1", ""),
        ("(?=a)", ""),
        ("(?<!a)b", ""),
        ("a*+", ""),
        ("[a&&b]", ""),
        ("[[a]]", ""),
        ("\\p{L}", ""),
        ("(", ""),
        ("a)", ""),
        ("*", ""),
        ("a{2,1}", ""),
        ("a", "q"),
        ("a", "x"),
        ("a" * 1001, ""),
        ("(a{1000}){1000}", ""),
    ],
)
def test_what_the_engine_cannot_run_is_a_syntax_error(pattern: str, flags: str) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_regex(pattern, flags)


PATTERNS = ["a*b", "(a|b)*c", "[ab]+", "a?b?c?", "(ab|a)(bc|c)", "a{1,3}b", "(a+)+b", ".*a.*"]


@given(st.sampled_from(PATTERNS), st.text(alphabet="abc\n", max_size=12))
def test_agrees_with_a_backtracking_engine_on_shared_syntax(pattern: str, text: str) -> None:
    assert compile_regex(pattern).matches(text) is (re.fullmatch(pattern, text) is not None)
