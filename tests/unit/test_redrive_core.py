"""Redrive in the pure core: which frames run again, with what, and the history they write.

The conformance corpus has no redriven execution, so the expectations are reasoned from AWS's
RedriveExecution API reference and its developer guide ("Redriving executions", "Redriving Map
Runs"):

* the execution "continues the failed execution from the unsuccessful step and uses the same
  input"; "the results and execution history of the successful steps" are kept and those steps
  are not run again;
* "for workflows that include an Inline Map or Parallel state, RedriveExecution ... reschedules
  and redrives only the iterations and branches that failed or aborted";
* a Distributed Map whose Map Run failed is redriven with its parent: its Map Run (the same
  ARN) redrives the unsuccessful child executions and records ``MapRunRedriven``
  (``mapRunRedrivenEventDetails``: ``mapRunArn``, ``redriveCount``, "always greater than 0");
  past 1000 redrives of a Map Run the redrive fails with ``States.Runtime``;
* the history goes on where it stopped: ``ExecutionRedriven`` (``executionRedrivenEventDetails``:
  ``redriveCount``) follows the terminal event, and each state that is run again is entered
  again (a state whose ``<Type>Exited`` never came is "redriven");
* the state machine's timeout "is reset" by a redrive; ``$$.Execution.RedriveCount`` and
  ``$$.Execution.RedriveTime`` say which redrive runs.

These tests drive ``start``/``step``/``redrive`` directly: tasks are answered by small Python
functions, timers fire in time order (virtual time).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from interpreter.core.engine import redrivable, redrive, start, step
from interpreter.core.messages import Event, InvokeTask
from interpreter.core.snapshot import Snapshot
from interpreter.definition.compiler import compile_state_machine
from interpreter.definition.model import StateMachine
from interpreter.runtime.executions import new_execution

START_MS = 1_700_000_000_000
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:{}"


class World:
    """Answers the Lambda tasks of one execution: ``handlers[name](input)`` returns the
    output or raises :class:`Broken`; every call is remembered."""

    def __init__(self, **handlers: Callable[[Any], Any]) -> None:
        self.handlers = handlers
        self.calls: list[tuple[str, Any]] = []
        self.commands: list[InvokeTask] = []

    def answer(self, command: InvokeTask) -> Event:
        self.commands.append(command)
        name = command["resource"].rsplit(":", 1)[1]
        self.calls.append((name, command["input"]))
        try:
            output = self.handlers[name](command["input"])
        except Broken as problem:
            return {
                "type": "task_failed",
                "key": command["key"],
                "error": "Broken",
                "cause": str(problem),
            }
        return {"type": "task_succeeded", "key": command["key"], "output": output}

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


class Broken(Exception):
    """A task's failure (its error name is ``Broken``)."""


class Run:
    """One execution driven through the core: its snapshot, its whole history, its time."""

    def __init__(self, definition: dict[str, Any], world: World, execution_input: Any = None):
        self.machine: StateMachine = compile_state_machine(definition)
        self.world = world
        self.now = START_MS
        self.history: list[dict[str, Any]] = []
        self.timers: dict[str, int] = {}
        execution = new_execution(
            arn="arn:aws:states:us-east-1:123456789012:execution:m:e",
            name="e",
            execution_input={} if execution_input is None else execution_input,
            input_text=None,
            start_ms=START_MS,
            role_arn="arn:aws:iam::123456789012:role/r",
            state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
            state_machine_name="m",
            region="us-east-1",
            account="123456789012",
        )
        self.snapshot: Snapshot = {}
        self._take(start(self.machine, execution, self.now))

    def _take(self, transition: Any) -> None:
        self.snapshot = transition.snapshot
        self.history.extend(transition.history)
        self.pending = []
        for command in transition.commands:
            if command["type"] == "timer":
                self.timers[command["key"]] = command["at_ms"]
            else:
                self.pending.append(command)

    def deliver(self, event: Event) -> None:
        """Deliver one event now (the tasks it was waiting for stay pending)."""
        pending = self.pending
        self._take(step(self.machine, self.snapshot, [event], self.now))
        self.pending = pending + self.pending

    def run(self, *, until_ms: int | None = None, stop: bool = False) -> Run:
        """Answer tasks and fire timers until the execution ends (or the time ``until_ms``
        comes, then stop it when ``stop``)."""
        while self.snapshot["status"] == "RUNNING":
            events: list[Event] = [
                self.world.answer(command)
                for command in self.pending
                if command["type"] == "invoke"
            ]
            self.pending = []
            if not events:
                key, due = min(self.timers.items(), key=lambda item: item[1])
                if until_ms is not None and due > until_ms:
                    break
                del self.timers[key]
                self.now = max(self.now, due)
                events = [{"type": "timer", "key": key}]
            self._take(step(self.machine, self.snapshot, events, self.now))
        if stop and self.snapshot["status"] == "RUNNING":
            self._take(
                step(
                    self.machine,
                    self.snapshot,
                    [{"type": "stop", "error": "E", "cause": "c"}],
                    self.now,
                )
            )
        return self

    def redrive(self, after_ms: int = 60_000) -> Run:
        """Redrive the ended execution ``after_ms`` later (its snapshot as stored: a JSON copy)."""
        assert redrivable(self.snapshot)
        self.now += after_ms
        self.timers = {}
        self.mark = len(self.history)
        self._take(redrive(self.machine, json.loads(json.dumps(self.snapshot)), self.now))
        return self

    def since_redrive(self) -> list[dict[str, Any]]:
        return self.history[self.mark :]

    def types(self, events: list[dict[str, Any]] | None = None) -> list[str]:
        return [event["type"] for event in (self.history if events is None else events)]


def fail_once(output: Any = "ok") -> Callable[[Any], Any]:
    """A handler that fails the first time, then answers ``output``."""
    calls = [0]

    def handler(value: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise Broken("first call")
        return output

    return handler


def always_broken(value: Any) -> Any:
    raise Broken("always")


def task(name: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": LAMBDA.format(name), **fields}


# ------------------------------------------------------------------------------ the top level


def test_a_redrive_reruns_the_failed_state_with_its_input_and_keeps_the_rest() -> None:
    world = World(first=lambda value: {"got": value}, second=fail_once({"done": True}))
    run = Run(
        {
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Pass", "Result": {"n": 1}, "Next": "First"},
                "First": task("first", Next="Second"),
                "Second": task("second", End=True),
            },
        },
        world,
    ).run()
    assert run.snapshot["status"] == "FAILED"
    failed_id = run.history[-1]["id"]
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert run.snapshot["output"] == {"done": True}
    # Prepare and First are not run again; Second runs again with the input it failed with.
    assert world.calls == [
        ("first", {"n": 1}),
        ("second", {"got": {"n": 1}}),
        ("second", {"got": {"n": 1}}),
    ]
    redriven = run.since_redrive()
    assert run.types(redriven) == [
        "ExecutionRedriven",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert redriven[0] == {
        "timestamp": run.now,
        "type": "ExecutionRedriven",
        "id": failed_id + 1,
        "previousEventId": failed_id,
        "executionRedrivenEventDetails": {"redriveCount": 1},
    }
    assert redriven[1]["previousEventId"] == redriven[0]["id"]
    assert redriven[1]["stateEnteredEventDetails"]["input"] == '{"got":{"n":1}}'
    assert [event["id"] for event in run.history] == list(range(1, len(run.history) + 1))


def test_a_fail_state_fails_again_and_the_execution_can_be_redriven_again() -> None:
    run = Run(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "No", "Cause": "never"}}},
        World(),
    ).run()
    run.redrive().run()
    assert run.snapshot["status"] == "FAILED"
    assert run.types(run.since_redrive()) == [
        "ExecutionRedriven",
        "FailStateEntered",
        "ExecutionFailed",
    ]
    run.redrive().run()
    assert run.since_redrive()[0]["executionRedrivenEventDetails"] == {"redriveCount": 2}
    assert run.snapshot["execution"]["redrive_count"] == 2


def test_retries_start_over_and_the_context_says_which_redrive_runs() -> None:
    attempts: list[Any] = []

    def flaky(value: Any) -> Any:
        attempts.append(value)
        if len(attempts) <= 2:
            raise Broken("down")
        return value

    run = Run(
        {
            "StartAt": "T",
            "States": {
                "T": task(
                    "flaky",
                    Parameters={
                        "count.$": "$$.Execution.RedriveCount",
                        "retry.$": "$$.State.RetryCount",
                    },
                    Retry=[{"ErrorEquals": ["Broken"], "MaxAttempts": 1}],
                    End=True,
                )
            },
        },
        World(flaky=flaky),
    ).run()
    assert run.snapshot["status"] == "FAILED"
    assert attempts == [{"count": 0, "retry": 0}, {"count": 0, "retry": 1}]
    run.redrive(after_ms=5_000).run()
    assert run.snapshot["status"] == "SUCCEEDED"
    # The redriven state is a new entry: its retry count is 0 again, its Retry has its attempts.
    assert attempts[2] == {"count": 1, "retry": 0}


def test_redrive_time_is_in_the_context_once_redriven() -> None:
    world = World(t=fail_once())
    definition = {
        "StartAt": "T",
        "States": {"T": task("t", Parameters={"at.$": "$$.Execution.RedriveTime"}, End=True)},
    }
    run = Run(definition, world).run()
    # Before a redrive there is no RedriveTime: the path fails the state.
    assert run.snapshot["error"] == "States.Runtime"
    assert world.calls == []
    run.redrive(after_ms=90_000).run()
    assert world.calls == [("t", {"at": "2023-11-14T22:14:50.000Z"})]


def test_variables_assigned_before_the_failure_are_there_after_the_redrive() -> None:
    run = Run(
        {
            "StartAt": "Set",
            "States": {
                "Set": {"Type": "Pass", "Assign": {"kept": 42}, "Next": "Use"},
                "Use": task("use", Parameters={"kept.$": "$kept"}, End=True),
            },
        },
        World(use=fail_once("used")),
    ).run()
    run.redrive().run()
    assert run.world.calls[-1] == ("use", {"kept": 42})
    assert run.snapshot["status"] == "SUCCEEDED"


def test_a_timed_out_execution_resumes_its_wait_with_a_new_timeout() -> None:
    run = Run(
        {
            "StartAt": "W",
            "TimeoutSeconds": 100,
            "States": {
                "W": {"Type": "Wait", "Seconds": 150, "Next": "Next"},
                "Next": {"Type": "Pass", "End": True},
            },
        },
        World(),
    ).run()
    assert run.snapshot["status"] == "TIMED_OUT"
    assert run.now == START_MS + 100_000
    run.redrive(after_ms=10_000)
    redriven_at = run.now
    run.run()
    # The Wait is entered again (150 s) and the timeout counts 100 s from the redrive.
    assert run.snapshot["status"] == "TIMED_OUT"
    assert run.now == redriven_at + 100_000
    assert run.types(run.since_redrive()) == [
        "ExecutionRedriven",
        "WaitStateEntered",
        "ExecutionTimedOut",
    ]


def test_an_aborted_execution_resumes_the_state_it_was_stopped_in() -> None:
    run = Run(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 3600, "Next": "B"},
                "B": {"Type": "Pass", "Result": "b", "End": True},
            },
        },
        World(),
    ).run(until_ms=START_MS + 10_000, stop=True)
    assert run.snapshot["status"] == "ABORTED"
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert run.types(run.since_redrive())[:2] == ["ExecutionRedriven", "WaitStateEntered"]
    assert run.types().count("PassStateEntered") == 2  # A once, B once


def test_a_caught_failure_is_not_run_again() -> None:
    world = World(risky=always_broken, last=fail_once("end"))
    run = Run(
        {
            "StartAt": "Risky",
            "States": {
                "Risky": task(
                    "risky", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Last"}], Next="Last"
                ),
                "Last": task("last", End=True),
            },
        },
        world,
    ).run()
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert world.names() == ["risky", "last", "last"]


def test_a_succeeded_execution_keeps_nothing_for_a_redrive() -> None:
    run = Run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, World()).run()
    assert "halted" not in run.snapshot
    assert not redrivable(run.snapshot)


# ------------------------------------------------------------------------------ Parallel


def test_a_parallel_reruns_only_its_failed_and_aborted_branches() -> None:
    world = World(b=fail_once("b"))
    run = Run(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "A",
                            "States": {"A": {"Type": "Pass", "Result": "a", "End": True}},
                        },
                        {"StartAt": "B", "States": {"B": task("b", End=True)}},
                        {
                            "StartAt": "C1",
                            "States": {
                                "C1": {"Type": "Pass", "Result": "c1", "Next": "C2"},
                                "C2": {"Type": "Wait", "Seconds": 100, "Next": "C3"},
                                "C3": {"Type": "Pass", "Result": "c", "End": True},
                            },
                        },
                    ],
                    "End": True,
                }
            },
        },
        world,
    ).run()
    assert run.snapshot["status"] == "FAILED"
    assert run.types().count("WaitStateAborted") == 1
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert run.snapshot["output"] == ["a", "b", "c"]
    redriven = run.types(run.since_redrive())
    # Branch A (succeeded) is not run again; B from its Task, C from the Wait it was stopped in.
    assert redriven == [
        "ExecutionRedriven",
        "ParallelStateEntered",
        "ParallelStateStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "WaitStateEntered",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "WaitStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ParallelStateSucceeded",
        "ParallelStateExited",
        "ExecutionSucceeded",
    ]
    c3 = next(e for e in run.since_redrive() if e["type"] == "PassStateEntered")
    assert c3["stateEnteredEventDetails"]["name"] == "C3"


def test_a_branch_that_failed_deep_inside_nested_states_resumes_there() -> None:
    world = World(inner=fail_once("fixed"), other=lambda value: "other")
    run = Run(
        {
            "StartAt": "Outer",
            "States": {
                "Outer": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "O", "States": {"O": task("other", End=True)}},
                        {
                            "StartAt": "Inner",
                            "States": {
                                "Inner": {
                                    "Type": "Parallel",
                                    "Branches": [
                                        {
                                            "StartAt": "X",
                                            "States": {
                                                "X": {"Type": "Pass", "Result": "x", "End": True}
                                            },
                                        },
                                        {"StartAt": "Y", "States": {"Y": task("inner", End=True)}},
                                    ],
                                    "End": True,
                                }
                            },
                        },
                    ],
                    "End": True,
                }
            },
        },
        world,
    ).run()
    assert run.snapshot["status"] == "FAILED"
    calls_before = world.names()
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert run.snapshot["output"] == ["other", ["x", "fixed"]]
    # Only the inner failed branch's Task ran again ("other" finished before the failure).
    assert world.names()[len(calls_before) :] == ["inner"]


def test_a_parallel_whose_result_selector_failed_keeps_its_branch_results() -> None:
    world = World(b=lambda value: "b")
    run = Run(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "B", "States": {"B": task("b", End=True)}}],
                    "ResultSelector": {"n.$": "$$.Execution.RedriveCount", "b.$": "$[0]"},
                    "OutputPath": "$.missing",
                    "End": True,
                }
            },
        },
        world,
    ).run()
    assert run.snapshot["status"] == "FAILED"
    run.redrive().run()
    assert world.names() == ["b"]  # the branch is not run again
    assert run.types(run.since_redrive())[:4] == [
        "ExecutionRedriven",
        "ParallelStateEntered",
        "ParallelStateStarted",
        "ParallelStateSucceeded",
    ]


# ------------------------------------------------------------------------------ inline Map


def _map(max_concurrency: int, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Work",
                    "States": {"Work": task("work", End=True)},
                },
                "End": True,
                **fields,
            }
        },
    }


def test_an_inline_map_reruns_its_failed_iteration_then_the_ones_it_never_started() -> None:
    broken = {2}

    def work(value: Any) -> Any:
        if value in broken:
            raise Broken(f"item {value}")
        return value * 10

    world = World(work=work)
    run = Run(_map(1), world, [0, 1, 2, 3, 4]).run()
    assert run.snapshot["status"] == "FAILED"
    assert [value for _, value in world.calls] == [0, 1, 2]
    broken.clear()
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert run.snapshot["output"] == [0, 10, 20, 30, 40]
    assert [value for _, value in world.calls] == [0, 1, 2, 2, 3, 4]
    started = [e for e in run.since_redrive() if e["type"] == "MapIterationStarted"]
    assert [e["mapIterationStartedEventDetails"]["index"] for e in started] == [2, 3, 4]
    assert run.since_redrive()[2]["mapStateStartedEventDetails"] == {"length": 5}


def test_an_inline_map_reruns_tolerated_failures_and_aborted_iterations() -> None:
    failing = {1, 3}

    def work(value: Any) -> Any:
        if value in failing:
            raise Broken(f"item {value}")
        return value

    world = World(work=work)
    run = Run(_map(0, ToleratedFailureCount=1), world, [0, 1, 2, 3]).run()
    assert run.snapshot["status"] == "FAILED"
    first = [value for _, value in world.calls]
    failing.clear()
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert run.snapshot["output"] == [0, 1, 2, 3]
    rerun = [value for _, value in world.calls][len(first) :]
    # Both failures (the tolerated one too) run again; the successful ones do not.
    assert sorted(rerun) == [1, 3]


def test_a_map_iteration_resumes_inside_its_item_processor() -> None:
    world = World(first=lambda value: value + 100, second=fail_once("done"))
    run = Run(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "First",
                        "States": {
                            "First": task("first", Next="Second"),
                            "Second": task("second", End=True),
                        },
                    },
                    "End": True,
                }
            },
        },
        world,
        [1],
    ).run()
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert world.calls == [("first", 1), ("second", 101), ("second", 101)]


# ------------------------------------------------------------------------------ Distributed Map


def _distributed(**fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Label": "Fan",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Work",
                    "States": {"Work": task("work", End=True)},
                },
                "End": True,
                **fields,
            }
        },
    }


def test_a_distributed_map_redrives_its_map_run_and_failed_child_executions() -> None:
    failing = {1}

    def work(value: Any) -> Any:
        if value in failing:
            raise Broken(f"item {value}")
        return value

    world = World(work=work)
    run = Run(_distributed(), world, [0, 1, 2]).run()
    assert run.snapshot["status"] == "FAILED"
    ((arn, map_run),) = run.snapshot["map_runs"].items()
    assert map_run["status"] == "FAILED"
    assert map_run["executions"]["failed"] == 1
    assert map_run["executions"]["succeeded"] == 1
    failing.clear()
    run.redrive().run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert run.snapshot["output"] == [0, 1, 2]
    assert [value for _, value in world.calls] == [0, 1, 1, 2]
    redriven = run.since_redrive()
    assert run.types(redriven) == [
        "ExecutionRedriven",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunRedriven",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    assert redriven[3]["mapRunRedrivenEventDetails"] == {"mapRunArn": arn, "redriveCount": 1}
    assert "MapRunStarted" not in run.types(redriven)  # the same Map Run, not a new one
    run_after = run.snapshot["map_runs"][arn]
    assert (run_after["status"], run_after["redrive_count"]) == ("SUCCEEDED", 1)
    assert run_after["executions"]["succeeded"] == 3
    assert run_after["executions"]["failed"] == run_after["executions"]["pendingRedrive"] == 0


def test_a_map_run_cannot_be_redriven_more_than_1000_times() -> None:
    run = Run(_distributed(), World(work=always_broken), [0]).run()
    for _count in range(1, 1001):
        run.redrive(after_ms=1).run()
        assert run.snapshot["error"] == "Broken"
    (map_run,) = run.snapshot["map_runs"].values()
    assert map_run["redrive_count"] == 1000
    run.redrive(after_ms=1).run()
    assert run.snapshot["status"] == "FAILED"
    assert run.snapshot["error"] == "States.Runtime"
    assert "1000" in run.snapshot["cause"]
    assert map_run["redrive_count"] == 1000


def test_update_map_run_raises_the_concurrency_for_the_iterations_not_started() -> None:
    world = World(work=lambda value: value)
    definition = _distributed()
    definition["States"]["M"]["ItemProcessor"]["States"]["Work"] = {
        "Type": "Wait",
        "Seconds": 10,
        "End": True,
    }
    run = Run(definition, world, [0, 1, 2, 3])
    (arn,) = run.snapshot["map_runs"]
    frame = next(f for f in run.snapshot["frames"].values() if (f["data"] or {}).get("map_run_arn"))
    assert len(frame["data"]["running"]) == 1
    update: Event = {
        "type": "update_map_run",
        "map_run_arn": arn,
        "max_concurrency": 3,
        "tolerated_count": 2,
    }
    run.deliver(update)
    frame = run.snapshot["frames"][frame["id"]]
    assert len(frame["data"]["running"]) == 3
    map_run = run.snapshot["map_runs"][arn]
    assert (map_run["max_concurrency"], map_run["tolerated_count"]) == (3, 2)
    assert map_run["executions"]["running"] == 3
    run.run()
    assert run.snapshot["status"] == "SUCCEEDED"
    assert run.now == START_MS + 20_000  # two rounds of 10 s instead of four


def test_update_map_run_lowers_the_concurrency_and_tolerance_for_later_iterations() -> None:
    failing = {3}

    def work(value: Any) -> Any:
        if value in failing:
            raise Broken(f"item {value}")
        return value

    definition = _distributed(MaxConcurrency=2, ToleratedFailureCount=5)
    definition["States"]["M"]["ItemProcessor"]["States"]["Work"] = {
        "Type": "Wait",
        "Seconds": 10,
        "Next": "Do",
    }
    definition["States"]["M"]["ItemProcessor"]["States"]["Do"] = task("work", End=True)
    run = Run(definition, World(work=work), [0, 1, 2, 3])
    (arn,) = run.snapshot["map_runs"]
    update: Event = {
        "type": "update_map_run",
        "map_run_arn": arn,
        "max_concurrency": 1,
        "tolerated_count": 0,
    }
    run.deliver(update)
    run.run()
    # Item 3's failure is no longer tolerated; after the two running ones, one at a time.
    assert run.snapshot["status"] == "FAILED"
    assert run.snapshot["error"] == "States.ExceedToleratedFailureThreshold"
    assert run.now == START_MS + 30_000


@pytest.mark.parametrize("status", ["FAILED", "ABORTED"])
def test_the_halted_tree_holds_only_what_did_not_succeed(status: str) -> None:
    failing = {50} if status == "FAILED" else set()

    def work(value: Any) -> Any:
        if value in failing:
            raise Broken("no")
        return value

    definition = _map(0)
    # Item n waits n seconds, then works: they end one a second, in order.
    definition["States"]["M"]["ItemProcessor"]["States"] = {
        "Hold": {"Type": "Wait", "SecondsPath": "$", "Next": "Work"},
        "Work": task("work", End=True),
    }
    definition["States"]["M"]["ItemProcessor"]["StartAt"] = "Hold"
    run = Run(definition, World(work=work), list(range(100)))
    run.run(until_ms=START_MS + 50_500, stop=status == "ABORTED")
    assert run.snapshot["status"] == status
    resume = run.snapshot["halted"]["resume"]
    halted = resume["halted"]
    done = [index for index, result in enumerate(resume["results"]) if result is not None]
    # Items 0..49 succeeded (and 50 too when the execution was stopped): only the others are
    # kept, each about to enter again the state where it stopped.
    assert done == list(range(50 if status == "FAILED" else 51))
    assert sorted(map(int, halted)) == list(range(len(done), 100))
    assert {child["state"] for child in halted.values()} == (
        {"Work", "Hold"} if status == "FAILED" else {"Hold"}
    )
    # Each kept small: where it stopped, with what (no live state: phase, data, timers...).
    assert all(
        set(child) == {"id", "parent", "scope", "index", "state", "input"}
        for child in halted.values()
    )
    failing.clear()
    run.redrive().run()
    assert run.snapshot["output"] == list(range(100))


def test_a_redrive_is_a_pure_function_of_the_stored_snapshot() -> None:
    run = Run(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": task("a", End=True)}},
                        {"StartAt": "B", "States": {"B": task("b", End=True)}},
                    ],
                    "End": True,
                }
            },
        },
        World(a=always_broken, b=always_broken),
    ).run()
    stored = json.dumps(run.snapshot)
    first = redrive(run.machine, json.loads(stored), run.now + 1)
    second = redrive(run.machine, json.loads(stored), run.now + 1)
    assert json.dumps(first) == json.dumps(second)
    # Task keys (and the tokens derived from them) are new: a redriven task is a new attempt.
    keys = [command["key"] for command in first.commands if command["type"] == "invoke"]
    assert len(keys) == 2
    assert not set(keys) & {command["key"] for command in run.world.commands}


# ------------------------------------------------------------------------------ the rules


def _ended(status: str, **snapshot: Any) -> Any:
    from interpreter.runtime.ports import ExecutionRecord

    record = ExecutionRecord(
        arn="arn:e", state_machine_arn="arn:sm", name="e", input_text="{}", start_ms=START_MS
    )
    record.status = status
    record.stop_ms = START_MS + 1000
    record.snapshot = {"status": status, "next_event_id": 10, "halted": {}, **snapshot}
    return record


def test_redrivable_executions_and_the_reasons_for_the_others() -> None:
    from interpreter.runtime import redrives

    day = 24 * 3600 * 1000
    now = START_MS + 2000
    for status in ("FAILED", "TIMED_OUT", "ABORTED"):
        assert redrives.refusal(_ended(status), now, machine_exists=True) is None
    assert redrives.refusal(_ended("RUNNING"), now, machine_exists=True) == (
        "Execution is RUNNING and cannot be redriven"
    )
    assert redrives.refusal(_ended("SUCCEEDED"), now, machine_exists=True) == (
        "Execution is SUCCEEDED and cannot be redriven"
    )
    assert redrives.refusal(_ended("FAILED"), now, machine_exists=False) == (
        "State machine is in DELETING status"
    )
    assert redrives.refusal(_ended("FAILED", next_event_id=25_000), now, machine_exists=True) == (
        "Execution history event limit exceeded"
    )
    assert (
        redrives.refusal(_ended("FAILED", next_event_id=24_999), now, machine_exists=True) is None
    )
    # Ended by an earlier version, which kept nothing to resume.
    old = _ended("FAILED")
    del old.snapshot["halted"]
    assert redrives.refusal(old, now, machine_exists=True) == (
        "Execution was started before the launch of RedriveExecution"
    )
    late = START_MS + 1000 + 14 * day
    assert redrives.refusal(_ended("FAILED"), late, machine_exists=True) is None
    assert redrives.refusal(_ended("FAILED"), late + 1, machine_exists=True) == (
        "Execution redrivable period exceeded"
    )
    year = _ended("FAILED")
    year.stop_ms = START_MS + 364 * day
    assert redrives.refusal(year, START_MS + 365 * day, machine_exists=True) is None
    assert redrives.refusal(year, START_MS + 365 * day + 1, machine_exists=True) == (
        "Execution has exceeded the max execution time"
    )
