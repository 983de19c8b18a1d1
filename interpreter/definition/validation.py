"""Validate a state-machine definition the way AWS Step Functions does.

:func:`validate_definition` returns AWS-shaped diagnostics (see
:mod:`interpreter.definition.diagnostics`) for any input — text or parsed JSON, valid or not,
huge or deeply nested — and never raises. It checks, in order:

1. that the definition is present, at most 1,048,576 characters, JSON, and nested at most
   :data:`MAX_NESTING_DEPTH` levels;
2. each object against ``schemas/asl.schema.json`` (the machine's fields, then every state
   against its type's definition), with AWS's wording;
3. the rules of :mod:`interpreter.definition.rules` for every state (query-language fields,
   paths, intrinsic calls, JSONata expressions, Retry/Catch, Task resources, Express limits...);
4. names: unique across the whole machine, at most 80 characters; Map Labels unique;
5. the transitions of every scope (:mod:`interpreter.definition.graph`).

The walk over nested Parallel branches and Map processors is iterative and each schema check
stays within one state, so no input can exhaust the stack.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from interpreter.definition.diagnostics import (
    DEFINITION_TOO_LARGE,
    DUPLICATE_LABEL_NAME,
    DUPLICATE_STATE_NAME,
    INVALID_JSON_DESCRIPTION,
    INVALID_STATE_NAME,
    MISSING_DESCRIPTION,
    SCHEMA_VALIDATION_FAILED,
    TOO_DEEPLY_NESTED,
    Diagnostic,
    error,
)
from interpreter.definition.graph import scope_diagnostics
from interpreter.definition.locations import child, item, join_location
from interpreter.definition.rules import (
    JSONPATH,
    StateContext,
    choice_rule_depth_exceeded,
    label_error,
    resolve_query_language,
    state_diagnostics,
)
from interpreter.definition.schema import STATE_DEFINITIONS, schema_diagnostics
from interpreter.json_types import JSON, NotJSONValueError, finite_float, reject_constant
from interpreter.limits import MAX_DEFINITION_BYTES, MAX_NAME_LENGTH

#: AWS's limit on the ``definition`` parameter, in characters.
MAX_DEFINITION_LENGTH: Final = MAX_DEFINITION_BYTES
#: AWS's limit on state names, in characters.
MAX_STATE_NAME_LENGTH: Final = MAX_NAME_LENGTH
#: Deepest JSON nesting accepted (ours; AWS's parser allows more). It keeps every later stage —
#: compilers, serialisers — far from Python's recursion limit; 50 nested Parallel states fit.
MAX_NESTING_DEPTH: Final = 200

#: The name TestState gives the state it validates (``/States/StateName/...`` in AWS's answers).
SINGLE_STATE_NAME: Final = "StateName"

_TOO_LARGE_MESSAGE: Final = (
    "1 validation error detected: Value at 'definition' failed to satisfy constraint: "
    f"Member must have length less than or equal to {MAX_DEFINITION_LENGTH}"
)


def validate_definition(
    definition: JSON | str, *, state_machine_type: str = "STANDARD"
) -> list[Diagnostic]:
    """Diagnostics for a state-machine definition (text or parsed JSON); empty when valid.

    ``state_machine_type`` is ``STANDARD`` or ``EXPRESS`` (Express machines cannot use
    ``.sync`` or ``.waitForTaskToken`` integrations, nor activities).
    """
    return _guarded(definition, state_machine_type, single_state=False)


def validate_state_definition(
    state: JSON | str, *, state_machine_type: str = "STANDARD"
) -> list[Diagnostic]:
    """Diagnostics for one state on its own, as the TestState API validates it.

    The state is checked as ``/States/StateName`` of a one-state machine, without transition
    rules (TestState accepts any ``Next``); nested branches and processors are fully checked.
    """
    return _guarded(state, state_machine_type, single_state=True)


def is_valid(definition: JSON | str, *, state_machine_type: str = "STANDARD") -> bool:
    """True when the definition has no ERROR diagnostics."""
    return not any(
        d.is_error for d in validate_definition(definition, state_machine_type=state_machine_type)
    )


def validate_and_load(
    definition: JSON | str, *, state_machine_type: str = "STANDARD"
) -> tuple[JSON, list[Diagnostic]]:
    """The parsed definition (None when it is not JSON) and its diagnostics, in one parse."""
    holder: list[JSON] = [None]
    diagnostics = _guarded(definition, state_machine_type, single_state=False, parsed_out=holder)
    return holder[0], diagnostics


def _guarded(
    definition: JSON | str,
    state_machine_type: str,
    *,
    single_state: bool,
    parsed_out: list[JSON] | None = None,
) -> list[Diagnostic]:
    try:
        parsed, diagnostics, duplicates = load_definition(definition)
        if parsed is _INVALID:
            return diagnostics
        if parsed_out is not None:
            parsed_out[0] = parsed
        walk = _Walk(state_machine_type=state_machine_type, duplicates=duplicates)
        if single_state:
            walk.single_state(parsed)
        else:
            walk.machine(parsed)
        return walk.diagnostics
    except RecursionError:
        return [error(TOO_DEEPLY_NESTED, "The definition is too deeply nested", None)]
    except Exception as bug:
        # The contract is "never raises"; a validator bug must still show, so it is named in an
        # ERROR (the property tests fail if one ever appears).
        return [
            error(
                SCHEMA_VALIDATION_FAILED,
                f"The definition could not be validated (validator error: {type(bug).__name__})",
                None,
            )
        ]


# --------------------------------------------------------------------------- loading


class _Invalid:
    """Marker: the definition could not be loaded as JSON."""


_INVALID: Final = _Invalid()


def load_definition(
    definition: JSON | str,
) -> tuple[Any, list[Diagnostic], dict[int, list[str]]]:
    """Parse or normalise a definition.

    Returns the JSON value (or an internal marker when it cannot be used), the diagnostics that
    explain why not, and the duplicate keys the parser saw, by ``id()`` of the object holding
    them (JSON text may repeat a state name; a dict cannot).
    """
    duplicates: dict[int, list[str]] = {}
    if definition is None or (isinstance(definition, str) and not definition.strip()):
        return (
            _INVALID,
            [error(MISSING_DESCRIPTION, "Received a null or empty workflow input", None)],
            duplicates,
        )
    if isinstance(definition, str):
        text = definition
    else:
        too_deep = _too_deep(definition)
        if too_deep is not None:
            return _INVALID, [too_deep], duplicates
        try:
            text = json.dumps(
                definition, ensure_ascii=False, allow_nan=False, separators=(",", ":")
            )
        except (TypeError, ValueError) as problem:
            return (
                _INVALID,
                [error(INVALID_JSON_DESCRIPTION, f"The definition is not JSON: {problem}", None)],
                duplicates,
            )
    if len(text) > MAX_DEFINITION_LENGTH:
        return _INVALID, [error(DEFINITION_TOO_LARGE, _TOO_LARGE_MESSAGE, None)], duplicates

    def keep_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            repeated: list[str] = []
            for key, _ in pairs:
                if key in seen:
                    repeated.append(key)
                seen.add(key)
            duplicates[id(obj)] = repeated
        return obj

    try:
        parsed = json.loads(
            text,
            object_pairs_hook=keep_pairs,
            parse_constant=reject_constant,
            parse_float=finite_float,
        )
    except json.JSONDecodeError as problem:
        message = f"{problem.msg} at line {problem.lineno}, column {problem.colno}"
        return _INVALID, [error(INVALID_JSON_DESCRIPTION, message, None)], duplicates
    except NotJSONValueError as problem:
        return _INVALID, [error(INVALID_JSON_DESCRIPTION, str(problem), None)], duplicates
    except ValueError as problem:
        # Python's own refusal of a number of more than 4,300 digits (AWS's parser stops at
        # 1,000): worded for the definition's author, not as Python's advice.
        message = str(problem)
        if "digits" in message:
            message = "Number value length exceeds the maximum allowed"
        return _INVALID, [error(INVALID_JSON_DESCRIPTION, message, None)], duplicates
    except RecursionError:
        return _INVALID, [_nesting_error(None)], duplicates
    too_deep = _too_deep(parsed)
    if too_deep is not None:
        return _INVALID, [too_deep], duplicates
    return parsed, [], duplicates


def _too_deep(value: Any) -> Diagnostic | None:
    """A TOO_DEEPLY_NESTED diagnostic when ``value`` nests deeper than allowed (iteratively, so
    a self-containing Python object is caught too)."""
    pending: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 0, ())]
    while pending:
        node, depth, path = pending.pop()
        if isinstance(node, dict):
            children: Any = ((str(key), sub) for key, sub in node.items())
        elif isinstance(node, list | tuple):
            children = enumerate(node)
        else:
            continue
        if depth >= MAX_NESTING_DEPTH:
            return _nesting_error(join_location("", path) or "/")
        pending.extend((sub, depth + 1, (*path, key)) for key, sub in children)
    return None


def _nesting_error(location: str | None) -> Diagnostic:
    return error(
        TOO_DEEPLY_NESTED,
        f"The definition is nested more than {MAX_NESTING_DEPTH} levels deep",
        location,
    )


# --------------------------------------------------------------------------- the walk


@dataclass(slots=True)
class _Scope:
    """A ``StartAt``/``States`` object: the machine, a Parallel branch or a Map processor."""

    node: Mapping[str, Any]
    location: str
    check_transitions: bool = True


@dataclass(slots=True)
class _Walk:
    state_machine_type: str
    duplicates: Mapping[int, list[str]]
    machine_query_language: str = JSONPATH
    diagnostics: list[Diagnostic] = field(default_factory=list)
    state_names: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    scopes: deque[_Scope] = field(default_factory=deque)

    def machine(self, definition: Any) -> None:
        if not isinstance(definition, dict):
            self.diagnostics.append(
                error(SCHEMA_VALIDATION_FAILED, "The definition must be a JSON object", "/")
            )
            return
        self.diagnostics.extend(schema_diagnostics("StateMachineFields", definition, ""))
        self.machine_query_language = resolve_query_language(
            definition.get("QueryLanguage"), JSONPATH
        )
        self.scopes.append(_Scope(definition, ""))
        self._drain()

    def single_state(self, state: Any) -> None:
        wrapper = {"StartAt": SINGLE_STATE_NAME, "States": {SINGLE_STATE_NAME: state}}
        self.scopes.append(_Scope(wrapper, "", check_transitions=False))
        self._drain()

    def _drain(self) -> None:
        while self.scopes:
            self._scope(self.scopes.popleft())

    def _scope(self, scope: _Scope) -> None:
        states = scope.node.get("States")
        if not isinstance(states, dict):
            return  # the schema check of the owner reported it
        states_location = child(scope.location, "States")
        for name in self.duplicates.get(id(states), ()):
            self.diagnostics.append(
                error(
                    DUPLICATE_STATE_NAME,
                    f"Duplicate State name: {name}",
                    child(states_location, name),
                )
            )
        for name, state in states.items():
            self._state(name, state, child(states_location, name))
        if scope.check_transitions:
            self.diagnostics.extend(
                scope_diagnostics(
                    states,
                    scope.node.get("StartAt"),
                    scope.location,
                    top_level=scope.location == "",
                )
            )

    def _state(self, name: str, state: Any, location: str) -> None:
        self._name(name, location)
        state_type = state.get("Type") if isinstance(state, dict) else None
        if not (isinstance(state_type, str) and state_type in STATE_DEFINITIONS):
            # Only a state without a usable Type needs the header schema (to say what is wrong).
            self.diagnostics.extend(schema_diagnostics("StateHeader", state, location))
            return
        if state_type == "Choice" and choice_rule_depth_exceeded(state):
            self.diagnostics.append(
                error(
                    TOO_DEEPLY_NESTED,
                    "The Choice rules are too deeply nested",
                    child(location, "Choices"),
                )
            )
            return
        self.diagnostics.extend(schema_diagnostics(STATE_DEFINITIONS[state_type], state, location))
        context = StateContext(
            name=name,
            state=state,
            location=location,
            query_language=resolve_query_language(
                state.get("QueryLanguage"), self.machine_query_language
            ),
            machine_query_language=self.machine_query_language,
            state_machine_type=self.state_machine_type,
        )
        self.diagnostics.extend(state_diagnostics(context))
        if state_type == "Map":
            self._label(state.get("Label"), child(location, "Label"))
            for key in ("ItemProcessor", "Iterator"):
                processor = state.get(key)
                if isinstance(processor, dict):
                    self.scopes.append(_Scope(processor, child(location, key)))
        elif state_type == "Parallel":
            branches = state.get("Branches")
            for index, branch in enumerate(branches if isinstance(branches, list) else ()):
                if isinstance(branch, dict):
                    self.scopes.append(_Scope(branch, item(child(location, "Branches"), index)))

    def _name(self, name: str, location: str) -> None:
        if not name:
            self.diagnostics.append(
                error(INVALID_STATE_NAME, "State name cannot be empty", location)
            )
        elif len(name) > MAX_STATE_NAME_LENGTH:
            self.diagnostics.append(
                error(
                    INVALID_STATE_NAME,
                    f"State name cannot exceed {MAX_STATE_NAME_LENGTH} characters",
                    location,
                )
            )
        if name in self.state_names:
            self.diagnostics.append(
                error(DUPLICATE_STATE_NAME, f"Duplicate State name: {name}", location)
            )
        else:
            self.state_names[name] = location

    def _label(self, label: Any, location: str) -> None:
        if not isinstance(label, str) or label_error(label):
            return
        if label in self.labels:
            self.diagnostics.append(
                error(DUPLICATE_LABEL_NAME, f"Duplicate Label name: {label}", location)
            )
        else:
            self.labels[label] = location
