"""Crash recovery of the durable runtime: every single fault the crash probe found, one test each.

Each test plays a crash by hand on the in-memory deployment (virtual clock): a message that is
never sent or never handled, a worker that dies holding a task, a decision that keeps failing.
What must hold (RELIABILITY.md): the execution makes progress again within a lease or a dispatch
grace (seconds, not hours), its history is complete, and a task runs again only when its outcome
was really lost.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from interpreter.app import Deployment, local_deployment
from interpreter.core import messages
from interpreter.runtime.durable import DECISION_ATTEMPTS, TASK_ATTEMPTS
from interpreter.runtime.ports import ExecutionRecord, StateMachineRecord

START_MS = 1_700_000_000_000
ACCOUNT = "123456789012"
LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"

ONE_TASK = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": True}}}


class Calls:
    """A Lambda handler that counts its invocations."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, event: Any, context: Any) -> Any:
        self.events.append(event)
        return {"call": len(self.events)}


def _deployment(calls: Calls | None = None) -> Deployment:
    lambdas = {"f": calls} if calls is not None else {}
    return local_deployment(lambdas=lambdas, clock="virtual", start_ms=START_MS)


def _machine(deployment: Deployment, definition: dict[str, Any], name: str = "m") -> Any:
    record = StateMachineRecord(
        arn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}",
        name=name,
        definition=json.dumps(definition),
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
        revision_id="r1",
    )
    deployment.store.put_state_machine(record)
    return record


def _pop(deployment: Deployment) -> messages.Message:
    queue: Any = deployment.queue
    raw = queue.pop_due(deployment.clock.now_ms())
    assert raw is not None
    return messages.parse_message(raw)


def _record(deployment: Deployment, arn: str) -> ExecutionRecord:
    record = deployment.store.get_execution(arn)
    assert record is not None
    return record


def _run(deployment: Deployment) -> None:
    assert deployment.worker is not None
    deployment.worker.run_until_idle()


def test_a_task_whose_message_was_lost_runs_after_the_dispatch_grace() -> None:
    calls = Calls()
    deployment = _deployment(calls)
    started = deployment.runtime.start_execution(_machine(deployment, ONE_TASK), "e", "{}", {})
    assert _pop(deployment)["kind"] == "task"  # lost: the worker died before sending it
    _run(deployment)
    record = _record(deployment, started.arn)
    assert record.status == "SUCCEEDED"
    assert len(calls.events) == 1
    grace = deployment.runtime.timing.dispatch_grace_ms
    assert record.stop_ms == START_MS + grace


def test_a_task_sent_again_and_again_waits_twice_as_long_each_time() -> None:
    """A long queue (or a task message lost again and again) is not flooded with copies: each
    resend waits twice as long as the one before for its next look, up to a bound."""
    deployment = _deployment(Calls())
    deployment.runtime.start_execution(_machine(deployment, ONE_TASK), "e", "{}", {})
    queue: Any = deployment.queue
    sent_at: list[int] = []
    while len(sent_at) < 8:
        due = queue.next_due_ms()
        assert due is not None
        deployment.clock.advance_to(max(due, deployment.clock.now_ms()))  # type: ignore[attr-defined]
        message = _pop(deployment)
        if message["kind"] == "task":
            sent_at.append(deployment.clock.now_ms())  # and lost
        else:
            deployment.runtime.handle(message)
    grace = deployment.runtime.timing.dispatch_grace_ms
    gaps = [(later - earlier) // grace for earlier, later in itertools.pairwise(sent_at)]
    assert gaps == [1, 2, 4, 8, 16, 32, 32]


def test_a_duplicated_task_message_runs_the_task_once() -> None:
    calls = Calls()
    deployment = _deployment(calls)
    started = deployment.runtime.start_execution(_machine(deployment, ONE_TASK), "e", "{}", {})
    task = _pop(deployment)
    deployment.runtime.handle(task)
    deployment.runtime.handle(task)  # SQS delivered it twice
    _run(deployment)
    assert _record(deployment, started.arn).status == "SUCCEEDED"
    assert len(calls.events) == 1
    assert deployment.runtime.counters.duplicates_dropped == 1


def test_a_task_whose_worker_died_is_taken_over_when_its_lease_ends() -> None:
    calls = Calls()
    deployment = _deployment(calls)
    started = deployment.runtime.start_execution(_machine(deployment, ONE_TASK), "e", "{}", {})
    task = _pop(deployment)
    assert task["kind"] == "task"
    # The worker took the task and died while it ran: its claim stays, no outcome comes.
    now = deployment.clock.now_ms()
    lease = deployment.runtime.timing.claim_lease_ms
    claim = deployment.store.claim_task(started.arn, task["key"], "dead", now + lease, now)
    assert claim == "granted"
    _run(deployment)
    record = _record(deployment, started.arn)
    assert record.status == "SUCCEEDED"
    assert len(calls.events) == 1  # the dead worker's call never completed
    assert record.stop_ms is not None
    assert record.stop_ms - START_MS <= lease + deployment.runtime.timing.dispatch_grace_ms
    assert deployment.runtime.counters.takeovers == 1


def test_an_answer_whose_decision_was_lost_is_delivered_by_the_sweep() -> None:
    calls = Calls()
    deployment = _deployment(calls)
    started = deployment.runtime.start_execution(_machine(deployment, ONE_TASK), "e", "{}", {})
    deployment.runtime.handle(_pop(deployment))  # the task runs, answers, asks for a decision
    assert _pop(deployment)["kind"] == "decide"  # ...and that decision is lost
    # Nothing is queued but the execution's own wake-up; the sweep would find it too.
    deployment.clock.advance_to(START_MS + deployment.runtime.timing.dispatch_grace_ms)
    assert deployment.runtime.sweep() == 1
    _run(deployment)
    assert _record(deployment, started.arn).status == "SUCCEEDED"
    assert len(calls.events) == 1


def test_the_last_events_of_an_execution_that_ended_in_a_crash_are_in_its_history() -> None:
    deployment = _deployment()
    machine = _machine(deployment, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    store: Any = deployment.store
    written: list[Any] = []
    original = store.append_history
    # The process dies right after the commit that ends the execution: its events are only in
    # the record's outbox.
    store.append_history = lambda arn, events: written.append(events)
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    store.append_history = original
    assert written
    assert store.history(started.arn) == []
    history = deployment.runtime.history(started.arn)
    assert [event["type"] for event in history][-1] == "ExecutionSucceeded"
    assert [event["id"] for event in history] == list(range(1, len(history) + 1))


def test_a_start_retried_after_its_send_failed_runs_the_execution() -> None:
    calls = Calls()
    deployment = _deployment(calls)
    machine = _machine(deployment, ONE_TASK)
    queue: Any = deployment.queue
    send = queue.send

    def failing(message: Any, delay_ms: int = 0) -> None:
        raise ConnectionError("SendMessage failed")

    queue.send = failing
    with pytest.raises(ConnectionError):
        deployment.runtime.start_execution(machine, "e", "{}", {})
    queue.send = send
    # The caller retries StartExecution (idempotent by name): the work goes out now.
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    assert len(queue) >= 1
    _run(deployment)
    record = _record(deployment, started.arn)
    assert record.status == "SUCCEEDED"
    assert record.stop_ms == START_MS  # at once, not after a grace or a sweep
    assert len(calls.events) == 1


def test_recovery_runs_again_only_the_tasks_whose_outcome_was_lost() -> None:
    calls = Calls()
    deployment = _deployment(calls)
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "A",
                        "States": {"A": {"Type": "Task", "Resource": LAMBDA, "End": True}},
                    },
                    {
                        "StartAt": "B",
                        "States": {"B": {"Type": "Task", "Resource": LAMBDA, "End": True}},
                    },
                ],
                "End": True,
            }
        },
    }
    started = deployment.runtime.start_execution(_machine(deployment, definition), "e", "{}", {})
    first, second = _pop(deployment), _pop(deployment)
    assert first["kind"] == second["kind"] == "task"
    deployment.runtime.handle(first)  # answered (its decision is queued)
    # The endpoint dies here: the second task was claimed and never ran.
    now = deployment.clock.now_ms()
    deployment.store.claim_task(started.arn, second["key"], "dead", now + 30_000, now)
    queue: Any = deployment.queue
    while queue.pop_due(10**15) is not None:
        pass  # an in-memory queue dies with its process
    assert deployment.runtime.recover() == 1
    _run(deployment)
    assert _record(deployment, started.arn).status == "SUCCEEDED"
    assert len(calls.events) == 2  # the answered task was not called again


def _refused_by_the_store() -> Exception:
    # Not every ClientError is an outage: a request the store refuses (an item too large) is
    # the execution's own, and ends it after the decision's attempts.
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": "ValidationException"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        "PutItem",
    )


@pytest.mark.parametrize(
    ("problem", "told"),
    [
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (_refused_by_the_store(), "ValidationException"),
    ],
    ids=["recursion", "store-refusal"],
)
def test_a_decision_that_keeps_failing_ends_its_execution(problem: Exception, told: str) -> None:
    deployment = _deployment()
    machine = _machine(
        deployment, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}}
    )
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    runtime: Any = deployment.runtime

    def broken(arn: str, wake_ms: int | None = None) -> None:
        raise problem

    runtime.decide = broken
    message = messages.decide(started.arn)
    for attempt in range(1, DECISION_ATTEMPTS):
        with pytest.raises(type(problem)):
            runtime.handle(message, attempt)
    runtime.handle(message, DECISION_ATTEMPTS)  # the last attempt ends it
    record = _record(deployment, started.arn)
    assert record.status == "FAILED"
    assert record.error == "States.Runtime"
    assert told in (record.cause or "")
    history = deployment.runtime.history(started.arn)
    assert history[-1]["type"] == "ExecutionFailed"
    assert [event["id"] for event in history] == list(range(1, len(history) + 1))


def test_stop_execution_works_when_no_decision_can_advance_the_execution() -> None:
    deployment = _deployment()
    machine = _machine(
        deployment, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}}
    )
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    runtime: Any = deployment.runtime

    def broken(arn: str, wake_ms: int | None = None) -> None:
        raise ValueError("the snapshot cannot be read")

    runtime.decide = broken
    stopped = deployment.runtime.stop_execution(started.arn, "Halt", "by the operator")
    assert stopped.status == "ABORTED"
    assert (stopped.error, stopped.cause) == ("Halt", "by the operator")
    assert deployment.runtime.history(started.arn)[-1]["type"] == "ExecutionAborted"


def test_an_execution_whose_revision_is_only_under_its_machine_runs() -> None:
    # Tables written before revisions were stored first can hold a machine whose current
    # revision has no item of its own: its executions run on the machine's record.
    calls = Calls()
    deployment = _deployment(calls)
    machine = _machine(deployment, ONE_TASK)
    store: Any = deployment.store
    store._revisions.pop((machine.arn, machine.revision_id))
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    _run(deployment)
    assert _record(deployment, started.arn).status == "SUCCEEDED"
    assert len(calls.events) == 1


def test_an_execution_whose_revision_is_gone_ends_instead_of_waiting_for_ever() -> None:
    deployment = _deployment()
    machine = _machine(
        deployment, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}}
    )
    started = deployment.runtime.start_execution(machine, "e", "{}", {})
    store: Any = deployment.store
    store._revisions.pop((machine.arn, machine.revision_id))
    store.delete_state_machine(machine.arn)
    deployment.clock.advance_to(START_MS + 5_000)
    message = messages.decide(started.arn)
    for attempt in range(1, DECISION_ATTEMPTS):
        with pytest.raises(LookupError):
            deployment.runtime.handle(message, attempt)
    deployment.runtime.handle(message, DECISION_ATTEMPTS)
    record = _record(deployment, started.arn)
    assert record.status == "FAILED"
    assert record.error == "States.Runtime"
    assert "revision" in (record.cause or "")


def test_a_store_out_of_reach_never_ends_an_execution() -> None:
    # A database down (refused, throttled, 5xx) for longer than a message's attempts: the
    # message keeps coming back, and once the store answers the execution goes on. (Only the
    # reads a decision and a task begin with fail here, so that ending the execution or
    # failing the task would have worked.)
    from botocore.exceptions import ClientError, EndpointConnectionError

    calls = Calls()
    deployment = _deployment(calls)
    started = deployment.runtime.start_execution(_machine(deployment, ONE_TASK), "e", "{}", {})
    task = _pop(deployment)
    store: Any = deployment.store
    healthy = (store.inbox, store.claim_task)
    outages = [
        EndpointConnectionError(endpoint_url="http://dynamodb"),
        ClientError(
            {"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
            "Query",
        ),
        ClientError(
            {"Error": {"Code": "InternalServerError"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
            "Query",
        ),
    ]
    for outage in outages:

        def down(*_arguments: Any, problem: Exception = outage) -> Any:
            raise problem

        store.inbox = store.claim_task = down
        for attempt in range(1, DECISION_ATTEMPTS + 3):
            with pytest.raises(type(outage)):
                deployment.runtime.handle(task, attempt)
            with pytest.raises(type(outage)):
                deployment.runtime.handle(messages.decide(started.arn), attempt)
    store.inbox, store.claim_task = healthy
    assert _record(deployment, started.arn).status == "RUNNING"
    deployment.runtime.handle(task, DECISION_ATTEMPTS + 3)
    _run(deployment)
    record = _record(deployment, started.arn)
    assert record.status == "SUCCEEDED"
    assert len(calls.events) == 1


def test_a_task_whose_workers_keep_stopping_fails_instead_of_being_sent_for_ever() -> None:
    # Each worker that takes the task stops while it runs (killed, out of memory): the task is
    # taken over when the lease ends, and after TASK_ATTEMPTS such losses it fails with
    # States.Runtime, so the execution goes on (here: fails) rather than looping.
    calls = Calls()
    deployment = _deployment(calls)
    started = deployment.runtime.start_execution(_machine(deployment, ONE_TASK), "e", "{}", {})
    lease = deployment.runtime.timing.claim_lease_ms
    queue: Any = deployment.queue
    for loss in range(TASK_ATTEMPTS):
        while True:  # the next copy of the task (decisions on the way are handled)
            raw = queue.pop_due(deployment.clock.now_ms())
            if raw is None:
                deployment.clock.advance_to(deployment.clock.now_ms() + 1_000)
                deployment.runtime.sweep()
                continue
            message = messages.parse_message(raw)
            if message["kind"] == "task":
                break
            deployment.runtime.handle(message)
        now = deployment.clock.now_ms()
        claim = deployment.store.claim_task(
            started.arn, message["key"], f"gone-{loss}", now + lease, now
        )
        assert claim in ("granted", "taken_over")
        deployment.clock.advance_to(now + lease + 1)  # the worker never comes back
        deployment.runtime.sweep()
    _run(deployment)
    record = _record(deployment, started.arn)
    assert record.status == "FAILED"
    assert record.error == "States.Runtime"
    assert "stopped without an answer 3 times" in (record.cause or "")
    assert calls.events == []
