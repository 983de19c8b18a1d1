"""Transitions, reachability and terminal states (interpreter.definition.graph), and names."""

from __future__ import annotations

import json
from typing import Any

from interpreter.definition.validation import validate_definition, validate_state_definition

LAMBDA = "arn:aws:states:::lambda:invoke"
SUCCEED = {"Type": "Succeed"}


def machine(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states}


def errors(definition: Any) -> list[tuple[str, str, str | None]]:
    return [(d.code, d.message, d.location) for d in validate_definition(definition) if d.is_error]


def missing(target: str, location: str) -> tuple[str, str, str]:
    return ("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", location)


def unreachable(name: str, location: str) -> tuple[str, str, str]:
    return ("MISSING_TRANSITION_TARGET", f'State "{name}" is not reachable.', location)


def test_a_valid_loop_with_an_exit() -> None:
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "End"}],
        "Default": "Work",
    }
    work = {"Type": "Task", "Resource": LAMBDA, "Next": "Check"}
    assert errors(machine({"Work": work, "Check": choice, "End": SUCCEED})) == []


def test_dangling_next_and_the_state_it_orphans() -> None:
    # AWS's answer for this shape: both diagnostics, in this order.
    found = errors(machine({"pass1": {"Type": "Pass", "Next": "pass3"}, "pass2": SUCCEED}))
    assert found == [
        missing("pass3", "/States/pass1/Next"),
        unreachable("pass2", "/States/pass2"),
    ]


def test_every_transition_field_says_next() -> None:
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "Nope1"}],
        "Default": "Nope2",
    }
    task = {
        "Type": "Task",
        "Resource": LAMBDA,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Nope3"}],
        "Next": "C",
    }
    found = errors(machine({"T": task, "C": choice}))
    assert found[:3] == [
        missing("Nope3", "/States/T/Catch[0]/Next"),
        missing("Nope1", "/States/C/Choices[0]/Next"),
        missing("Nope2", "/States/C/Default"),
    ]


def test_start_at_naming_no_state() -> None:
    found = errors(machine({"A": SUCCEED}, start="Missing"))
    assert found == [missing("Missing", "/StartAt"), unreachable("A", "/States/A")]


def test_no_terminal_state_has_no_location_and_hides_reachability() -> None:
    loop = {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Next": "A"},
        "Orphan": {"Type": "Pass", "Next": "A"},
    }
    assert errors(machine(loop)) == [("MISSING_END_STATE", "Workflow has no terminal state", None)]


def test_an_unreachable_terminal_state_is_reported_as_unreachable() -> None:
    loop = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}, "C": SUCCEED}
    assert errors(machine(loop)) == [unreachable("C", "/States/C")]


def test_dangling_target_and_no_end_together() -> None:
    assert errors(machine({"A": {"Type": "Pass", "Next": "NOPE"}})) == [
        missing("NOPE", "/States/A/Next"),
        ("MISSING_END_STATE", "Workflow has no terminal state", None),
    ]


def test_no_transition_out_of_a_branch() -> None:
    branch = {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "After"}}}
    parallel = {"Type": "Parallel", "Branches": [branch], "Next": "After"}
    found = errors(machine({"P": parallel, "After": SUCCEED}))
    assert found == [
        missing("After", "/States/P/Branches[0]/States/Inner/Next"),
        ("MISSING_END_STATE", "Workflow has no terminal state", "/States/P/Branches[0]"),
    ]


def test_no_transition_into_a_map_processor() -> None:
    processor = {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}
    outer = {"Type": "Map", "ItemProcessor": processor, "Next": "Inner"}
    assert errors(machine({"M": outer})) == [
        missing("Inner", "/States/M/Next"),
        ("MISSING_END_STATE", "Workflow has no terminal state", None),
    ]


def test_unreachable_state_inside_a_branch() -> None:
    branch = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}, "B": SUCCEED}}
    parallel = {"Type": "Parallel", "Branches": [branch], "End": True}
    assert errors(machine({"P": parallel})) == [unreachable("B", "/States/P/Branches[0]/States/B")]


def test_state_names_are_unique_across_the_whole_machine() -> None:
    processor = {"StartAt": "Final", "States": {"Final": {"Type": "Pass", "End": True}}}
    states = {"Map": {"Type": "Map", "Iterator": processor, "Next": "Final"}, "Final": SUCCEED}
    assert errors(machine(states)) == [
        ("DUPLICATE_STATE_NAME", "Duplicate State name: Final", "/States/Map/Iterator/States/Final")
    ]


def test_duplicate_keys_in_definition_text() -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Succeed"}}}'
    assert errors(text) == [("DUPLICATE_STATE_NAME", "Duplicate State name: A", "/States/A")]


def test_state_name_length() -> None:
    name = "n" * 80
    assert errors(machine({name: SUCCEED})) == []
    long_name = "n" * 81
    assert errors(machine({long_name: SUCCEED})) == [
        ("INVALID_STATE_NAME", "State name cannot exceed 80 characters", f"/States/{long_name}")
    ]
    assert errors(machine({"": SUCCEED})) == [
        ("INVALID_STATE_NAME", "State name cannot be empty", "/States/")
    ]


def test_state_names_may_hold_spaces_and_punctuation() -> None:
    assert errors(machine({"Start Task And Wait: step #1": SUCCEED})) == []


def test_single_state_validation_ignores_transitions_but_not_branches() -> None:
    assert validate_state_definition({"Type": "Pass", "Next": "Elsewhere"}) == []
    branch = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}}
    found = validate_state_definition({"Type": "Parallel", "Branches": [branch], "End": True})
    assert [d.location for d in found] == [
        "/States/StateName/Branches[0]/States/A/Next",
        "/States/StateName/Branches[0]",
    ]


def test_single_state_validation_uses_aws_location() -> None:
    text = json.dumps({"Type": "Parallel", "Branches": [], "End": True})
    assert [(d.message, d.location) for d in validate_state_definition(text)] == [
        ("Value cannot be empty", "/States/StateName/Branches")
    ]
