"""to_json_text writes compact JSON with characters as they are and doubles as Java writes them,
whatever the text (strings that look like numbers included)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from interpreter.core.history import to_json_text
from interpreter.query.jsontext import java_double

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.sampled_from(["1e-05", "12345678.9", "0.0005", '"1e+16"', 'a\\"b 1e-7']),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=15,
)


def _expected(value: Any) -> str:
    """The reference: json.dumps for everything but doubles, Double.toString for doubles."""
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_expected(k)}:{_expected(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_expected(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@given(values)
def test_the_text_is_compact_json_with_java_doubles(value: Any) -> None:
    assert to_json_text(value) == _expected(value)
