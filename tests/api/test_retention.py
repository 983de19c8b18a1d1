"""Finished executions are kept for a retention period and then forgotten, so an endpoint under
steady load keeps bounded state (AWS keeps 90 days; asl serve --retention-days)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interpreter.adapters.memory import MemoryStore
from interpreter.adapters.sqlite_store import SqliteStore
from interpreter.api.errors import StepFunctionsError
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service
from interpreter.runtime.ports import Store

HOUR_MS = 3_600_000
HELLO = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
WAITS = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86_400, "End": True}}}


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "state.db")


def _machine(service: StepFunctionsService, name: str, definition: dict[str, object]) -> str:
    created = service.call(
        "CreateStateMachine",
        {"name": name, "definition": json.dumps(definition), "roleArn": "arn:aws:iam::1:role/r"},
    )
    return str(created["stateMachineArn"])


def test_steady_load_keeps_only_the_retention_window(store: Store) -> None:
    service = local_service(clock="virtual", start_ms=1_700_000_000_000, store=store)
    quick = _machine(service, "quick", HELLO)
    slow = _machine(service, "slow", WAITS)
    long_running = service.call("StartExecution", {"stateMachineArn": slow})["executionArn"]
    clock = service.clock
    for hour in range(24):
        for _ in range(20):
            service.call("StartExecution", {"stateMachineArn": quick})
        clock.advance_to(clock.now_ms() + HOUR_MS)  # type: ignore[union-attr]
        service.expire_finished(retention_ms=3 * HOUR_MS)
        listed = service.call("ListExecutions", {"stateMachineArn": quick, "maxResults": 1000})
        # At most the last three hours' executions (and the current hour's) are kept.
        assert len(listed["executions"]) <= 20 * min(hour + 1, 4)
    listed = service.call("ListExecutions", {"stateMachineArn": quick, "maxResults": 1000})
    assert 20 <= len(listed["executions"]) <= 80
    # A running execution is never forgotten, however old.
    assert service.call("DescribeExecution", {"executionArn": long_running})["status"] == "RUNNING"
    forgotten = service.call("ListExecutions", {"stateMachineArn": quick, "maxResults": 1000})
    oldest = min(entry["stopDate"] for entry in forgotten["executions"])
    assert oldest.timestamp() * 1000 >= clock.now_ms() - 4 * HOUR_MS  # type: ignore[union-attr]


def test_a_forgotten_execution_does_not_exist(store: Store) -> None:
    service = local_service(clock="virtual", start_ms=1_700_000_000_000, store=store)
    quick = _machine(service, "gone", HELLO)
    arn = service.call("StartExecution", {"stateMachineArn": quick})["executionArn"]
    service.run_until_idle()
    service.clock.advance_to(service.clock.now_ms() + 2 * HOUR_MS)  # type: ignore[union-attr]
    assert service.expire_finished(retention_ms=HOUR_MS) == 1
    with pytest.raises(StepFunctionsError) as gone:
        service.call("DescribeExecution", {"executionArn": arn})
    assert gone.value.code == "ExecutionDoesNotExist"
