"""The benchmark workloads: definitions, inputs, expected outputs, and how our engine runs them.

Every workload is plain data first (a definition and an input, built by a function of its size),
so the same bytes go to our engine and to the peer (moto's executor, see ``peer_moto.py``). The
``ours_*`` functions run one repetition on our engine and check the result against the expected
output, so a benchmark that silently computes the wrong thing fails loudly instead of looking fast.
``tests/benchmarks/test_benchmarks_smoke.py`` calls them at tiny sizes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from interpreter import ExecutionResult, StateMachine, validate_definition
from interpreter.core.engine import Transition, start, step

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/asl-benchmark"
#: A fixed start time for executions driven through the pure core (the core reads no clock).
EPOCH_MS = 1_700_000_000_000

Definition = dict[str, Any]
LambdaHandler = Callable[[Any, Any], Any]


class WorkloadError(AssertionError):
    """A workload produced something other than its expected result."""


@dataclass(frozen=True)
class Case:
    """One execution workload: the same definition and input for every engine.

    ``units`` is what throughput counts per execution (state transitions, Map items or task
    attempts, as ``unit`` names it). ``lambdas`` builds fresh local handlers for each run (their
    failure counters must start at zero); ``None`` means the workload calls no Lambda.
    """

    name: str
    definition: Definition
    input: Any
    expected_output: Any
    units: int
    unit: str
    lambdas: Callable[[], dict[str, LambdaHandler]] | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def _chain_link(index: int, count: int, prefix: str) -> dict[str, Any]:
    """``Next`` to the following state, or ``End`` on the last one."""
    return {"End": True} if index == count - 1 else {"Next": f"{prefix}{index + 1}"}


# ---------------------------------------------------------------------------------------------
# 1. A chain of Pass states with Parameters and ResultPath work
# ---------------------------------------------------------------------------------------------


def pass_chain_definition(states: int) -> Definition:
    """``states`` Pass states in a row; each builds an object from paths and stores it at $.r."""
    chain: dict[str, Any] = {}
    for index in range(states):
        chain[f"S{index}"] = {
            "Type": "Pass",
            "Parameters": {"step": index, "value.$": "$.value", "previous.$": "$.r.step"},
            "ResultPath": "$.r",
            **_chain_link(index, states, "S"),
        }
    return {"Comment": f"{states} Pass states", "StartAt": "S0", "States": chain}


def pass_chain_case(states: int) -> Case:
    """Workload 1: one execution makes ``states`` state transitions."""
    initial = {"value": {"name": "payload", "numbers": [1, 2, 3]}, "r": {"step": -1}}
    expected = {
        "value": initial["value"],
        "r": {"step": states - 1, "value": initial["value"], "previous": states - 2},
    }
    return Case(
        name=f"pass-chain-{states}",
        definition=pass_chain_definition(states),
        input=initial,
        expected_output=expected,
        units=states,
        unit="transitions",
    )


# ---------------------------------------------------------------------------------------------
# 2. A Map with a Choice inside
# ---------------------------------------------------------------------------------------------


def map_choice_definition(
    max_concurrency: int, threshold: int, *, distributed: bool = False
) -> Definition:
    """A Map over ``$.items``; each iteration chooses Big or Small by ``$.v``.

    ``distributed`` runs the iterations as child executions (Express), whose events are not part
    of the parent's history: the only way AWS runs a 10,000-item Map, since an inline Map records
    at least four events per item and a history holds at most 25,000.
    """
    config = (
        {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"} if distributed else {"Mode": "INLINE"}
    )
    processor = {
        "ProcessorConfig": config,
        "StartAt": "Classify",
        "States": {
            "Classify": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.v", "NumericGreaterThanEquals": threshold, "Next": "Big"}
                ],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Parameters": {"size": "big", "v.$": "$.v"}, "End": True},
            "Small": {"Type": "Pass", "Parameters": {"size": "small", "v.$": "$.v"}, "End": True},
        },
    }
    return {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": processor,
                "End": True,
            }
        },
    }


def map_choice_case(items: int, max_concurrency: int, *, distributed: bool = False) -> Case:
    """Workload 2 (and 8): a Map over ``items`` items, two transitions per item."""
    threshold = items // 2
    return Case(
        name=f"map-choice-{items}-mc{max_concurrency}{'-distributed' if distributed else ''}",
        definition=map_choice_definition(max_concurrency, threshold, distributed=distributed),
        input={"items": [{"v": index} for index in range(items)]},
        expected_output=[
            {"size": "big" if index >= threshold else "small", "v": index} for index in range(items)
        ],
        units=items,
        unit="items",
    )


# ---------------------------------------------------------------------------------------------
# 3. A one-state execution
# ---------------------------------------------------------------------------------------------


def one_state_case() -> Case:
    """Workload 3: the smallest execution there is (latency, not throughput)."""
    return Case(
        name="one-state",
        definition={"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}},
        input={"order": 42},
        expected_output={"order": 42},
        units=1,
        unit="executions",
    )


# ---------------------------------------------------------------------------------------------
# 4. Retry-heavy work on the virtual clock
# ---------------------------------------------------------------------------------------------


class FlakyError(Exception):
    """What the flaky handler raises; Lambda reports it as the error type ``FlakyError``."""


def flaky_lambdas(failures: int) -> dict[str, LambdaHandler]:
    """A ``Flaky`` handler that fails ``failures`` times per item id, then succeeds."""
    attempts: dict[Any, int] = {}

    def flaky(event: Any, context: Any) -> Any:
        item = event["id"]
        attempts[item] = attempts.get(item, 0) + 1
        if attempts[item] <= failures:
            raise FlakyError(f"attempt {attempts[item]} of item {item} fails")
        return {"id": item, "attempts": attempts[item]}

    return {"Flaky": flaky}


def retry_case(items: int, failures: int) -> Case:
    """Workload 4: a Map of ``items`` Tasks, each failing ``failures`` times before it succeeds.

    Retry waits 1 s, then doubles (BackoffRate 2): each item spends ``2**failures - 1`` virtual
    seconds backing off, which the virtual clock skips.
    """
    task = {
        "Type": "Task",
        "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Flaky",
        "Retry": [
            {
                "ErrorEquals": ["FlakyError"],
                "IntervalSeconds": 1,
                "BackoffRate": 2,
                "MaxAttempts": failures,
            }
        ],
        "End": True,
    }
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Flaky", "States": {"Flaky": task}},
                "End": True,
            }
        },
    }
    return Case(
        name=f"retry-{items}x{failures}",
        definition=definition,
        input={"items": [{"id": index} for index in range(items)]},
        expected_output=[{"id": index, "attempts": failures + 1} for index in range(items)],
        units=items * (failures + 1),
        unit="task attempts",
        lambdas=lambda: flaky_lambdas(failures),
        notes={"virtual_seconds_per_item": 2**failures - 1},
    )


# ---------------------------------------------------------------------------------------------
# 5. A large definition of varied states, for validation
# ---------------------------------------------------------------------------------------------


def varied_definition(states: int) -> Definition:
    """``states`` states cycling through Pass, Choice, Wait and Task (with Retry and Catch).

    Every state leads to the next one; the last is a Succeed. Both engines accept it.
    """
    chain: dict[str, Any] = {}
    for index in range(states - 1):
        following = f"V{index + 1}"
        kind = index % 4
        if kind == 0:
            chain[f"V{index}"] = {
                "Type": "Pass",
                "Parameters": {"index": index, "order.$": "$.order", "ctx.$": "$$.State.Name"},
                "ResultPath": "$.pass",
                "Next": following,
            }
        elif kind == 1:
            chain[f"V{index}"] = {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.order.total", "NumericGreaterThan": index, "Next": following},
                    {
                        "And": [
                            {"Variable": "$.order.id", "IsPresent": True},
                            {"Variable": "$.order.id", "StringMatches": "A*"},
                        ],
                        "Next": following,
                    },
                ],
                "Default": following,
            }
        elif kind == 2:
            chain[f"V{index}"] = {"Type": "Wait", "Seconds": 1, "Next": following}
        else:
            chain[f"V{index}"] = {
                "Type": "Task",
                "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Work",
                "Parameters": {"order.$": "$.order", "attempt.$": "$$.State.RetryCount"},
                "ResultSelector": {"status.$": "$.status"},
                "ResultPath": "$.work",
                "TimeoutSeconds": 30,
                "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": following}
                ],
                "Next": following,
            }
    chain[f"V{states - 1}"] = {"Type": "Succeed"}
    return {"Comment": f"{states} varied states", "StartAt": "V0", "States": chain}


def ours_validate(definition: Definition) -> int:
    """Validate ``definition`` as CreateStateMachine does; returns the number of states checked."""
    diagnostics = validate_definition(definition)
    errors = [diagnostic for diagnostic in diagnostics if diagnostic.is_error]
    if errors:
        raise WorkloadError(f"the benchmark definition is invalid: {errors[:3]}")
    return len(definition["States"])


# ---------------------------------------------------------------------------------------------
# 6. JSONata-heavy states (ours only: moto's executor has no JSONata)
# ---------------------------------------------------------------------------------------------


def jsonata_case(states: int, items: int = 20) -> Case:
    """Workload 6: Pass states that filter, sum, join and merge with JSONata, and assign a variable.

    ``states`` JSONata states, then a last one that reads the variable back.
    """
    chain: dict[str, Any] = {}
    for index in range(states):
        chain[f"J{index}"] = {
            "Type": "Pass",
            "Assign": {"total": "{% $sum($states.input.items[price > 10].price) %}"},
            "Output": (
                "{% $merge([$states.input, {'step': "
                + str(index)
                + ", 'names': $uppercase($join($states.input.items.name, ','))}]) %}"
            ),
            "Next": f"J{index + 1}" if index < states - 1 else "Report",
        }
    chain["Report"] = {
        "Type": "Pass",
        "Output": (
            "{% {'total': $total, 'step': $states.input.step, 'names': $states.input.names} %}"
        ),
        "End": True,
    }
    goods = [{"name": f"item{index}", "price": index * 3} for index in range(items)]
    return Case(
        name=f"jsonata-{states}",
        definition={"QueryLanguage": "JSONata", "StartAt": "J0", "States": chain},
        input={"items": goods},
        expected_output={
            "total": sum(good["price"] for good in goods if good["price"] > 10),
            "step": states - 1,
            "names": ",".join(good["name"] for good in goods).upper(),
        },
        units=states + 1,
        unit="transitions",
    )


# ---------------------------------------------------------------------------------------------
# 7. Executions parked on a Wait state
# ---------------------------------------------------------------------------------------------

WAIT_SECONDS = 3600


def wait_definition(seconds: int = WAIT_SECONDS) -> Definition:
    """Wait, then a Pass: every execution parks on the Wait's timer."""
    return {
        "StartAt": "Park",
        "States": {
            "Park": {"Type": "Wait", "Seconds": seconds, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": "woke", "ResultPath": "$.status", "End": True},
        },
    }


def execution_record(index: int, machine_name: str, execution_input: Any) -> dict[str, Any]:
    """What the pure core's ``start`` needs to know about an execution (ids are derived)."""
    name = f"exec-{index}"
    return {
        "arn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name}:{name}",
        "name": name,
        "input": execution_input,
        "start_ms": EPOCH_MS,
        "role_arn": ROLE_ARN,
        "state_machine_arn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}",
        "state_machine_name": machine_name,
        "region": REGION,
        "account": ACCOUNT,
        "secret": f"{index:032x}",
    }


@dataclass
class Parked:
    """Executions started with the pure core and parked: a snapshot and a pending timer each."""

    machine: StateMachine
    snapshots: list[dict[str, Any]]
    timers: list[dict[str, Any]]
    histories: list[list[dict[str, Any]]]


def park_executions(machine: StateMachine, count: int, *, keep_history: bool = False) -> Parked:
    """Start ``count`` executions of ``machine`` (a :func:`wait_definition`) up to their Wait."""
    snapshots: list[dict[str, Any]] = []
    timers: list[dict[str, Any]] = []
    histories: list[list[dict[str, Any]]] = []
    compiled = machine.compiled
    for index in range(count):
        transition = start(compiled, execution_record(index, machine.name, {"n": index}), EPOCH_MS)
        (timer,) = transition.commands
        if transition.snapshot["status"] != "RUNNING" or timer["type"] != "timer":
            raise WorkloadError(f"execution {index} did not park on its Wait: {transition}")
        snapshots.append(transition.snapshot)
        timers.append(timer)
        if keep_history:
            histories.append(transition.history)
    return Parked(machine, snapshots, timers, histories)


def wake_executions(parked: Parked) -> int:
    """Fire every parked execution's timer and check it succeeds; returns how many finished."""
    compiled = parked.machine.compiled
    for index, (snapshot, timer) in enumerate(zip(parked.snapshots, parked.timers, strict=True)):
        event = {"type": "timer", "key": timer["key"]}
        transition: Transition = step(compiled, snapshot, [event], timer["at_ms"])
        final = transition.snapshot
        if final["status"] != "SUCCEEDED" or final["output"] != {"n": index, "status": "woke"}:
            raise WorkloadError(f"parked execution {index} ended {final['status']}")
    return len(parked.snapshots)


# ---------------------------------------------------------------------------------------------
# Running a Case on our engine
# ---------------------------------------------------------------------------------------------


def check_output(case: Case, status: str, output: Any, detail: str = "") -> None:
    """Raise :class:`WorkloadError` unless an execution of ``case`` succeeded as expected."""
    if status != "SUCCEEDED":
        raise WorkloadError(f"{case.name}: execution ended {status} {detail}".rstrip())
    if output != case.expected_output:
        raise WorkloadError(f"{case.name}: unexpected output {str(output)[:300]}")


def ours_machine(case: Case) -> StateMachine:
    """Validate and compile ``case``'s definition (once per workload, as a user would)."""
    return StateMachine(case.definition, name=case.name)


def fresh_input(case: Case) -> Any:
    """A private copy of ``case``'s input (made outside the timed region by the harness)."""
    return copy.deepcopy(case.input)


def ours_run(machine: StateMachine, case: Case, execution_input: Any = None) -> ExecutionResult:
    """Run one execution of ``case`` with the public API on the virtual clock and check it.

    ``execution_input`` defaults to a fresh copy of the case's input, so repetitions stay
    independent even if the engine kept references into an earlier one.
    """
    lambdas = case.lambdas() if case.lambdas is not None else None
    if execution_input is None:
        execution_input = fresh_input(case)
    result = machine.run(execution_input, lambdas=lambdas, clock="virtual")
    check_output(case, result.status, result.output, f"{result.error}: {result.cause}")
    return result


def ours_core_run(machine: StateMachine, case: Case, execution_input: Any = None) -> Transition:
    """Run ``case`` with the pure core's ``start`` alone (no runtime): for pure-state workloads."""
    if execution_input is None:
        execution_input = fresh_input(case)
    record = execution_record(0, case.name, execution_input)
    transition = start(machine.compiled, record, EPOCH_MS)
    snapshot = transition.snapshot
    check_output(case, snapshot["status"], snapshot["output"], str(snapshot["error"]))
    return transition
