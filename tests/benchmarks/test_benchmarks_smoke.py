"""Smoke test of the benchmark harness (benchmarks/run.py) on our engine, at tiny sizes.

No timing is asserted: these tests prove that every workload runs and produces its expected
output (each workload checks its own results and raises ``WorkloadError`` otherwise), so the
numbers ``python benchmarks/run.py`` prints are numbers about correct work. moto is not used.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load_run() -> ModuleType:
    # run.py puts benchmarks/ on sys.path for its siblings (workloads, handloop) when imported.
    spec = importlib.util.spec_from_file_location("asl_benchmarks_run", BENCHMARKS / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_run()
W = bench.W
handloop = bench.handloop

TINY = bench.Sizes(
    repetitions=1,
    peer_repetitions=1,
    chain_states=5,
    map_items=6,
    map_mc1_peer_items=3,
    latency_batch=2,
    peer_latency_batch=1,
    retry_items=3,
    retry_failures=2,
    validation_states=9,
    jsonata_states=3,
    parked_counts=(5,),
    big_map_items=40,
    big_map_repetitions=1,
    cold_definition_states=5,
    cold_repetitions=1,
    hand_loop_inner=1,
)


@pytest.mark.parametrize("key", sorted(bench.WORKLOADS))
def test_workload_runs_on_our_engine(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = bench.Report()
    bench.WORKLOADS[key](bench.Context(TINY, report, None))
    assert report.record, "the workload measured nothing"
    assert f"== {key}." in capsys.readouterr().out
    # A target verdict must come from a measurement, never be left undecided on our side.
    assert all(target.met is not None for target in report.targets)


def test_pass_chain_output_matches_the_hand_loop() -> None:
    case = W.pass_chain_case(7)
    result = W.ours_run(W.ours_machine(case), case)
    start, states = handloop.compile_chain(case.definition)
    output, transitions = handloop.run_chain(start, states, W.fresh_input(case))
    payload = {"name": "payload", "numbers": [1, 2, 3]}
    expected = {"value": payload, "r": {"step": 6, "value": payload, "previous": 5}}
    assert result.output == expected
    assert output == expected
    assert transitions == 7
    entered = [event for event in result.history if event["type"] == "PassStateEntered"]
    assert len(entered) == 7


def test_core_run_and_public_run_agree() -> None:
    case = W.map_choice_case(5, 0)
    machine = W.ours_machine(case)
    transition = W.ours_core_run(machine, case)
    assert transition.snapshot["output"] == W.ours_run(machine, case).output
    assert [item["size"] for item in case.expected_output] == ["small"] * 2 + ["big"] * 3


def test_retry_case_counts_every_attempt() -> None:
    case = W.retry_case(items=2, failures=3)
    result = W.ours_run(W.ours_machine(case), case)
    assert result.output == [{"id": 0, "attempts": 4}, {"id": 1, "attempts": 4}]
    scheduled = [event for event in result.history if event["type"] == "LambdaFunctionScheduled"]
    assert len(scheduled) == case.units == 8


def test_parked_executions_wait_then_finish() -> None:
    machine = W.StateMachine(W.wait_definition(), name="Parked")
    parked = W.park_executions(machine, 3, keep_history=True)
    assert [snapshot["status"] for snapshot in parked.snapshots] == ["RUNNING"] * 3
    assert {timer["at_ms"] for timer in parked.timers} == {W.EPOCH_MS + W.WAIT_SECONDS * 1000}
    assert parked.histories[0][-1]["type"] == "WaitStateEntered"
    assert W.wake_executions(parked) == 3
    assert [snapshot["status"] for snapshot in parked.snapshots] == ["SUCCEEDED"] * 3


def test_validation_probes_are_all_invalid_for_us() -> None:
    assert W.ours_validate(W.varied_definition(12)) == 12
    for name, probe in bench.validation_probes().items():
        assert bench._ours_rejects(probe), name


@pytest.mark.parametrize(
    ("case", "wrong"),
    [
        (W.one_state_case(), {"order": 43}),
        (W.jsonata_case(2), {"total": 0}),
    ],
)
def test_a_wrong_result_fails_the_workload(case: Any, wrong: Any) -> None:
    machine = W.ours_machine(case)
    W.ours_run(machine, case)
    broken = W.Case(case.name, case.definition, case.input, wrong, case.units, case.unit)
    with pytest.raises(W.WorkloadError, match="unexpected output"):
        W.ours_run(machine, broken)
