"""Definition validation against what real AWS decided (tests/conformance/cases).

Two directions, both over every recorded case:

* **rejected correctly** — every ``api_error`` case whose error is a definition error
  (``InvalidDefinition`` carrying a definition diagnostic) must be refused by our validator with
  exactly AWS's message, after the README's normalisation (``arn:aws:`` -> ``arn:<partition>:``).
  The definition is submitted as the recording submitted it: ``json.dumps`` of the case's
  definition (AWS quotes that text whole in its Map Label messages).
* **accepted correctly** — every definition AWS accepted (kinds ``execution`` and
  ``sync_execution``; ``test_state`` definitions, validated as TestState validates a single state
  when they are one) must get zero ERROR diagnostics: no false rejections.

* **TestState refusals** — every ``api_error`` case of the TestState API is sent to
  :func:`interpreter.app.run_test_state` as the recording sent it, which must raise AWS's error
  code with exactly AWS's message.

Other ``api_error`` cases that are not about the definition are known gaps, skipped by the rules
in :data:`KNOWN_GAPS` (never deleted, never matched by name).

Run with ``-s`` to see the counts (``test_counts``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
from known_failures import KNOWN_FAILURES

from interpreter.api import StepFunctionsError
from interpreter.app import run_test_state
from interpreter.definition.diagnostics import (
    INVALID_DEFINITION_PREFIX,
    Diagnostic,
    invalid_definition_message,
)
from interpreter.definition.validation import validate_definition, validate_state_definition

CASES_DIR: Final = Path(__file__).parent / "cases"
_BOTO_PREFIX: Final = "An error occurred ({code}) when calling the {operation} operation: "

Case = dict[str, Any]


def _load(path: Path) -> Case:
    case: Case = json.loads(path.read_text(encoding="utf-8"))
    case["_path"] = path
    return case


ALL_CASES: Final = [_load(path) for path in sorted(CASES_DIR.glob("*/*.json"))]


def _error_message(case: Case) -> str:
    """AWS's error message, without the boto3 prefix some recordings kept."""
    exception = case["expected"]["exception"]
    if "Error" in exception:
        return str(exception["Error"]["Message"])
    text = str(exception["exception_value"])
    operation = "TestState" if case["api"] == "test_state" else "CreateStateMachine"
    prefix = _BOTO_PREFIX.format(code=exception["exception_typename"], operation=operation)
    return text.removeprefix(prefix)


def _is_definition_error(case: Case) -> bool:
    """An InvalidDefinition answer that reports the definition itself (not a TestState rule)."""
    if case["expected"].get("error") != "InvalidDefinition":
        return False
    message = _error_message(case)
    return message.startswith(INVALID_DEFINITION_PREFIX) or message.startswith("Error=ValueError")


#: Rules that make an ``api_error`` case a known gap, with the reason (first match wins).
def _is_test_state_rule(case: Case) -> bool:
    """A TestState refusal that is about the request, not the definition's own validity."""
    return case["api"] == "test_state" and not _is_definition_error(case)


def _is_create_request_rule(case: Case) -> bool:
    """A CreateStateMachine refusal about the request's parameters, not the definition."""
    return case["api"] == "create_state_machine" and not _is_definition_error(case)


KNOWN_GAPS: Final[list[tuple[str, Callable[[Case], bool]]]] = []


def _gap_reason(case: Case) -> str | None:
    for reason, applies in KNOWN_GAPS:
        if applies(case):
            return reason
    return None


def _normalise(text: str) -> str:
    """README rule 3 for our messages: AWS's partition token."""
    return text.replace("arn:aws:", "arn:<partition>:")


def _state_machine_type(case: Case) -> str:
    request = case.get("request") or {}
    return str(case.get("state_machine_type") or request.get("type") or "STANDARD")


def _is_single_state(definition: Any) -> bool:
    return isinstance(definition, dict) and "States" not in definition


def _validate(case: Case, definition: Any) -> list[Diagnostic]:
    kind = _state_machine_type(case)
    is_test_state = case["kind"] == "test_state" or case.get("api") == "test_state"
    if is_test_state and _is_single_state(case["definition"]):
        return validate_state_definition(definition, state_machine_type=kind)
    return validate_definition(definition, state_machine_type=kind)


def _resolve_fixtures(case: Case) -> Any:
    """The definition with fixture placeholders that stand for ARNs filled in.

    A Task ``Resource`` of ``${create_activity#1.activityArn}`` was an activity ARN when AWS ran
    the case; other placeholders sit in payloads, where any string is valid, and stay as text.
    """
    text = json.dumps(case["definition"])
    context = case.get("run_context") or {}
    account = context.get("account", "111111111111")
    region = context.get("region", "us-east-1")
    for placeholder, resource in (case.get("resources") or {}).items():
        created_by = resource.get("created_by") if isinstance(resource, dict) else None
        if isinstance(created_by, dict) and created_by.get("callee") == "create_activity":
            name = created_by.get("kwargs", {}).get("name", "activity")
            arn = f"arn:aws:states:{region}:{account}:activity:{name}"
            text = text.replace(placeholder, arn)
    return json.loads(text)


REJECTED: Final = [
    case
    for case in ALL_CASES
    if case["kind"] == "api_error"
    and _gap_reason(case) is None
    and not _is_test_state_rule(case)
    and not _is_create_request_rule(case)
]
CREATE_REQUEST_REFUSALS: Final = [
    case for case in ALL_CASES if case["kind"] == "api_error" and _is_create_request_rule(case)
]
GAPS: Final = [case for case in ALL_CASES if case["kind"] == "api_error" and _gap_reason(case)]
ACCEPTED: Final = [
    case for case in ALL_CASES if case["kind"] in ("execution", "sync_execution", "test_state")
]


TEST_STATE_REFUSALS: Final = [
    case for case in ALL_CASES if case["kind"] == "api_error" and case["api"] == "test_state"
]


def _refusal_params() -> list[Any]:
    """The TestState refusals; a case in ``known_failures.KNOWN_FAILURES`` is a strict xfail."""
    params = []
    for case in TEST_STATE_REFUSALS:
        reason = KNOWN_FAILURES.get(case["name"])
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(case, id=_case_id(case), marks=marks))
    return params


def _case_id(case: Case) -> str:
    path: Path = case["_path"]
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("case", REJECTED, ids=_case_id)
def test_aws_rejection_is_reproduced(case: Case) -> None:
    submitted = json.dumps(case["definition"])
    diagnostics = _validate(case, submitted)
    assert any(d.is_error for d in diagnostics), "AWS refused this definition; we accepted it"
    assert _normalise(invalid_definition_message(diagnostics, submitted)) == _error_message(case)


@pytest.mark.parametrize("case", ACCEPTED, ids=_case_id)
def test_aws_accepted_definition_validates_clean(case: Case) -> None:
    diagnostics = _validate(case, _resolve_fixtures(case))
    errors = [d.describe() for d in diagnostics if d.is_error]
    assert errors == [], "AWS accepted this definition"


def _test_state_arguments(case: Case) -> dict[str, Any]:
    """The TestState request of a case, as :func:`interpreter.app.run_test_state` takes it.

    The definition and the input are sent as the recording sent them (``json.dumps`` text); the
    recorded requests carry no ``roleArn``, so none is sent.
    """
    request = case.get("request") or {}
    arguments: dict[str, Any] = {
        "definition": json.dumps(case["definition"]),
        "inspection_level": request.get("inspectionLevel", "INFO"),
        "mock": request.get("mock"),
        "state_name": request.get("stateName"),
        "state_configuration": request.get("stateConfiguration"),
        "context": request.get("context"),
        "variables": request.get("variables"),
        "reveal_secrets": request.get("revealSecrets", False),
        "account": "111111111111",
    }
    if "input" in request:
        arguments["input"] = json.dumps(request["input"])
    return arguments


@pytest.mark.parametrize("case", _refusal_params())
def test_test_state_refusal_is_reproduced(case: Case) -> None:
    with pytest.raises(StepFunctionsError) as refused:
        run_test_state(**_test_state_arguments(case))
    assert refused.value.code == case["expected"]["error"]
    assert _normalise(refused.value.message) == _error_message(case)


@pytest.mark.parametrize("case", CREATE_REQUEST_REFUSALS, ids=_case_id)
def test_create_state_machine_request_refusal_is_reproduced(case: Case) -> None:
    from interpreter.app import local_service

    service = local_service(clock="virtual", account="111111111111")
    with pytest.raises(StepFunctionsError) as refused:
        service.create_state_machine(
            name="refused",
            definition=json.dumps(case["definition"]),
            roleArn="arn:aws:iam::111111111111:role/sfn",
            **(case.get("request") or {}),
        )
    assert refused.value.code == case["expected"]["error"]
    assert _normalise(refused.value.message) == _error_message(case)


@pytest.mark.parametrize("case", GAPS, ids=_case_id)
def test_known_gap(case: Case) -> None:
    pytest.skip(str(_gap_reason(case)))


def test_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Every api_error case is either checked or a named gap; print the tallies."""
    api_errors = [case for case in ALL_CASES if case["kind"] == "api_error"]
    test_state_rules = [case for case in api_errors if _is_test_state_rule(case)]
    assert len(REJECTED) + len(GAPS) + len(test_state_rules) + len(CREATE_REQUEST_REFUSALS) == len(
        api_errors
    )
    assert REJECTED, "no recorded rejection was found to check"
    with capsys.disabled():
        print(
            f"\ndefinition validation vs AWS: {len(REJECTED)} rejections checked, "
            f"{len(ACCEPTED)} accepted definitions checked, {len(GAPS)} known gaps; "
            f"{len(TEST_STATE_REFUSALS)} TestState refusals checked, "
            f"{len(CREATE_REQUEST_REFUSALS)} CreateStateMachine request refusals checked"
        )
