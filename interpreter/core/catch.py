"""Catch: which Catcher of a state takes a failure."""

from __future__ import annotations

from collections.abc import Sequence

from interpreter.core.errors import matches
from interpreter.definition.model import Catcher


def find_catcher(catchers: Sequence[Catcher], error: str | None) -> int | None:
    """Index of the first Catcher whose ``ErrorEquals`` matches ``error``, or None."""
    for index, catcher in enumerate(catchers):
        if matches(catcher.error_equals, error):
            return index
    return None
