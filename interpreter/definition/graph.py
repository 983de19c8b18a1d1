"""Transition rules of one scope: the top level, a Parallel branch, or a Map processor.

A scope's states may only transition to states of the same scope, so a ``Next`` into or out of a
branch or processor is simply a target the scope does not have. Worded as AWS words them:

* ``MISSING_TRANSITION_TARGET: Missing 'Next' target: <name>`` — for ``StartAt``, ``Next``,
  ``Choices[i].Next``, ``Default`` and ``Catch[i].Next`` alike (AWS always says ``'Next'``);
* ``MISSING_TRANSITION_TARGET: State "<name>" is not reachable.`` — at ``.../States/<name>``;
* ``MISSING_END_STATE: Workflow has no terminal state`` — without a location at the top level.
  A scope without a terminal state is not checked for reachability (AWS reports only this).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from interpreter.definition.diagnostics import (
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    Diagnostic,
    error,
)
from interpreter.definition.locations import child, item


def transitions(state: Mapping[str, Any], location: str) -> Iterator[tuple[str, str]]:
    """Every (target, location) a state can transition to, in the order AWS reports them."""
    target = state.get("Next")
    if isinstance(target, str):
        yield target, child(location, "Next")
    choices = state.get("Choices")
    if isinstance(choices, list):
        for index, rule in enumerate(choices):
            if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                yield rule["Next"], child(item(child(location, "Choices"), index), "Next")
    default = state.get("Default")
    if isinstance(default, str):
        yield default, child(location, "Default")
    catchers = state.get("Catch")
    if isinstance(catchers, list):
        for index, catcher in enumerate(catchers):
            if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
                yield catcher["Next"], child(item(child(location, "Catch"), index), "Next")


def is_terminal(state: Mapping[str, Any]) -> bool:
    """True for states that end their scope: Succeed, Fail, or ``"End": true``."""
    return state.get("Type") in ("Succeed", "Fail") or state.get("End") is True


def scope_diagnostics(
    states: Mapping[str, Any], start_at: object, location: str, *, top_level: bool
) -> list[Diagnostic]:
    """Transition diagnostics of one scope whose ``States`` object is at ``location/States``."""
    diagnostics: list[Diagnostic] = []
    edges: dict[str, list[str]] = {}
    if isinstance(start_at, str) and start_at not in states:
        diagnostics.append(_missing(start_at, child(location, "StartAt")))
    for name, state in states.items():
        targets = edges.setdefault(name, [])
        if not isinstance(state, dict):
            continue
        for target, where in transitions(state, child(child(location, "States"), name)):
            if target in states:
                targets.append(target)
            else:
                diagnostics.append(_missing(target, where))
    if not any(isinstance(state, dict) and is_terminal(state) for state in states.values()):
        diagnostics.append(
            error(
                MISSING_END_STATE,
                "Workflow has no terminal state",
                None if top_level else location,
            )
        )
        return diagnostics
    if not isinstance(start_at, str):
        return diagnostics  # the schema reported the missing StartAt; nothing to walk from
    reachable = _reachable(edges, start_at)
    diagnostics.extend(
        error(
            MISSING_TRANSITION_TARGET,
            f'State "{name}" is not reachable.',
            child(child(location, "States"), name),
        )
        for name in states
        if name not in reachable
    )
    return diagnostics


def _missing(target: str, location: str) -> Diagnostic:
    return error(MISSING_TRANSITION_TARGET, f"Missing 'Next' target: {target}", location)


def _reachable(edges: Mapping[str, list[str]], start_at: object) -> set[str]:
    if not isinstance(start_at, str) or start_at not in edges:
        return set()
    seen = {start_at}
    pending = [start_at]
    while pending:
        for target in edges.get(pending.pop(), ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen
