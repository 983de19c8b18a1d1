"""The ceiling: a hand-written loop that runs a chain of Pass states and nothing else.

It understands exactly what the Pass-chain workload uses — ``Parameters`` whose ``.$`` values are
plain ``$.a.b`` paths, a ``ResultPath`` of one top-level field, ``Next``/``End`` — and does the
same data work as the engine (the result object is built, the input is copied, never changed), but
keeps no history, no context object, no limits and no error handling. Its time per transition is
what plain Python costs for this work; the engine is compared against it.
"""

from __future__ import annotations

from typing import Any

# One compiled state: (constant parameters, [(key, path parts)], result field, next state or None)
HandState = tuple[dict[str, Any], list[tuple[str, list[str]]], str, str | None]


def _path_parts(path: str) -> list[str]:
    if not path.startswith("$."):
        raise ValueError(f"the hand loop only knows $.a.b paths, not {path!r}")
    return path[2:].split(".")


def compile_chain(definition: dict[str, Any]) -> tuple[str, dict[str, HandState]]:
    """Turn a Pass-chain definition into ``(start state, {name: HandState})``."""
    states: dict[str, HandState] = {}
    for name, spec in definition["States"].items():
        if spec["Type"] != "Pass":
            raise ValueError("the hand loop only runs Pass states")
        constants: dict[str, Any] = {}
        paths: list[tuple[str, list[str]]] = []
        for key, value in spec.get("Parameters", {}).items():
            if key.endswith(".$"):
                paths.append((key[:-2], _path_parts(value)))
            else:
                constants[key] = value
        (result_field,) = _path_parts(spec["ResultPath"])
        states[name] = (constants, paths, result_field, spec.get("Next"))
    return definition["StartAt"], states


def run_chain(start: str, states: dict[str, HandState], data: dict[str, Any]) -> tuple[Any, int]:
    """Run the chain from ``start`` on ``data``; returns (output, transitions made)."""
    current: str | None = start
    transitions = 0
    while current is not None:
        constants, paths, result_field, following = states[current]
        result = dict(constants)
        for key, parts in paths:
            value: Any = data
            for part in parts:
                value = value[part]
            result[key] = value
        data = {**data, result_field: result}
        current = following
        transitions += 1
    return data, transitions
