"""RELIABILITY.md's fault model, injected at random into the durable runtime.

Every store call may fail before it takes effect, or after (the write happened, its
acknowledgement was lost); every queue send may be lost or delivered twice; a message whose
handling fails comes back later, as SQS redelivers it. Recorded executions (service-free, with
their Lambda behaviours) run through all of that; then, for each, the invariants hold:

1. no execution is lost: it reaches the terminal status of a fault-free run;
2. its history has contiguous ids from 1, its terminal event once and last;
3. the history and the output are those of the fault-free run (timestamps aside; Parallel
   branches and Map iterations may interleave differently, as on AWS);
4. nothing is written after the terminal event.

A failing seed is a regression test: it stays in the parameter list.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from interpreter.adapters.lambda_local import LocalLambdaFunctions
from interpreter.adapters.memory import MemoryQueue, MemoryStore, VirtualClock
from interpreter.runtime.durable import DurableRuntime, ExecutionAlreadyExistsError
from interpreter.runtime.ports import StateMachineRecord
from interpreter.runtime.tasks import TaskRunner

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
sys.path.insert(0, str(CONFORMANCE))

from runner import lambda_handlers  # noqa: E402 - the recorded Lambda behaviours

START_MS = 1_700_000_000_000
ACCOUNT = "111111111111"
TERMINAL = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}


class InjectedFault(Exception):
    """A fault the test injected (a crash, a timeout, a lost acknowledgement)."""


class FaultyStore(MemoryStore):
    """A memory store whose calls fail at random, before or after taking effect."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        super().__init__()
        self.rng = rng
        self.rate = rate
        self.enabled = True

    def _maybe(self) -> bool:
        return self.enabled and self.rng.random() < self.rate

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name.startswith("_") or not callable(attribute) or name in ("rng", "rate", "enabled"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._maybe():
                raise InjectedFault(f"{name} failed before taking effect")
            result = attribute(*args, **kwargs)
            if self._maybe():
                raise InjectedFault(f"{name} took effect; its acknowledgement was lost")
            return result

        return call


class FaultyQueue(MemoryQueue):
    """A delay queue that loses or duplicates sends at random."""

    def __init__(self, clock: VirtualClock, rng: random.Random, rate: float) -> None:
        super().__init__(clock)
        self.rng = rng
        self.rate = rate

    def send(self, message: Any, delay_ms: int = 0) -> None:
        roll = self.rng.random()
        if roll < self.rate:
            return  # lost
        super().send(message, delay_ms)
        if roll < 2 * self.rate:
            super().send(message, delay_ms + self.rng.randrange(0, 5000))  # delivered twice


def _cases() -> list[Path]:
    chosen = []
    for path in sorted((CONFORMANCE / "cases").glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        resources = (case.get("resources") or {}).values()
        if (
            case["kind"] == "execution"
            and set(case.get("needs_services") or []) <= {"lambda"}
            and not any(isinstance(r, dict) and r.get("type") != "lambda" for r in resources)
        ):
            chosen.append(path)
    return chosen


CASES = _cases()


def _masked(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "U", text)
    text = re.sub(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", "T", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "D", text)
    text = re.sub(r'"timestamp": \d+', '"timestamp": 0', text)
    text = re.sub(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", "H", text)
    return re.sub(r"(LogResult[^A-Za-z0-9]+)[A-Za-z0-9+/=]{20,}", r"\1L", text)


def _run(case: dict[str, Any], rng: random.Random | None, rate: float) -> tuple[str, list[Any]]:
    """Run ``case`` to its end (with faults when ``rng`` is given); (outcome, history)."""
    clock = VirtualClock(START_MS)
    if rng is None:
        store: MemoryStore = MemoryStore()
        queue: MemoryQueue = MemoryQueue(clock)
    else:
        store = FaultyStore(rng, rate)
        queue = FaultyQueue(clock, rng, rate)
    functions = LocalLambdaFunctions(lambda_handlers(case), account=ACCOUNT)
    runtime = DurableRuntime(store, queue, clock, TaskRunner([functions]), account=ACCOUNT)
    machine = StateMachineRecord(
        arn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:sm",
        name="sm",
        definition=json.dumps(case["definition"]),
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
        revision_id="r1",
    )
    input_text = json.dumps(case.get("input"))
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:sm:e1"
    for _ in range(50):
        try:
            store.put_state_machine(machine)
            runtime.start_execution(machine, "e1", input_text, case.get("input"))
            break
        except InjectedFault:
            continue  # the caller retries StartExecution (idempotent by name)
        except ExecutionAlreadyExistsError:
            break  # started by an attempt whose answer was lost, and already finished
    # A year-long Wait takes 35,000 fifteen-minute hops: the cap only stops a runaway.
    for _ in range(100_000):
        due = queue.next_due_ms()
        if due is None:
            # Quiet: what only the sweep and the overdue-task check can find.
            record = _clean_read(store, arn)
            if record is None or record.status != "RUNNING":
                break
            clock.advance_to(max(clock.now_ms(), (record.wake_ms or clock.now_ms())) + 1)
            with contextlib.suppress(InjectedFault):
                runtime.sweep()
            continue
        clock.advance_to(due)
        message = queue.pop_due(clock.now_ms())
        if message is None:
            continue
        try:
            runtime.handle(message)
        except InjectedFault:
            MemoryQueue.send(queue, message, 30_000)  # redelivered after the visibility timeout
    record = _clean_read(store, arn)
    assert record is not None, "the execution was lost"
    if isinstance(store, FaultyStore):
        store.enabled = False
    runtime.decide(arn)  # a late decision after the end writes nothing new
    history = store.history(arn)
    outcome = _masked([record.status, record.output_text, record.error, record.cause])
    return outcome, history


def _clean_read(store: MemoryStore, arn: str) -> Any:
    if isinstance(store, FaultyStore):
        enabled, store.enabled = store.enabled, False
        try:
            return store.get_execution(arn)
        finally:
            store.enabled = enabled
    return store.get_execution(arn)


# Seed 117: a year-long Wait (35,000 wake-up hops), once cut short by the driver.
@pytest.mark.parametrize("seed", [*range(40), 117])
def test_faults_change_nothing_but_time(seed: int) -> None:
    rng = random.Random(seed)
    case = json.loads(CASES[(seed * 97) % len(CASES)].read_text(encoding="utf-8"))
    rate = rng.choice([0.02, 0.05, 0.1])
    expected_outcome, expected_history = _run(case, None, 0)
    assert '"RUNNING"' not in expected_outcome, case["name"]
    outcome, history = _run(case, rng, rate)
    assert outcome == expected_outcome, case["name"]
    ids = [event["id"] for event in history]
    assert ids == list(range(1, len(ids) + 1)), case["name"]
    ends = [event for event in history if event["type"] in TERMINAL]
    assert len(ends) == 1, case["name"]
    assert history[-1]["type"] in TERMINAL, case["name"]
    if '"Parallel"' in json.dumps(case["definition"]) or '"Map"' in json.dumps(case["definition"]):
        # Branches and iterations interleave in the order their messages happen to run (on AWS
        # too): the same events, each branch in its own order, ids assigned as they came.
        assert _events_without_ids(history) == _events_without_ids(expected_history)
    else:
        assert _masked(history) == _masked(expected_history), case["name"]


def _events_without_ids(history: list[dict[str, Any]]) -> list[str]:
    return sorted(
        _masked({k: v for k, v in event.items() if k not in ("id", "previousEventId")})
        for event in history
    )
