"""The two stores keep the same promises (runtime/ports.py), and a SQLite-backed endpoint resumes
its executions after it stops — cleanly or not."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from interpreter.adapters.dynamodb_store import DynamoDbStore, table_definition
from interpreter.adapters.memory import MemoryStore
from interpreter.adapters.sqlite_store import SqliteStore
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service
from interpreter.runtime.ports import ExecutionRecord, StateMachineRecord, Store

START_MS = 1_700_000_000_000
ROLE = "arn:aws:iam::123456789012:role/r"


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        "dynamodb",
        # The contract on a real DynamoDB protocol server that outlives a restart (dynalite):
        # moto shares botocore's serialisation with the adapter, dynalite does not.
        pytest.param("dynalite", marks=pytest.mark.reliability),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        sqlite = SqliteStore(tmp_path / "state.db")
        yield sqlite
        sqlite.close()
    elif request.param == "dynalite":
        yield _dynalite_store(request.getfixturevalue("dynalite"), tmp_path.name)
    else:
        yield from _dynamodb_store()


def _dynalite_store(dynalite: Any, name: str) -> DynamoDbStore:
    """A table of its own on the session's dynalite, restarted (kill -9) once it holds data
    in some tests: what it promised must still hold."""
    client = dynalite.client()
    table = f"asl-{name}"[:255]
    client.create_table(**table_definition(table))
    return DynamoDbStore(client, table)


def _dynamodb_store() -> Iterator[DynamoDbStore]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_table(**table_definition("asl-test"))
        yield DynamoDbStore(client, "asl-test")


def _machine(revision: str = "r1", definition: str = "{}") -> StateMachineRecord:
    return StateMachineRecord(
        arn="arn:sm", name="sm", definition=definition, role_arn=ROLE, revision_id=revision
    )


def test_state_machines_and_their_revisions(store: Store) -> None:
    assert store.put_state_machine(_machine())
    assert not store.put_state_machine(_machine())  # one per ARN
    assert store.update_state_machine(_machine("r2", '{"v": 2}'))
    current = store.get_state_machine("arn:sm")
    assert current is not None
    assert (current.revision_id, current.definition) == ("r2", '{"v": 2}')
    first = store.get_state_machine_revision("arn:sm", "r1")
    assert first is not None
    assert first.definition == "{}"
    store.delete_state_machine("arn:sm")
    assert store.get_state_machine("arn:sm") is None
    assert store.list_state_machines() == []
    # Executions may still run a revision of a deleted state machine.
    assert store.get_state_machine_revision("arn:sm", "r2") is not None
    assert not store.update_state_machine(_machine("r3"))


def test_commits_are_compare_and_set(store: Store) -> None:
    record = ExecutionRecord(
        arn="arn:e",
        state_machine_arn="arn:sm",
        name="e",
        input_text="{}",
        start_ms=1,
        version=1,
        snapshot={"status": "RUNNING"},
        wake_ms=50,
    )
    assert store.create_execution(record)
    assert not store.create_execution(record)
    stored = store.get_execution("arn:e")
    assert stored is not None
    stored.version = 2
    stored.snapshot = {"status": "RUNNING", "n": 1}
    assert store.commit(stored, 1)
    stale = dataclasses.replace(stored, version=2, snapshot={"status": "RUNNING", "n": 2})
    assert not store.commit(stale, 1)  # the version moved on
    again = store.get_execution("arn:e")
    assert again is not None
    assert (again.version, again.snapshot) == (2, {"status": "RUNNING", "n": 1})
    assert store.due_executions(49) == []
    assert store.due_executions(50) == ["arn:e"]
    assert store.running_executions() == ["arn:e"]
    assert [r.arn for r in store.list_executions("arn:sm")] == ["arn:e"]


def test_inboxes_history_tokens_and_activities(store: Store) -> None:
    assert store.put_inbox("arn:e", "k", {"type": "timer", "key": "k"})
    assert not store.put_inbox("arn:e", "k", {"type": "other"})  # first write wins
    assert store.inbox("arn:e") == {"k": {"type": "timer", "key": "k"}}
    store.delete_inbox("arn:e", ["k"])
    assert store.inbox("arn:e") == {}

    store.append_history("arn:e", [{"id": 1, "type": "A"}, {"id": 2, "type": "B"}])
    store.append_history("arn:e", [{"id": 2, "type": "dup"}, {"id": 3, "type": "C"}])
    assert [e["type"] for e in store.history("arn:e")] == ["A", "B", "C"]

    store.put_task_token("t", "arn:e", "key")
    assert store.task_token("t") == ("arn:e", "key")
    assert store.task_token("other") is None

    store.put_activity("arn:a", "a", 5)
    store.put_activity("arn:a", "renamed", 6)  # an existing activity is kept
    assert store.list_activities() == [("arn:a", "a", 5)]
    store.delete_activity("arn:a")
    assert store.list_activities() == []


class _CountingClient:
    """A DynamoDB client that counts the calls made through it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**arguments: Any) -> Any:
            self.calls.append(name)
            return method(**arguments)

        return call


def test_a_repeated_history_write_costs_one_read_once_complete() -> None:
    # DynamoDB bills a write whose condition fails as a write: a decision's repeat of the last
    # commit's events must not pay one per event when they are all there.
    for dynamodb in _dynamodb_store():
        counting = _CountingClient(dynamodb.client)
        store = DynamoDbStore(counting, dynamodb.table)
        events = [{"id": i, "type": f"E{i}"} for i in (1, 2, 3)]
        store.append_history("arn:e", events[:2])  # a follow-up cut short before event 3
        counting.calls.clear()
        store.append_history("arn:e", events)
        assert counting.calls == ["get_item", "put_item", "put_item", "put_item"]
        counting.calls.clear()
        store.append_history("arn:e", events)
        assert counting.calls == ["get_item"]
        assert [e["type"] for e in store.history("arn:e")] == ["E1", "E2", "E3"]


class _DyingClient:
    """A DynamoDB client whose process dies (raises) at its ``dies_at``-th put."""

    def __init__(self, client: Any, dies_at: int) -> None:
        self._client = client
        self._puts = 0
        self._dies_at = dies_at

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **arguments: Any) -> Any:
        self._puts += 1
        if self._puts == self._dies_at:
            raise ConnectionError("the process died")
        return self._client.put_item(**arguments)


def test_a_machine_is_listed_only_once_its_revision_is_stored() -> None:
    # A crash between CreateStateMachine's two writes must not leave the machine naming a
    # revision that is not there: a retried create answers with the machine, executions
    # start on its revision, and their decisions read it.
    for dynamodb in _dynamodb_store():
        dying = DynamoDbStore(_DyingClient(dynamodb.client, dies_at=2), dynamodb.table)
        with pytest.raises(ConnectionError):
            dying.put_state_machine(_machine("r1"))
        listed = dynamodb.get_state_machine("arn:sm")
        assert listed is None or dynamodb.get_state_machine_revision("arn:sm", "r1") is not None
        if listed is None:
            assert dynamodb.put_state_machine(_machine("r2"))  # the retried create
        current = dynamodb.get_state_machine("arn:sm")
        assert current is not None
        assert dynamodb.get_state_machine_revision("arn:sm", current.revision_id) is not None


class _LostAnswerClient:
    """A DynamoDB client whose conditional puts take effect and lose their answer once, so
    that the SDK's retry (played here) meets its own write."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **arguments: Any) -> Any:
        if "ConditionExpression" in arguments and arguments["Item"]["sk"]["S"] == "STATE":
            self._client.put_item(**arguments)  # the first attempt's write, its answer lost
        return self._client.put_item(**arguments)  # the retry


def test_a_commit_whose_answer_was_lost_is_recognised_by_its_retry() -> None:
    for dynamodb in _dynamodb_store():
        record = _execution(1)
        assert dynamodb.create_execution(record)
        store = DynamoDbStore(_LostAnswerClient(dynamodb.client), dynamodb.table)
        mine = dataclasses.replace(record, version=2, snapshot={"status": "RUNNING", "n": 1})
        assert store.commit(mine, 1)  # the retry's condition failed on its own write
        theirs = dataclasses.replace(record, version=3, snapshot={"status": "RUNNING", "n": 2})
        assert dynamodb.commit(theirs, 2)
        late = dataclasses.replace(record, version=3, snapshot={"status": "RUNNING", "n": 3})
        assert not store.commit(late, 2)  # another worker's commit is not taken for ours
        stored = dynamodb.get_execution(record.arn)
        assert stored is not None
        assert stored.snapshot == {"status": "RUNNING", "n": 2}


def test_large_documents_are_stored_compressed() -> None:
    for dynamodb in _dynamodb_store():
        big = {"id": 1, "type": "TaskStateEntered", "input": "x" * 5000}
        dynamodb.append_history("arn:e", [big, {"id": 2, "type": "small"}])
        items = dynamodb.client.scan(TableName=dynamodb.table)["Items"]
        stored = {item["sk"]["S"]: item["event"] for item in items}
        assert set(stored["EV#0000000001"]) == {"B"}  # compressed: under one write unit
        assert len(stored["EV#0000000001"]["B"]) < 1024
        assert set(stored["EV#0000000002"]) == {"S"}
        assert dynamodb.history("arn:e") == [big, {"id": 2, "type": "small"}]


def test_task_claims_hold_until_their_lease_ends(store: Store) -> None:
    arn = "arn:aws:states:us-east-1:1:execution:m:e"
    assert store.claim_task(arn, "k", "worker-1", until_ms=1_000, now_ms=0) == "granted"
    # A duplicated message in another worker finds it held.
    assert store.claim_task(arn, "k", "worker-2", until_ms=2_000, now_ms=500) == "refused"
    # Its holder renews it.
    assert store.claim_task(arn, "k", "worker-1", until_ms=3_000, now_ms=900) == "granted"
    assert store.task_claims(arn) == {"k": ("worker-1", 3_000)}
    # Once the lease has ended, another worker takes it over (its holder died).
    assert store.claim_task(arn, "k", "worker-2", until_ms=9_000, now_ms=3_001) == "taken_over"
    assert store.claim_task(arn, "k", "worker-1", until_ms=9_500, now_ms=3_002) == "refused"
    assert store.claim_task(arn, "other", "worker-1", until_ms=10, now_ms=0) == "granted"
    store.delete_task_claims(arn, ["k"])
    assert store.task_claims(arn) == {"other": ("worker-1", 10)}
    assert store.task_claims("arn:aws:states:us-east-1:1:execution:m:none") == {}


def test_activity_tasks_go_to_one_worker_oldest_first(store: Store) -> None:
    activity = "arn:aws:states:us-east-1:1:activity:a"
    assert store.take_activity_task(activity) is None
    store.put_activity_task(activity, "t2", '{"n":2}', created_ms=20)
    store.put_activity_task(activity, "t1", '{"n":1}', created_ms=10)
    store.put_activity_task("arn:aws:states:us-east-1:1:activity:b", "tb", "{}", created_ms=5)
    assert store.take_activity_task(activity) == ("t1", '{"n":1}')
    assert store.take_activity_task(activity) == ("t2", '{"n":2}')
    assert store.take_activity_task(activity) is None


def _execution(number: int, status: str = "RUNNING", machine: str = "arn:sm") -> ExecutionRecord:
    record = ExecutionRecord(
        arn=f"{machine}:e{number:03d}",
        state_machine_arn=machine,
        name=f"e{number:03d}",
        input_text="{}",
        # Pairs share a start time: the ARN breaks the tie.
        start_ms=1_000 + number // 2,
        version=1,
        status=status,
    )
    if status != "RUNNING":
        record.stop_ms = 5_000 + number
    return record


def _all_pages(store: Store, limit: int, **query: Any) -> list[str]:
    names: list[str] = []
    after = None
    for _ in range(100):
        page, after = store.list_executions_page("arn:sm", limit=limit, after=after, **query)
        assert len(page) <= limit
        names.extend(summary.name for summary in page)
        if after is None:
            return names
    raise AssertionError("no end to the pages")


def test_executions_are_listed_page_by_page_newest_first(store: Store) -> None:
    for number in range(25):
        assert store.create_execution(_execution(number, "SUCCEEDED" if number % 3 else "FAILED"))
    store.create_execution(_execution(0, machine="arn:other"))
    newest_first = [f"e{n:03d}" for n in reversed(range(25))]
    for limit in (1, 4, 10, 25, 100):
        assert _all_pages(store, limit) == newest_first
    failed = [name for name in newest_first if int(name[1:]) % 3 == 0]
    assert _all_pages(store, 3, status="FAILED") == failed
    assert _all_pages(store, 3, status="RUNNING") == []
    page, after = store.list_executions_page("arn:sm", limit=2)
    assert [(s.name, s.status, s.start_ms, s.stop_ms) for s in page] == [
        ("e024", "FAILED", 1_012, 5_024),
        ("e023", "SUCCEEDED", 1_011, 5_023),
    ]
    assert after is not None


def test_a_status_change_moves_an_execution_between_status_pages(store: Store) -> None:
    record = _execution(1)
    store.create_execution(record)
    assert _all_pages(store, 10, status="RUNNING") == ["e001"]
    record.version, record.status, record.stop_ms = 2, "SUCCEEDED", 9_000
    assert store.commit(record, 1)
    assert _all_pages(store, 10, status="RUNNING") == []
    assert _all_pages(store, 10, status="SUCCEEDED") == ["e001"]


def test_state_machines_are_listed_page_by_page_oldest_first(store: Store) -> None:
    for number in range(7):
        store.put_state_machine(
            StateMachineRecord(
                arn=f"arn:sm{number}",
                name=f"sm{number}",
                definition="{}",
                role_arn=ROLE,
                created_ms=100 + number // 2,
                revision_id="r",
            )
        )
    names: list[str] = []
    after = None
    while True:
        page, after = store.list_state_machines_page(limit=3, after=after)
        names.extend(record.name for record in page)
        if after is None:
            break
    assert names == [f"sm{n}" for n in range(7)]
    store.delete_state_machine("arn:sm3")
    page, _ = store.list_state_machines_page(limit=10)
    assert [record.name for record in page] == ["sm0", "sm1", "sm2", "sm4", "sm5", "sm6"]


def test_finished_executions_are_forgotten_after_their_retention(store: Store) -> None:
    for number in range(6):
        store.create_execution(_execution(number, "SUCCEEDED" if number < 4 else "RUNNING"))
        store.append_history(f"arn:sm:e{number:03d}", [{"id": 1, "type": "ExecutionStarted"}])
        store.put_inbox(f"arn:sm:e{number:03d}", "k", {"type": "timer"})
    store.put_task_token("token-0", "arn:sm:e000", "key")
    # e000..e003 stopped at 5000..5003: those before 5002 go.
    assert store.delete_finished_executions(5_002) == 2
    assert store.get_execution("arn:sm:e000") is None
    assert store.history("arn:sm:e000") == []
    assert store.inbox("arn:sm:e000") == {}
    assert store.get_execution("arn:sm:e002") is not None
    assert _all_pages(store, 10) == ["e005", "e004", "e003", "e002"]
    assert store.delete_finished_executions(10**13, limit=1) == 1
    assert store.delete_finished_executions(10**13) == 1
    assert store.delete_finished_executions(10**13) == 0  # running ones stay
    assert sorted(store.running_executions()) == ["arn:sm:e004", "arn:sm:e005"]


def _redrive(store: Store, record: ExecutionRecord, at_ms: int) -> None:
    """Commit a redrive of ``record`` (its status back to RUNNING) at ``at_ms``."""
    expected = record.version
    record.version += 1
    record.status, record.stop_ms = "RUNNING", None
    record.redrive_count += 1
    record.redrive_ms = at_ms
    record.redrive_tokens = {"token": [at_ms, at_ms]}
    assert store.commit(record, expected)


def test_redrives_are_kept_and_listed_redriven_or_not(store: Store) -> None:
    records = [_execution(number, "FAILED") for number in range(9)]
    for record in records:
        store.create_execution(record)
    for record in records[1::3]:  # e001, e004, e007
        _redrive(store, record, 7_000 + int(record.name[1:]))
    kept = store.get_execution("arn:sm:e004")
    assert kept is not None
    assert (kept.redrive_count, kept.redrive_ms, kept.redrive_tokens) == (
        1,
        7_004,
        {"token": [7_004, 7_004]},
    )
    for limit in (1, 2, 10):
        assert _all_pages(store, limit, redriven=True) == ["e007", "e004", "e001"]
        assert _all_pages(store, limit, redriven=False) == [
            "e008",
            "e006",
            "e005",
            "e003",
            "e002",
            "e000",
        ]
    assert _all_pages(store, 2, status="RUNNING", redriven=True) == ["e007", "e004", "e001"]
    assert _all_pages(store, 2, status="FAILED", redriven=True) == []
    page, _ = store.list_executions_page("arn:sm", limit=3)
    assert [(s.name, s.redrive_count, s.redrive_ms) for s in page] == [
        ("e008", 0, None),
        ("e007", 1, 7_007),
        ("e006", 0, None),
    ]


def test_a_redriven_execution_is_kept_for_its_retention_from_its_new_end(store: Store) -> None:
    record = _execution(1, "FAILED")  # stopped at 5001
    store.create_execution(record)
    _redrive(store, record, 6_000)
    assert store.delete_finished_executions(10**13) == 0  # running again
    record.version, record.status, record.stop_ms = record.version + 1, "FAILED", 8_000
    assert store.commit(record, record.version - 1)
    assert store.delete_finished_executions(7_000) == 0  # its first end no longer counts
    assert store.get_execution("arn:sm:e001") is not None
    assert store.delete_finished_executions(8_001) == 1


def _service(path: Path) -> StepFunctionsService:
    return local_service(
        clock="virtual", start_ms=START_MS, store=SqliteStore(path), activity_poll_seconds=0
    )


def _create(service: StepFunctionsService, name: str, definition: dict[str, Any]) -> str:
    created = service.call(
        "CreateStateMachine",
        {"name": name, "definition": json.dumps(definition), "roleArn": ROLE},
    )
    return str(created["stateMachineArn"])


def _status(service: StepFunctionsService, arn: str) -> Any:
    return service.call("DescribeExecution", {"executionArn": arn})


def test_executions_resume_when_the_endpoint_starts_again(tmp_path: Path) -> None:
    path = tmp_path / "endpoint.db"
    before = _service(path)
    waiting = _create(
        before,
        "waits",
        {
            "StartAt": "Nap",
            "States": {
                "Nap": {"Type": "Wait", "Seconds": 86_400, "Next": "Done"},
                "Done": {"Type": "Pass", "Result": "rested", "End": True},
            },
        },
    )
    activity = before.call("CreateActivity", {"name": "review"})["activityArn"]
    working = _create(
        before,
        "works",
        {
            "StartAt": "Review",
            "States": {"Review": {"Type": "Task", "Resource": activity, "End": True}},
        },
    )
    napping = before.call("StartExecution", {"stateMachineArn": waiting, "name": "n1"})
    reviewing = before.call(
        "StartExecution", {"stateMachineArn": working, "name": "r1", "input": '{"doc": 7}'}
    )
    # Nothing has run yet when the endpoint goes away (no clean shutdown: every write was
    # already committed, closing the file only releases it).
    _drop(before)

    after = _service(path)
    assert after.recovered == 2
    assert after.call("DescribeActivity", {"activityArn": activity})["name"] == "review"
    after.run_until_idle()  # the day-long Wait ends on the virtual clock
    assert _status(after, napping["executionArn"])["output"] == '"rested"'
    task = after.call("GetActivityTask", {"activityArn": activity, "workerName": "w"})
    assert json.loads(task["input"]) == {"doc": 7}
    after.call("SendTaskSuccess", {"taskToken": task["taskToken"], "output": '{"ok": true}'})
    after.run_until_idle()
    assert _status(after, reviewing["executionArn"])["status"] == "SUCCEEDED"
    events = after.call("GetExecutionHistory", {"executionArn": reviewing["executionArn"]})
    ids = [event["id"] for event in events["events"]]
    assert ids == list(range(1, len(ids) + 1))
    assert [event["type"] for event in events["events"]].count("ActivityScheduled") == 1

    # A third start finds nothing left to resume, and everything still readable.
    _drop(after)
    final = _service(path)
    assert final.recovered == 0
    listed = final.call("ListExecutions", {"stateMachineArn": waiting})["executions"]
    assert [entry["status"] for entry in listed] == ["SUCCEEDED"]
    _drop(final)


def test_a_task_in_flight_when_the_endpoint_died_runs_again(tmp_path: Path) -> None:
    path = tmp_path / "endpoint.db"
    calls: list[Any] = []

    def record(event: Any, context: Any) -> Any:
        calls.append(event)
        return {"seen": len(calls)}

    def service_with(handler: Callable[[Any, Any], Any] | None) -> StepFunctionsService:
        lambdas = {"Record": handler} if handler is not None else {}
        return local_service(
            clock="virtual", start_ms=START_MS, store=SqliteStore(path), lambdas=lambdas
        )

    before = service_with(None)
    machine = _create(
        before,
        "calls",
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Record",
                    "End": True,
                }
            },
        },
    )
    started = before.call("StartExecution", {"stateMachineArn": machine, "input": '{"x": 1}'})
    # The task message was queued, never worked: the endpoint died with it in memory.
    _drop(before)

    after = service_with(record)
    after.run_until_idle()
    described = _status(after, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"seen": 1}
    assert calls == [{"x": 1}]
    _drop(after)


def _drop(service: StepFunctionsService) -> None:
    store = service.store
    assert isinstance(store, SqliteStore)
    store.close()
