"""One page of ListExecutions at 10,000 and at 1,000,000 executions, on the memory and SQLite
stores: a page is read from an index, so its cost should not grow with the executions.

    python benchmarks/listing.py            # 10k and 1M (a few minutes: filling 1M takes most)
    python benchmarks/listing.py --quick    # 1k and 10k

Measured through the API (StepFunctionsService.call, tokens included): the first page of 100,
a page deep in the listing (from a token 5,000 entries in), and the first page of one status.
Before paging from indexes (issue 10) a 10-item page at 20,000 executions took 3-6 s on SQLite.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interpreter.adapters.memory import MemoryStore
from interpreter.adapters.sqlite_store import SqliteStore, _text
from interpreter.api.service import StepFunctionsService
from interpreter.app import local_service
from interpreter.runtime.ports import ExecutionRecord, StateMachineRecord

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:listed"
STATUSES = ("SUCCEEDED", "FAILED", "SUCCEEDED", "SUCCEEDED", "ABORTED")


def _records(count: int) -> Any:
    for number in range(count):
        status = STATUSES[number % len(STATUSES)]
        yield ExecutionRecord(
            arn=f"arn:aws:states:us-east-1:123456789012:execution:listed:e{number:07d}",
            state_machine_arn=MACHINE,
            name=f"e{number:07d}",
            input_text="{}",
            start_ms=1_700_000_000_000 + number,
            version=3,
            status=status,
            stop_ms=1_700_000_000_500 + number,
            snapshot={"status": status},
        )


def _fill_memory(count: int) -> MemoryStore:
    store = MemoryStore()
    for record in _records(count):
        store.create_execution(record)
    return store


def _fill_sqlite(count: int, path: Path) -> SqliteStore:
    store = SqliteStore(path)
    # Setup only: one transaction for the lot (create_execution commits each one).
    import dataclasses

    with store._transaction() as db:
        db.executemany(
            "INSERT INTO executions (arn, state_machine_arn, version, status, wake_ms, "
            "start_ms, record, name, stop_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    r.arn,
                    r.state_machine_arn,
                    r.version,
                    r.status,
                    None,
                    r.start_ms,
                    _text(dataclasses.asdict(r)),
                    r.name,
                    r.stop_ms,
                )
                for r in _records(count)
            ),
        )
    return store


def _service(store: Any) -> StepFunctionsService:
    service = local_service(clock="virtual", store=store, recover=False)
    store.put_state_machine(
        StateMachineRecord(
            arn=MACHINE,
            name="listed",
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}),
            role_arn="arn:aws:iam::123456789012:role/r",
            revision_id="r1",
        )
    )
    return service


def _time(call: Any, repeat: int = 30) -> float:
    call()
    gc.collect()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _deep_token(service: StepFunctionsService) -> str:
    token = None
    for _ in range(50):  # 50 pages of 100: 5,000 entries in
        request: dict[str, Any] = {"stateMachineArn": MACHINE, "maxResults": 100}
        if token:
            request["nextToken"] = token
        token = service.call("ListExecutions", request)["nextToken"]
    assert token is not None
    return token


def measure(service: StepFunctionsService) -> dict[str, float]:
    deep = _deep_token(service)

    def first() -> None:
        page = service.call("ListExecutions", {"stateMachineArn": MACHINE, "maxResults": 100})
        assert len(page["executions"]) == 100

    def deeper() -> None:
        page = service.call(
            "ListExecutions", {"stateMachineArn": MACHINE, "maxResults": 100, "nextToken": deep}
        )
        assert len(page["executions"]) == 100

    def failed() -> None:
        page = service.call(
            "ListExecutions",
            {"stateMachineArn": MACHINE, "maxResults": 100, "statusFilter": "FAILED"},
        )
        assert all(entry["status"] == "FAILED" for entry in page["executions"])
        assert len(page["executions"]) == 100

    return {"first page": _time(first), "page 51": _time(deeper), "FAILED only": _time(failed)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k executions")
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (10_000, 1_000_000)
    sizes = tuple(max(size, 6_000) for size in sizes)  # page 51 needs 5,100 entries
    results: dict[tuple[str, int], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            started = time.perf_counter()
            memory = _fill_memory(size)
            print(f"memory: {size:,} executions stored in {time.perf_counter() - started:.1f} s")
            results["memory", size] = measure(_service(memory))
            del memory
            gc.collect()
            started = time.perf_counter()
            sqlite = _fill_sqlite(size, Path(folder) / f"{size}.db")
            print(f"sqlite: {size:,} executions stored in {time.perf_counter() - started:.1f} s")
            results["sqlite", size] = measure(_service(sqlite))
            sqlite.close()
    small, large = sizes
    print(f"\n{'store':8} {'page (100 items)':14} {small:>12,} {large:>12,} {'ratio':>7}")
    for store in ("memory", "sqlite"):
        for name in results[store, small]:
            a, b = results[store, small][name], results[store, large][name]
            print(f"{store:8} {name:14} {a * 1000:9.2f} ms {b * 1000:9.2f} ms {b / a:6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
