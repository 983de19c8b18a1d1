"""Local limits are refusals, not task failures: which Task states nothing would serve, for each
resource kind and each part of a composition (``interpreter.runtime.coverage``), and how
``asl run`` refuses and ``asl serve`` warns."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from interpreter.app import local_offer, local_service
from interpreter.cli import main
from interpreter.runtime.coverage import Offer, unserved

ACCOUNT = "123456789012"
REGION = "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Charge"
ACTIVITY = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:Approve"
CHILD = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Child"
OTHER = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Other"
PASS_MACHINE = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def task(resource: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": resource, **fields, "End": True}},
    }


def invoke(function: Any, suffix: str = "") -> dict[str, Any]:
    parameters = {"FunctionName.$": "$.f"} if function is None else {"FunctionName": function}
    return task("arn:aws:states:::lambda:invoke" + suffix, Parameters=parameters)


def start(target: str | None, suffix: str = "") -> dict[str, Any]:
    parameters = {"StateMachineArn.$": "$.arn"} if target is None else {"StateMachineArn": target}
    return task("arn:aws:states:::states:startExecution" + suffix, Parameters=parameters)


def run_offer(**parts: Any) -> Offer:
    """An ``asl run`` composition; ``machines`` by name (a child with a Pass state)."""
    machines = {name: PASS_MACHINE for name in parts.pop("machines", ())}
    return local_offer(machines=machines, region=REGION, account=ACCOUNT, **parts)


def options_of(definition: dict[str, Any], offer: Offer) -> tuple[str, ...] | None:
    """The options offered for the one state, or None when it is served."""
    found = unserved(definition, offer)
    assert len(found) <= 1
    return found[0].options if found else None


SERVE = Offer(where="serve", activity_broker=True, callbacks=True)

# (case, definition, offer, served?, what the options name)
TABLE: list[tuple[str, dict[str, Any], Offer, str | None]] = [
    # Lambda functions: a local handler by name, a mock, or AWS.
    ("function, nothing", task(FUNCTION), run_offer(), "--lambda Charge=FILE.py:FUNCTION"),
    ("function, its handler", task(FUNCTION), run_offer(lambdas={"Charge": print}), None),
    ("function, another handler", task(FUNCTION), run_offer(lambdas={"Pay": print}), "--lambda"),
    ("function, handler by ARN", task(FUNCTION), run_offer(lambdas={FUNCTION: print}), None),
    ("function, AWS", task(FUNCTION), run_offer(aws=True), None),
    ("invoke by name", invoke("Charge"), run_offer(lambdas={"Charge": print}), None),
    ("invoke by alias", invoke("Charge:live"), run_offer(lambdas={"Charge": print}), None),
    ("invoke by ARN, nothing", invoke(FUNCTION), run_offer(), "--lambda Charge=FILE.py"),
    ("invoke computed, no handler", invoke(None), run_offer(), "--lambda NAME=FILE.py"),
    ("invoke computed, a handler", invoke(None), run_offer(lambdas={"X": print}), None),
    # A callback a Lambda handler gets cannot come back to asl run; asl serve takes it.
    (
        "invoke callback in a run",
        invoke("Charge", ".waitForTaskToken"),
        run_offer(lambdas={"Charge": print}, aws=True),
        "asl serve, where SendTaskSuccess can reach it",
    ),
    ("invoke callback in serve", invoke("Charge", ".waitForTaskToken"), SERVE, "--lambda"),
    (
        "invoke callback in serve, handler",
        invoke("Charge", ".waitForTaskToken"),
        Offer(where="serve", lambdas=frozenset({"Charge"}), callbacks=True),
        None,
    ),
    # Activities: an in-process worker (asl run), the endpoint's workers (asl serve), a mock.
    ("activity, nothing", task(ACTIVITY), run_offer(), "--activity Approve=FILE.py:FUNCTION"),
    ("activity, a worker", task(ACTIVITY), run_offer(activities={"Approve": print}), None),
    ("activity, worker by ARN", task(ACTIVITY), run_offer(activities={ACTIVITY: print}), None),
    ("activity, AWS is no worker", task(ACTIVITY), run_offer(aws=True), "--activity"),
    ("activity in serve", task(ACTIVITY), SERVE, None),
    # Child state machines: known here, or AWS; a callback child only if it runs here.
    ("child known", start(CHILD, ".sync"), run_offer(machines=["Child"]), None),
    ("child known by version", start(CHILD + ":3"), run_offer(machines=["Child"]), None),
    ("child with a test case", start(CHILD + "#Happy"), run_offer(machines=["Child"]), None),
    ("child unknown", start(CHILD, ".sync:2"), run_offer(), "--machine Child=FILE"),
    ("child unknown, AWS", start(CHILD), run_offer(aws=True), None),
    ("child computed, none known", start(None), run_offer(), "--machine NAME=FILE"),
    ("child computed, one known", start(None), run_offer(machines=["Other"]), None),
    (
        "child not named",
        task("arn:aws:states:::states:startExecution", Parameters={"Input": {}}),
        run_offer(),
        None,
    ),
    (
        "callback child known",
        start(CHILD, ".waitForTaskToken"),
        run_offer(machines=["Child"]),
        None,
    ),
    (
        "callback child on AWS",
        start(CHILD, ".waitForTaskToken"),
        run_offer(aws=True),
        "--machine Child=FILE",
    ),
    ("child in serve, unknown", start(CHILD), SERVE, "creating Child on this endpoint"),
    # Step Functions callbacks are always answered (InvalidToken for a stranger's token).
    ("sendTaskSuccess", task("arn:aws:states:::aws-sdk:sfn:sendTaskSuccess"), run_offer(), None),
    ("listExecutions", task("arn:aws:states:::aws-sdk:sfn:listExecutions"), run_offer(), "--aws"),
    (
        "describeExecution of children",
        task("arn:aws:states:::aws-sdk:sfn:describeExecution"),
        run_offer(machines=["Child"]),
        None,
    ),
    # Every other integration: AWS (its callbacks: asl serve).
    (
        "sqs",
        task("arn:aws:states:::sqs:sendMessage"),
        run_offer(),
        "--aws (or --endpoint-url) to call AWS",
    ),
    ("sqs, AWS", task("arn:aws:states:::sqs:sendMessage"), run_offer(aws=True), None),
    ("s3 sdk", task("arn:aws:states:::aws-sdk:s3:getObject"), run_offer(), "--aws"),
    (
        "sqs callback, AWS",
        task("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
        run_offer(aws=True),
        "asl serve",
    ),
    (
        "sqs callback in serve, AWS",
        task("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
        Offer(where="serve", aws=True, callbacks=True),
        None,
    ),
]


@pytest.mark.parametrize(
    ("definition", "offer", "expected"),
    [case[1:] for case in TABLE],
    ids=[case[0] for case in TABLE],
)
def test_what_nothing_would_serve(
    definition: dict[str, Any], offer: Offer, expected: str | None
) -> None:
    options = options_of(definition, offer)
    if expected is None:
        assert options is None
    else:
        assert options is not None
        assert any(expected in option for option in options), options


@pytest.mark.parametrize(
    "definition",
    [task(FUNCTION), task(ACTIVITY), start(CHILD), task("arn:aws:states:::sns:publish")],
    ids=["function", "activity", "child", "sns"],
)
def test_a_mocked_state_is_served(definition: dict[str, Any]) -> None:
    from interpreter.adapters.mock_config import MockConfig

    config = MockConfig(
        {
            "StateMachines": {"M": {"TestCases": {"Case": {"T": "Ok"}, "Other": {}}}},
            "MockedResponses": {"Ok": {"0": {"Return": {}}}},
        }
    )
    assert options_of(definition, run_offer(mocks=config.test_case("M", "Case"))) is None
    assert options_of(definition, run_offer(mocks=config.test_case("M", "Other"))) is not None


def test_options_name_the_template_only_for_a_definition_file() -> None:
    assert "the SAM template that defines it" in (options_of(task(FUNCTION), run_offer()) or ())
    from_template = options_of(task(FUNCTION), run_offer(template=True)) or ()
    assert "the SAM template that defines it" not in from_template


def test_every_state_is_found_in_branches_processors_and_readers() -> None:
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "A",
                        "States": {"A": {"Type": "Task", "Resource": FUNCTION, "End": True}},
                    },
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
                ],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "Parameters": {"Bucket": "b", "Key": "k"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "C",
                    "States": {"C": {"Type": "Task", "Resource": ACTIVITY, "End": True}},
                },
                "End": True,
            },
        },
    }
    found = unserved(definition, run_offer())
    assert [(problem.state, problem.calls) for problem in found] == [
        ("A", "Lambda function Charge"),
        ("Each", "S3 for its items (ItemReader)"),
        ("C", "activity Approve"),
    ]
    assert unserved(definition, run_offer(aws=True, activities={"Approve": print})) == []


def test_jsonata_arguments_name_their_function() -> None:
    static = {
        "QueryLanguage": "JSONata",
        **invoke("Charge"),
    }
    static["States"]["T"]["Arguments"] = static["States"]["T"].pop("Parameters")
    assert unserved(static, run_offer(lambdas={"Charge": print})) == []
    assert (
        unserved(static, run_offer(lambdas={"Other": print}))[0].calls == "Lambda function Charge"
    )
    static["States"]["T"]["Arguments"]["FunctionName"] = "{% $states.input.f %}"
    assert unserved(static, run_offer(lambdas={"Other": print})) == []


def test_the_children_a_run_may_start_are_checked_with_their_own_test_case() -> None:
    from interpreter.adapters.mock_config import MockConfig

    child = task(FUNCTION)
    offer = local_offer(
        machines={"Child": child, "Unrelated": task(ACTIVITY)},
        mock_config=MockConfig(
            {
                "StateMachines": {"Child": {"TestCases": {"Mocked": {"T": "Ok"}}}},
                "MockedResponses": {"Ok": {"0": {"Return": {}}}},
            }
        ),
        region=REGION,
        account=ACCOUNT,
    )
    found = unserved(start(CHILD, ".sync"), offer)
    assert [(problem.machine, problem.state) for problem in found] == [("Child", "T")]
    assert found[0].describe().startswith("T (in Child) calls Lambda function Charge: --lambda")
    assert unserved(start(CHILD + "#Mocked", ".sync"), offer) == []


# ------------------------------------------------------------------------------- asl run


def test_asl_run_refuses_and_names_every_unserved_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Notify"}],
                "Next": "Ship",
            },
            "Ship": {**start(CHILD, ".sync")["States"]["T"], "End": True},
            "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True},
        },
    }
    path = tmp_path / "order.asl.json"
    path.write_text(json.dumps(definition))
    assert main(["run", str(path), "--input", "{}"]) == 2
    err = capsys.readouterr().err
    assert "nothing would serve 3 Task states of this run, so it was not started" in err
    assert "Charge calls Lambda function Charge: --lambda Charge=FILE.py:FUNCTION" in err
    assert "Ship calls states:startExecution.sync of Child: --machine Child=FILE" in err
    assert "Notify calls sns:publish: --aws (or --endpoint-url) to call AWS" in err

    handler = tmp_path / "handlers.py"
    handler.write_text("def charge(event, context):\n    return {}\n")
    child = tmp_path / "child.asl.json"
    child.write_text(json.dumps(PASS_MACHINE))
    mocks = tmp_path / "MockConfigFile.json"
    mocks.write_text(
        json.dumps(
            {
                "StateMachines": {"order": {"TestCases": {"Notified": {"Notify": "Sent"}}}},
                "MockedResponses": {"Sent": {"0": {"Return": {"MessageId": "m-1"}}}},
            }
        )
    )
    served = [
        f"--lambda=Charge={handler}:charge",
        f"--machine=Child={child}",
        f"--mock-config={mocks}",
        "--test-case=Notified",
    ]
    assert main(["run", str(path), "--input", "{}", *served]) == 0
    capsys.readouterr()
    assert main(["run", str(path), "--input", "{}", *served[1:]]) == 2
    err = capsys.readouterr().err
    assert "nothing would serve a Task state of this run" in err
    assert "Charge calls Lambda function Charge" in err


# ------------------------------------------------------------------------------- asl serve


def test_asl_serve_warns_when_such_a_machine_is_created_or_updated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = local_service(clock="virtual", lambdas={"Known": print})
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    with caplog.at_level(logging.WARNING, logger="interpreter.api.service"):
        created = service.create_state_machine(
            name="Orders", definition=json.dumps(task(FUNCTION)), roleArn=role
        )
        assert (
            "CreateStateMachine Orders: nothing on this endpoint serves a Task state yet (its "
            "executions would fail there): T calls Lambda function Charge: --lambda" in caplog.text
        )
        caplog.clear()
        known = task(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Known")
        service.update_state_machine(created["stateMachineArn"], definition=json.dumps(known))
        assert caplog.text == ""
        service.update_state_machine(
            created["stateMachineArn"], definition=json.dumps(start(OTHER, ".sync"))
        )
        assert (
            "UpdateStateMachine Orders: nothing on this endpoint serves a Task state" in caplog.text
        )
        assert "creating Other on this endpoint" in caplog.text
        caplog.clear()
        service.create_state_machine(
            name="Other", definition=json.dumps(PASS_MACHINE), roleArn=role
        )
        service.update_state_machine(
            created["stateMachineArn"], definition=json.dumps(start(OTHER, ".sync"))
        )
        assert caplog.text == ""
        # Handlers given later serve it: the warning is advice, the machine was created.
        service.serve_lambdas({"Charge": print})
        service.create_state_machine(
            name="Later", definition=json.dumps(task(FUNCTION)), roleArn=role
        )
        assert caplog.text == ""


def test_machines_created_together_are_checked_when_all_exist(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = local_service(clock="virtual")
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    with caplog.at_level(logging.WARNING, logger="interpreter.api.service"):
        with service.unserved_checked_after():
            service.create_state_machine(
                name="Caller", definition=json.dumps(start(CHILD, ".sync")), roleArn=role
            )
            service.create_state_machine(
                name="Child", definition=json.dumps(task(FUNCTION)), roleArn=role
            )
            assert caplog.text == ""
            service.serve_lambdas({"Charge": print})  # as the pytest fixture serves a template's
        assert caplog.text == ""
        with service.unserved_checked_after():
            service.create_state_machine(
                name="Lonely", definition=json.dumps(start(OTHER)), roleArn=role
            )
        assert "CreateStateMachine Lonely: nothing on this endpoint serves" in caplog.text
