"""The recorded AWS cases of the ``choice_operators`` group, decided by the query layer alone.

Each case starts with a JSONPath Choice state. This test compiles its rules, evaluates them
against the execution input (first match wins, else ``Default``) and checks that the branch
taken is the one AWS took. Which branch AWS took is read from the recording, generically:

* from the history when it was recorded (the state entered right after the Choice state), else
* from the output: the one candidate target that is a Pass state whose ``Result`` equals the
  recorded output.

A case whose branch cannot be told this way is not applicable (a rule, never a name).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interpreter.query.choice import compile_choice_rule
from interpreter.query.errors import QueryRuntimeError
from interpreter.query.scope import Scope

CASES_DIR = Path(__file__).resolve().parents[1] / "conformance" / "cases" / "choice_operators"

# Known gaps: case name -> reason. Empty: every applicable case passes.
KNOWN_GAPS: dict[str, str] = {}

_NO_MATCH = "<States.NoChoiceMatched>"


def _choice_state(case: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    definition = case["definition"]
    if definition.get("QueryLanguage", "JSONPath") != "JSONPath":
        return None
    name = definition["StartAt"]
    state = definition["States"][name]
    if state.get("Type") != "Choice" or "InputPath" in state:
        return None
    return name, state


def _branch_taken(case: dict[str, Any], choice_name: str, choice: dict[str, Any]) -> str | None:
    """The state AWS entered after the Choice state, read from the recording."""
    expected = case["expected"]
    history = expected.get("history")
    if history:
        exited = False
        for event in history:
            details = event.get("stateExitedEventDetails")
            if details and details.get("name") == choice_name:
                exited = True
                continue
            entered = event.get("stateEnteredEventDetails")
            if exited and entered:
                return str(entered["name"])
        if expected.get("error") == "States.NoChoiceMatched":
            return _NO_MATCH
        return None
    if expected["status"] != "SUCCEEDED" or "output" not in expected:
        return None
    targets = {rule["Next"] for rule in choice["Choices"]}
    if "Default" in choice:
        targets.add(choice["Default"])
    states = case["definition"]["States"]
    candidates = [
        name
        for name in targets
        if states[name].get("Type") == "Pass"
        and "Result" in states[name]
        and not {"Parameters", "ResultPath", "OutputPath", "InputPath"} & set(states[name])
        and states[name]["Result"] == expected["output"]
    ]
    return candidates[0] if len(candidates) == 1 else None


def _applicable_cases() -> list[Path]:
    paths = []
    for path in sorted(CASES_DIR.glob("*.json")):
        case = json.loads(path.read_text())
        found = _choice_state(case)
        if case["kind"] == "execution" and found and _branch_taken(case, *found) is not None:
            paths.append(path)
    return paths


def _decide(choice: dict[str, Any], scope: Scope) -> str:
    for rule in choice["Choices"]:
        compiled = compile_choice_rule(rule)
        if compiled.evaluate(scope):
            assert compiled.next is not None
            return compiled.next
    return str(choice.get("Default", _NO_MATCH))


CASES = _applicable_cases()


def test_the_group_is_applicable() -> None:
    """Guard against the selection silently emptying."""
    assert len(list(CASES_DIR.glob("*.json"))) >= 400
    assert len(CASES) >= 400


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_choice_case(path: Path) -> None:
    if path.stem in KNOWN_GAPS:
        pytest.skip(KNOWN_GAPS[path.stem])
    case = json.loads(path.read_text())
    found = _choice_state(case)
    assert found is not None
    name, choice = found
    expected_branch = _branch_taken(case, name, choice)
    scope = Scope(case["input"], {"State": {"Name": name}}, {})
    try:
        branch = _decide(choice, scope)
    except QueryRuntimeError as exc:
        branch = f"<{exc.error}>"
    assert branch == expected_branch
