"""Locations in a definition, written the way AWS writes them in diagnostics.

Object keys are ``/Key`` segments and array items ``[index]`` suffixes:
``/States/Choose/Choices[0]/Next``, ``/States/Fan/Branches[1]/States/Inner``. Keys are not
escaped (AWS prints state names as they are). The root is ``""`` while building and ``/`` when
reported on its own.
"""

from __future__ import annotations

from collections.abc import Iterable


def child(location: str, key: str) -> str:
    """The location of ``key`` inside the object at ``location``."""
    return f"{location}/{key}"


def item(location: str, index: int) -> str:
    """The location of item ``index`` of the array at ``location``."""
    return f"{location}[{index}]"


def join_location(location: str, parts: Iterable[str | int]) -> str:
    """``location`` followed by a path of keys (str) and array indices (int)."""
    for part in parts:
        location = item(location, part) if isinstance(part, int) else child(location, part)
    return location
