"""Smoke tests of benchmarks/api.py and benchmarks/listing.py on our side, at tiny sizes.

No timing is asserted: they prove the harnesses run and check their results (each workload
verifies its executions' status and output, each page its size), so the numbers the
benchmarks print are numbers about correct work. moto's server is not started here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"asl_benchmarks_{name}", BENCHMARKS / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_api_workloads_run_against_asl_serve() -> None:
    api = _load("api")
    with api.asl_serve() as url:
        results = api.measure(url, {"calls": 3, "executions": 2, "parallel": 16})
    assert set(results["one_call"]) == {
        "DescribeStateMachine",
        "ListStateMachines",
        "ListActivities",
    }
    assert not isinstance(results["sync"], str)
    verdicts = api.report(results, results, {"parallel": 16})
    assert len(verdicts) == 12  # 11 workload rows and the loopback-call target


def test_the_listing_pages_are_measured() -> None:
    listing = _load("listing")
    results = listing.measure(listing._service(listing._fill_memory(6_000)))
    assert set(results) == {"first page", "page 51", "FAILED only"}
