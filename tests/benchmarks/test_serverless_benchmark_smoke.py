"""Smoke tests of benchmarks/serverless.py at tiny sizes, and its billing rules.

No speed or price is asserted: the harness runs (the local cloud with one worker; the handlers
in-process over moto's server, metered), each execution is checked against its in-process run,
and the counts that do not depend on timing — the history a Pass chain writes, the index
writes an execution record costs — are the ones DynamoDB's rules give.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    # serverless.py puts benchmarks/ on sys.path for its sibling (serverless_cost).
    spec = importlib.util.spec_from_file_location(
        f"asl_benchmarks_{name}", BENCHMARKS / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load("serverless")
C = sys.modules["serverless_cost"]
ORDERS, PASS_CHAIN = bench.SAMPLES[0], bench.SAMPLES[3]

TABLE = {
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by-wake-up",
            "KeySchema": [
                {"AttributeName": "run_status", "KeyType": "HASH"},
                {"AttributeName": "wake_ms", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ]
}


def _item(**attributes: Any) -> dict[str, Any]:
    return {"pk": {"S": "EX#arn"}, "sk": {"S": "STATE"}, **attributes}


def _put(meter: Any, item: dict[str, Any], *, succeeded: bool = True) -> None:
    """A PutItem as the meter sees it (a failed condition: the call raised)."""
    meter.record("dynamodb", "put_item", {"Item": item}, {}, not succeeded)


@pytest.mark.slow
def test_the_throughput_run_on_one_worker() -> None:
    run = bench.throughput_run(1, [ORDERS, PASS_CHAIN], seconds=1.0, in_flight=2)
    orders, chain = run["samples"][ORDERS.name], run["samples"][PASS_CHAIN.name]
    assert orders["executions"] >= 2
    assert chain["executions"] >= 2
    # Validate, ReserveStock (busy once, retried), ChargeCard, OrderConfirmed.
    assert orders["transitions"] >= 5 * orders["executions"]
    assert chain["transitions"] == bench.PASS_CHAIN_STATES * chain["executions"]
    assert chain["seconds"] > 0
    assert chain["cpu_seconds"]["api"] > 0


@pytest.mark.slow
def test_the_cost_run_counts_each_call() -> None:
    # Wake-ups after 1 s instead of 10: the harness, not the figures, is under test here.
    priced = bench.cost_run([ORDERS, PASS_CHAIN], 1, environment={"ASL_DISPATCH_GRACE_MS": "1000"})
    chain = priced["samples"][PASS_CHAIN.name]
    usage = chain["usage"]
    # The chain ends inside StartExecution: ExecutionStarted, 10 x (entered, exited),
    # ExecutionSucceeded, each under 1 KB, written once; no message.
    assert usage["wru|history event"] == 2 * bench.PASS_CHAIN_STATES + 2
    assert C.total(usage, "sqs_requests") == 0
    assert usage["lambda_requests|api"] == 1
    # The record, created once: in by-machine and by-machine-status, never in by-wake-up.
    assert usage["gsi_wru|by-machine"] == usage["gsi_wru|by-machine-status"] == 1
    assert "gsi_wru|by-wake-up" not in usage
    assert chain["transitions"] == bench.PASS_CHAIN_STATES
    orders = priced["samples"][ORDERS.name]
    assert orders["usage"]["messages|worker"] >= 6  # three tasks and their decisions
    assert orders["cost"]["total"] == pytest.approx(sum(orders["cost"].values()) / 2)
    assert priced["fixed"]["sweep Lambda duration"] > 0


def test_item_sizes_follow_dynamodbs_rules() -> None:
    assert C.item_size({"name": {"S": "héllo"}}) == 4 + 6
    # One byte per two significant digits, plus one: 12345 -> 3 + 1; 0.00100 -> "1" -> 1 + 1.
    assert C.item_size({"n": {"N": "12345"}}) == 1 + 4
    assert C.item_size({"n": {"N": "0.00100"}}) == 1 + 2
    assert C.item_size({"b": {"B": b"\x00" * 10}}) == 1 + 10
    assert C.item_size({"f": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    # A map: 3 bytes, and per element 1 byte, its name and its value.
    assert C.item_size({"m": {"M": {"ab": {"S": "xyz"}}}}) == 1 + 3 + 1 + 2 + 3
    assert C.item_size({"l": {"L": [{"S": "a"}, {"N": "7"}]}}) == 1 + 3 + (1 + 1) + (1 + 2)


def test_capacity_units_round_up() -> None:
    assert C.write_units(0) == 1
    assert C.write_units(1024) == 1
    assert C.write_units(1025) == 2
    assert C.read_units(4096, consistent=True) == 1
    assert C.read_units(4097, consistent=True) == 2
    assert C.read_units(0, consistent=False) == 0.5


def test_index_writes_follow_the_entry() -> None:
    meter = C.Meter(table=TABLE)
    with meter.scope() as scope:
        _put(meter, _item(run_status={"S": "RUNNING"}, wake_ms={"N": "1"}))
    assert scope.usage["gsi_wru|by-wake-up"] == 1  # a new entry: one put
    with meter.scope() as scope:
        _put(meter, _item(run_status={"S": "RUNNING"}, wake_ms={"N": "2"}))
    assert scope.usage["gsi_wru|by-wake-up"] == 2  # its key changed: a delete and a put
    with meter.scope() as scope:
        _put(meter, _item(run_status={"S": "RUNNING"}, wake_ms={"N": "2"}, x={"S": "y"}))
    assert "gsi_wru|by-wake-up" not in scope.usage  # keys only, unchanged: nothing
    with meter.scope() as scope:
        _put(meter, _item(done={"BOOL": True}))
    assert scope.usage["gsi_wru|by-wake-up"] == 1  # out of the index: one delete


def test_a_failed_condition_still_costs_the_write() -> None:
    meter = C.Meter(table=TABLE)
    big = _item(blob={"S": "x" * 3000})
    with meter.scope() as scope:
        _put(meter, big)
        _put(meter, _item(), succeeded=False)
    # The larger of the old and the new item: 3 KB, twice; the failed one changes nothing.
    assert scope.usage["wru|execution record"] == 3
    assert scope.usage["wru|execution record (condition failed)"] == 3
    assert meter.items[("EX#arn", "STATE")] == big


def test_express_bills_whole_tenths_of_a_second() -> None:
    one = C.express_cost(0.1)
    assert C.express_cost(0.01) == one
    assert C.express_cost(0.15) == pytest.approx(C.express_cost(0.2))
    assert C.standard_cost(1000) == pytest.approx(0.025)


def test_the_cold_import_benchmark_imports_each_function_in_a_fresh_interpreter() -> None:
    # No time is asserted: the harness runs, and each module it times really is importable in
    # Lambda's environment (a handler that failed to import would fail here).
    cold = _load("cold_import")
    for module in ("handlers.worker", "handlers.api", "handlers.sweep"):
        assert cold.cold_import_ms(module) > 0
