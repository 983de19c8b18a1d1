"""The durable runtime (decider + task runner over store, queue and clock), in memory."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from interpreter.adapters.lambda_local import LocalLambdaFunctions
from interpreter.adapters.memory import MemoryQueue, MemoryStore, VirtualClock
from interpreter.app import local_runner
from interpreter.definition.compiler import compile_state_machine
from interpreter.runtime.durable import (
    DurableRuntime,
    ExecutionAlreadyExistsError,
    TaskTokenError,
    Worker,
)
from interpreter.runtime.ports import StateMachineRecord
from interpreter.runtime.tasks import TaskRunner

CASES = Path(__file__).resolve().parents[1] / "conformance" / "cases"
sys.path.insert(0, str(CASES.parent))

from runner import lambda_handlers  # noqa: E402 - the conformance runner's Lambda behaviours

START_MS = 1_700_000_000_000
ACCOUNT = "111111111111"


class Deployment:
    """A runtime with in-memory adapters on a virtual clock."""

    def __init__(self, lambdas: dict[str, Any] | None = None) -> None:
        self.clock = VirtualClock(START_MS)
        self.store = MemoryStore()
        self.queue = MemoryQueue(self.clock)
        functions = LocalLambdaFunctions(lambdas or {}, account=ACCOUNT)
        self.runtime = DurableRuntime(
            self.store, self.queue, self.clock, TaskRunner([functions]), account=ACCOUNT
        )
        self.worker = Worker(self.runtime, self.queue, self.clock)

    def machine(self, definition: dict[str, Any], name: str = "sm") -> StateMachineRecord:
        record = StateMachineRecord(
            arn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}",
            name=name,
            definition=json.dumps(definition),
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
        )
        self.store.put_state_machine(record)
        return record


def _masked(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "U", text)
    text = re.sub(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", "T", text)
    return re.sub(r"(LogResult[^A-Za-z0-9]+)[A-Za-z0-9+/=]{20,}", r"\1L", text)


def _cases() -> list[Path]:
    chosen = []
    for path in sorted(CASES.glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        resources = (case.get("resources") or {}).values()
        if (
            case["kind"] == "execution"
            and set(case.get("needs_services") or []) <= {"lambda"}
            and not any(isinstance(r, dict) and r.get("type") != "lambda" for r in resources)
        ):
            chosen.append(path)
    return chosen


@pytest.mark.parametrize("path", _cases(), ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_durable_runtime_matches_the_in_process_runner(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    deployment = Deployment(lambda_handlers(case))
    machine = deployment.machine(case["definition"])
    input_text = json.dumps(case.get("input"))
    started = deployment.runtime.start_execution(machine, "e1", input_text, case.get("input"))
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    durable = [
        record.status,
        record.output_text,
        record.error,
        deployment.store.history(started.arn),
    ]

    runner = local_runner(
        lambdas=lambda_handlers(case),
        clock="virtual",
        account=ACCOUNT,
        start_ms=START_MS,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
    )
    result = runner.run(
        compile_state_machine(case["definition"]),
        case.get("input"),
        state_machine_name="sm",
        execution_name="e1",
        input_text=input_text,
    )
    in_process = [result.status, result.output_text, result.error, result.history]
    assert _masked(durable) == _masked(in_process)


WAIT_THEN_PASS = {
    "StartAt": "W",
    "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "Next": "P"},
        "P": {"Type": "Pass", "End": True},
    },
}


def test_start_execution_is_idempotent_by_name_while_open() -> None:
    deployment = Deployment()
    machine = deployment.machine(WAIT_THEN_PASS)
    first = deployment.runtime.start_execution(machine, "same", "{}", {})
    again = deployment.runtime.start_execution(machine, "same", "{}", {})
    assert again.arn == first.arn
    with pytest.raises(ExecutionAlreadyExistsError):
        deployment.runtime.start_execution(machine, "same", '{"other": 1}', {"other": 1})
    deployment.worker.run_until_idle()
    with pytest.raises(ExecutionAlreadyExistsError):
        deployment.runtime.start_execution(machine, "same", "{}", {})


def test_a_one_hour_wait_rearms_through_the_queue_maximum_delay() -> None:
    deployment = Deployment()
    machine = deployment.machine(WAIT_THEN_PASS)
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "SUCCEEDED"
    assert deployment.clock.now_ms() - START_MS == 3_600_000


def test_stop_execution_aborts_a_waiting_execution() -> None:
    deployment = Deployment()
    machine = deployment.machine(WAIT_THEN_PASS)
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    stopped = deployment.runtime.stop_execution(started.arn, "Stopped", "by test")
    assert stopped.status == "ABORTED"
    assert (stopped.error, stopped.cause) == ("Stopped", "by test")
    deployment.worker.run_until_idle()  # the pending timer message is now a no-op
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "ABORTED"
    assert [e["type"] for e in deployment.store.history(started.arn)][-1] == "ExecutionAborted"


def test_duplicate_and_late_messages_change_nothing() -> None:
    calls: list[Any] = []

    def handler(event: Any, context: Any) -> Any:
        calls.append(event)
        return {"n": len(calls)}

    deployment = Deployment({"f": handler})
    machine = deployment.machine(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",
                    "End": True,
                }
            },
        }
    )
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    task_message = deployment.queue.pop_due(deployment.clock.now_ms())
    assert task_message is not None
    assert task_message["kind"] == "task"
    # The same message delivered three times: the first result wins, the others are dropped.
    for _ in range(3):
        deployment.runtime.handle(task_message)
    deployment.worker.run_until_idle()
    deployment.runtime.handle(task_message)  # a late redelivery after the end
    deployment.runtime.handle({"kind": "decide", "arn": started.arn})
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "SUCCEEDED"
    assert json.loads(record.output_text or "") == {"n": 1}
    history = deployment.store.history(started.arn)
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    assert [e["type"] for e in history].count("LambdaFunctionSucceeded") == 1


def test_callback_tasks_complete_through_their_token() -> None:
    def submit(event: Any, context: Any) -> Any:
        return {"sent": event["token"]}

    deployment = Deployment({"submit": submit})
    machine = deployment.machine(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": "submit",
                        "Payload": {"token.$": "$$.Task.Token"},
                    },
                    "End": True,
                }
            },
        }
    )
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "RUNNING"
    (command,) = record.tasks.values()
    token = command["task_token"]
    with pytest.raises(TaskTokenError):
        deployment.runtime.send_task_outcome("not-a-token", {"type": "task_succeeded", "output": 1})
    deployment.runtime.send_task_outcome(token, {"type": "task_succeeded", "output": {"ok": True}})
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "SUCCEEDED"
    assert json.loads(record.output_text or "") == {"ok": True}
    types = [e["type"] for e in deployment.store.history(started.arn)]
    assert types.index("TaskSubmitted") < types.index("TaskSucceeded")
    with pytest.raises(TaskTokenError):
        deployment.runtime.send_task_outcome(token, {"type": "task_succeeded", "output": 2})


def test_racing_deciders_produce_one_history() -> None:
    deployment = Deployment()
    machine = deployment.machine(WAIT_THEN_PASS)
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    deployment.clock.advance_to(START_MS + 3_600_000)
    stale = deployment.store.get_execution(started.arn)
    assert stale is not None
    deployment.runtime.decide(started.arn)
    # A second worker that read the record before the first committed loses the CAS.
    assert not deployment.store.commit(stale, stale.version)
    deployment.runtime.decide(started.arn)
    deployment.worker.run_until_idle()
    history = deployment.store.history(started.arn)
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    assert [e["type"] for e in history].count("WaitStateExited") == 1


def test_sweep_resends_decisions_for_overdue_executions() -> None:
    deployment = Deployment()
    machine = deployment.machine(WAIT_THEN_PASS)
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    # Lose every queued message (a crash between commit and send).
    while deployment.queue.pop_due(10**15) is not None:
        pass
    deployment.clock.advance_to(START_MS + 3_600_000)
    assert deployment.runtime.sweep() == 1
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "SUCCEEDED"


class _MemoryBucket:
    """An item source and result sink in memory: the S3 ports of a Distributed Map."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.written: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, resource: Any, command: Any, now_ms: int) -> None:
        return None  # no tasks: only the Map's S3 work

    def read_items(self, reader: Any, region: str, execution_role: str | None = None) -> list[Any]:
        return list(self.items)

    def write_results(
        self,
        writer: Any,
        map_run_arn: str,
        results: dict[str, Any],
        region: str,
        execution_role: str | None = None,
    ) -> dict[str, Any]:
        self.written.append((map_run_arn, results))
        return {"Bucket": writer["Parameters"]["Bucket"], "Key": "run/manifest.json"}


def test_a_distributed_map_reads_and_writes_through_the_durable_runtime() -> None:
    bucket = _MemoryBucket([1, 2, 3])
    clock = VirtualClock(START_MS)
    store = MemoryStore()
    queue = MemoryQueue(clock)
    tasks = TaskRunner([LocalLambdaFunctions({}, account=ACCOUNT), bucket])
    runtime = DurableRuntime(store, queue, clock, tasks, account=ACCOUNT)
    worker = Worker(runtime, queue, clock)
    record = StateMachineRecord(
        arn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:sm",
        name="sm",
        definition=json.dumps(
            {
                "StartAt": "Each",
                "States": {
                    "Each": {
                        "Type": "Map",
                        "ItemReader": {
                            "Resource": "arn:aws:states:::s3:getObject",
                            "ReaderConfig": {"InputType": "JSON"},
                            "Parameters": {"Bucket": "in", "Key": "items.json"},
                        },
                        "ItemBatcher": {"MaxItemsPerBatch": 2},
                        "ItemProcessor": {
                            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                            "StartAt": "P",
                            "States": {"P": {"Type": "Pass", "End": True}},
                        },
                        "ResultWriter": {
                            "Resource": "arn:aws:states:::s3:putObject",
                            "Parameters": {"Bucket": "out"},
                        },
                        "End": True,
                    }
                },
            }
        ),
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
    )
    store.put_state_machine(record)
    started = runtime.start_execution(record, "e", "{}", {})
    worker.run_until_idle()
    execution = store.get_execution(started.arn)
    assert execution is not None
    assert execution.status == "SUCCEEDED", execution.cause
    output = json.loads(execution.output_text or "null")
    assert output["ResultWriterDetails"] == {"Bucket": "out", "Key": "run/manifest.json"}
    ((run_arn, results),) = bucket.written  # written once, though messages may repeat
    assert run_arn == output["MapRunArn"]
    batches = [json.loads(entry["Output"]) for entry in results["SUCCEEDED"]]
    assert batches == [{"Items": [1, 2]}, {"Items": [3]}]


@pytest.mark.parametrize("path", _cases()[::25], ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_durable_runtime_on_dynamodb_matches_the_memory_store(path: Path) -> None:
    import boto3
    from moto import mock_aws

    from interpreter.adapters.dynamodb_store import DynamoDbStore, table_definition

    case = json.loads(path.read_text(encoding="utf-8"))
    input_text = json.dumps(case.get("input"))
    outcomes = []
    with mock_aws():
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_table(**table_definition("asl"))
        for store in (MemoryStore(), DynamoDbStore(client, "asl")):
            deployment = Deployment(lambda_handlers(case))
            deployment.store = store  # type: ignore[assignment]
            deployment.runtime.store = store
            machine = deployment.machine(case["definition"])
            started = deployment.runtime.start_execution(
                machine, "e1", input_text, case.get("input")
            )
            deployment.worker.run_until_idle()
            record = store.get_execution(started.arn)
            assert record is not None
            outcomes.append(
                _masked(
                    [record.status, record.output_text, record.error, store.history(started.arn)]
                )
            )
    assert outcomes[0] == outcomes[1]


LAMBDA_TASK = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",
            "End": True,
        }
    },
}


def test_a_lost_task_message_is_sent_again_once_overdue() -> None:
    calls: list[Any] = []

    def handler(event: Any, context: Any) -> Any:
        calls.append(event)
        return {"n": len(calls)}

    deployment = Deployment({"f": handler})
    machine = deployment.machine(LAMBDA_TASK)
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    # The task message is lost (a crash between the commit and the send).
    lost = deployment.queue.pop_due(deployment.clock.now_ms())
    assert lost is not None
    assert lost["kind"] == "task"
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    grace = deployment.runtime.timing.dispatch_grace_ms
    assert record.wake_ms == START_MS + grace
    # The execution's own wake-up brings the task back when nobody took it in time (seconds,
    # not hours), and only then.
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "SUCCEEDED"
    assert calls == [{}]
    assert record.stop_ms == START_MS + grace


def test_a_waiting_callback_is_not_called_again() -> None:
    calls: list[Any] = []

    def submit(event: Any, context: Any) -> Any:
        calls.append(event)
        return {}

    deployment = Deployment({"submit": submit})
    machine = deployment.machine(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": "submit",
                        "Payload": {"token.$": "$$.Task.Token"},
                    },
                    "End": True,
                }
            },
        }
    )
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    deployment.worker.run_until_idle()
    deployment.clock.advance_to(START_MS + 3_600_000)
    deployment.runtime.sweep()
    deployment.runtime.recover()
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "RUNNING"
    assert len(calls) == 1  # submitted once; it waits for SendTaskSuccess


def test_superseded_wake_ups_die_out() -> None:
    # A loop of long Waits: each commit arms a wake-up; the old ones must not keep re-arming.
    definition = {
        "StartAt": "Count",
        "States": {
            "Count": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "Enough?",
            },
            "Enough?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 20, "Next": "Done"}],
                "Default": "Nap",
            },
            "Nap": {"Type": "Wait", "Seconds": 7200, "Next": "Count"},
            "Done": {"Type": "Succeed"},
        },
    }
    deployment = Deployment()
    machine = deployment.machine(definition)
    started = deployment.runtime.start_execution(machine, "e", '{"n": 0}', {"n": 0})
    handled = 0
    while (due := deployment.queue.next_due_ms()) is not None:
        deployment.clock.advance_to(due)
        message = deployment.queue.pop_due(deployment.clock.now_ms())
        assert message is not None
        deployment.runtime.handle(message)
        handled += 1
        assert len(deployment.queue) <= 2, "wake-ups are multiplying"
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "SUCCEEDED"
    # Each two-hour Wait takes eight fifteen-minute hops: about 8 messages per iteration.
    assert handled <= 20 * 9


NAP_THEN_PASS = {
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": "rested", "End": True},
    },
}


def test_an_execution_ended_without_the_core_can_be_redriven_where_it_stood() -> None:
    deployment = Deployment()
    machine = deployment.machine(NAP_THEN_PASS)
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    # A stop whose decision could not run: the runtime ends the execution itself, and the stop
    # stays in the inbox.
    deployment.store.put_inbox(started.arn, "stop", {"type": "stop", "error": "E", "cause": None})
    deployment.runtime.end_abnormally(started.arn, "ABORTED", "E", None)
    ended = deployment.store.get_execution(started.arn)
    assert ended is not None
    assert ended.status == "ABORTED"
    assert deployment.runtime.redrive_refusal(ended) is None
    deployment.runtime.redrive_execution(started.arn)
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    # The stale stop did not abort the redriven execution; the Wait was entered again.
    assert (record.status, record.output_text, record.redrive_count) == ("SUCCEEDED", '"rested"', 1)
    types = [event["type"] for event in deployment.store.history(started.arn)]
    assert types == [
        "ExecutionStarted",
        "WaitStateEntered",
        "ExecutionAborted",
        "ExecutionRedriven",
        "WaitStateEntered",
        "WaitStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_a_redrive_committed_before_a_crash_is_carried_on_by_the_sweep() -> None:
    calls: list[Any] = []

    def flaky(event: Any, context: Any) -> Any:
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("down")
        return "ok"

    deployment = Deployment({"f": flaky})
    machine = deployment.machine(LAMBDA_TASK)
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    deployment.worker.run_until_idle()
    # The redrive commits; its task message is lost (a crash between the commit and the send).
    deployment.runtime.redrive_execution(started.arn)
    lost = deployment.queue.pop_due(deployment.clock.now_ms())
    assert lost is not None
    assert lost["kind"] == "task"
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert record.status == "RUNNING"
    assert record.wake_ms is not None  # the sweep will find it
    deployment.clock.advance_to(record.wake_ms)
    assert deployment.runtime.sweep() == 1
    deployment.worker.run_until_idle()
    record = deployment.store.get_execution(started.arn)
    assert record is not None
    assert (record.status, len(calls)) == ("SUCCEEDED", 2)
