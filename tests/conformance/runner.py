"""Run one recorded conformance case on our engine and report what happened.

``run_case(case) -> dict`` with the keys the comparer reads: ``status``, ``output`` (parsed),
``output_raw`` (AWS's text), ``error``, ``cause`` and ``history`` (events as GetExecutionHistory
returns them). The case's run context (names, ARNs, account, region) is used so that ``$$``
yields what AWS yielded, and every Lambda function named in ``resources`` is a local handler with
the recorded behaviour (CASES_README.md, "Lambda behaviours").
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from typing import Any

from behaviours import BEHAVIOURS
from compare import history_reverse_order

from interpreter.app import local_runner
from interpreter.definition.compiler import compile_state_machine


def lambda_handlers(case: Mapping[str, Any]) -> dict[str, Callable[[Any, Any], Any]]:
    """Local handlers for every Lambda function the case's resources describe."""
    handlers = {}
    for resource in (case.get("resources") or {}).values():
        if isinstance(resource, dict) and resource.get("type") == "lambda":
            handlers[resource["function_name"]] = BEHAVIOURS[resource["behaviour"]]
    return handlers


def _fixture_value(resource: Mapping[str, Any], context: Mapping[str, Any]) -> str | None:
    """The value a fixture placeholder stands for, created the way the recording created it."""
    created = resource.get("created_by") or {}
    callee = created.get("callee")
    kwargs = created.get("kwargs") or {}
    label = str(resource.get("label", "fixture")).replace("#", "-")
    if callee == "create_cross_account_admin_role_and_policy":
        account = kwargs.get("trusted_account_id") or context.get("account", "111111111111")
        return f"arn:aws:iam::{account}:role/{label}"
    return None


def _resolve_placeholders(
    case: Mapping[str, Any], created: Mapping[str, str] | None = None
) -> tuple[Any, Any, dict[str, str]]:
    """The case's definition and input with fixture placeholders replaced, and the mapping.

    ``created`` holds the values of fixtures already created in the emulated AWS.
    """
    context = case.get("run_context") or {}
    values: dict[str, str] = dict(created or {})
    for name, resource in (case.get("resources") or {}).items():
        if isinstance(resource, dict) and resource.get("type") == "fixture/api placeholder":
            value = values.get(name) or _fixture_value(resource, context)
            if value is not None:
                values[name] = value

    def substitute(document: Any) -> Any:
        if not values:
            return document
        text = json.dumps(document)
        for name, value in values.items():
            text = text.replace(name, value)
        return json.loads(text)

    return substitute(case["definition"]), substitute(case.get("input")), values


def _recording_start_ms(case: Mapping[str, Any]) -> int | None:
    """For cases whose input was computed from the clock: when the recording ran (epoch ms)."""
    if not case.get("wall_clock_dependent"):
        return None
    recorded = (case.get("source") or {}).get("recorded_date")
    if not recorded:
        return None
    moment = datetime.datetime.strptime(recorded, "%d-%m-%Y, %H:%M:%S").replace(tzinfo=datetime.UTC)
    return int(moment.timestamp() * 1000)


def needs_emulated_aws(case: Mapping[str, Any]) -> bool:
    """Whether the case calls AWS services other than Lambda (run under moto)."""
    return any(service != "lambda" for service in case.get("needs_services", []))


def run_case(case: Mapping[str, Any]) -> dict[str, Any]:
    """Run an ``execution``/``sync_execution`` case and return the actual result."""
    if not needs_emulated_aws(case):
        return _run(case, lambda_handlers(case), None)
    # Imported here: moto is slow to import and most cases do not need it.
    from emulation import emulated_aws

    handlers = lambda_handlers(case)
    with emulated_aws(case, handlers) as services:
        return _run(case, handlers, services)


def run_case_with_activities(
    case: Mapping[str, Any],
    activity_arns: Mapping[str, str],
    workers: Mapping[str, Any],
) -> dict[str, Any]:
    """Run a case whose Task states use activities: ``activity_arns`` gives the ARN each
    activity placeholder stands for, ``workers`` the in-process worker of each activity (an
    activity without one does not exist)."""

    class _Created:
        """The fixtures the recording created outside the case: here, only the activities."""

        def __init__(self) -> None:
            self.placeholders = dict(activity_arns)
            self.invoker = None

        def prepare(self, definition: Any, execution_input: Any) -> None:
            return None

    return _run(case, lambda_handlers(case), _Created(), activities=workers)


def _run(
    case: Mapping[str, Any],
    handlers: Mapping[str, Callable[[Any, Any], Any]],
    services: Any,
    activities: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    context = case.get("run_context") or {}
    created = services.placeholders if services is not None else None
    definition, execution_input, placeholders = _resolve_placeholders(case, created)
    if services is not None:
        services.prepare(definition, execution_input)
    account = context.get("account", "111111111111")
    region = context.get("region", "us-east-1")
    runner = local_runner(
        lambdas=handlers,
        clock="virtual",
        region=region,
        account=account,
        role_arn=context.get("role_arn"),
        start_ms=_recording_start_ms(case),
        invokers=[services.invoker] if services is not None and services.invoker else (),
        activities=activities,
    )
    machine = compile_state_machine(definition)
    result = runner.run(
        machine,
        execution_input,
        state_machine_name=context.get("state_machine_name", "StateMachine"),
        state_machine_arn=context.get("state_machine_arn"),
        execution_name=context.get("execution_name"),
        execution_arn=context.get("execution_arn"),
        # The recording harness sent json.dumps(input) with Python's default separators, and
        # AWS records the execution input verbatim.
        input_text=json.dumps(execution_input),
    )
    return {
        "status": result.status,
        "output": result.output if result.status == "SUCCEEDED" else None,
        "output_raw": result.output_text,
        "error": result.error,
        "cause": result.cause,
        # GetExecutionHistory with reverseOrder=True when that is how the case was recorded.
        "history": (
            result.history_events()[::-1]
            if history_reverse_order(case)
            else result.history_events()
        ),
        "placeholders": placeholders,
    }


# ---------------------------------------------------------------------------------------------
# TestState cases (kind "test_state"): interpreter.app.run_test_state, as the recording called it.
# ---------------------------------------------------------------------------------------------

#: The role the recording passed to TestState: its context objects show
#: ``arn:aws:iam::111111111111:role/<name>`` (the name was recorded as a wildcard).
TEST_STATE_ROLE_ARN = "arn:aws:iam::111111111111:role/TestStateRole"
TEST_STATE_ACCOUNT = "111111111111"
TEST_STATE_REGION = "us-east-1"


def run_test_state_case(case: Mapping[str, Any]) -> dict[str, Any]:
    """Run a ``test_state`` case and return the TestState response in the comparer's shape.

    The request is the case's ``test_state_request``; the definition and the input are sent as
    the recording sent them (``json.dumps`` text), Lambda functions are local handlers with the
    recorded behaviours.
    """
    from interpreter.app import run_test_state

    request = case.get("test_state_request") or {}
    response = run_test_state(
        json.dumps(case["definition"]),
        json.dumps(case.get("input")),
        inspection_level=request.get("inspectionLevel", "INFO"),
        mock=request.get("mock"),
        state_name=request.get("stateName"),
        state_configuration=request.get("stateConfiguration"),
        context=request.get("context"),
        variables=request.get("variables"),
        reveal_secrets=request.get("revealSecrets", False),
        role_arn=TEST_STATE_ROLE_ARN,
        lambdas=lambda_handlers(case),
        region=TEST_STATE_REGION,
        account=TEST_STATE_ACCOUNT,
    )
    return {
        "status": response["status"],
        "output": response.get("output"),
        "error": response.get("error"),
        "cause": response.get("cause"),
        "nextState": response.get("nextState"),
        "inspectionData": response.get("inspectionData"),
    }
