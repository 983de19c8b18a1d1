"""Benchmarks: our engine against moto's Step Functions executor, workload by workload.

Usage::

    python benchmarks/run.py              # the full run (a few minutes; the peer is slow)
    python benchmarks/run.py --quick      # small sizes, a smoke test of the harness
    python benchmarks/run.py --no-peer    # our engine only
    python benchmarks/run.py --only 1,3   # some workloads (numbers as in the table below)
    python benchmarks/run.py --json out.json
    ASL_BENCH_ENGINE=/path/to/other/checkout python benchmarks/run.py   # measure another tree

Workloads (the sizes of the full run; ``--quick`` shrinks them):

1. a 1,000-state Pass chain with Parameters/ResultPath (transitions/s), with the hand-written loop;
2. a 1,000-item Map with a Choice inside, MaxConcurrency 0 and 1 (items/s);
3. a one-state execution end to end (latency);
4. a Retry-heavy Map of flaky Lambda tasks on the virtual clock (ours only);
5. validation of a 1,000-state definition (states/s), and what each side checks;
6. JSONata-heavy states (ours only);
7. 1,000 and 10,000 executions parked on a Wait in one process (memory, time; own process);
8. a Map with MaxConcurrency 1 over 10,000 items (ours);
9. ``import interpreter`` plus validate+compile of a definition, cold (own process).

Every measurement is repeated; the table shows min / median / max over the repetitions so the
machine's noise is visible, and ratios are taken between medians. Throughput ratios read "ours
does N times as much per second"; latency ratios "ours takes 1/N of the time".
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The tree whose ``interpreter`` package is measured: this checkout unless ASL_BENCH_ENGINE
#: names another (e.g. an exported commit, to compare before and after a change). isolated.py
#: reads the same variable, so child processes measure the same tree.
ENGINE = Path(os.environ.get("ASL_BENCH_ENGINE", ROOT)).resolve()
for entry in (str(HERE), str(ENGINE)):
    if entry in sys.path:
        sys.path.remove(entry)
    sys.path.insert(0, entry)

import handloop  # noqa: E402  (needs the path above)
import workloads as W  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """How big each workload is and how often it is repeated."""

    repetitions: int = 7
    peer_repetitions: int = 3
    chain_states: int = 1000
    map_items: int = 1000
    map_mc1_peer_items: int = 200  # a size the peer can finish with MaxConcurrency 1
    latency_batch: int = 2000
    peer_latency_batch: int = 100
    retry_items: int = 100
    retry_failures: int = 5
    validation_states: int = 1000
    jsonata_states: int = 200
    parked_counts: tuple[int, ...] = (1000, 10_000)
    parked_peer_cap_seconds: float = 60.0
    big_map_items: int = 10_000
    big_map_repetitions: int = 3
    cold_definition_states: int = 25
    cold_repetitions: int = 5
    peer_timeout_seconds: float = 120.0
    hand_loop_inner: int = 50  # the hand loop is too fast to time one chain at a time


FULL = Sizes()
QUICK = Sizes(
    repetitions=3,
    peer_repetitions=2,
    chain_states=50,
    map_items=50,
    map_mc1_peer_items=20,
    latency_batch=200,
    peer_latency_batch=20,
    retry_items=10,
    retry_failures=3,
    validation_states=50,
    jsonata_states=20,
    parked_counts=(100, 1000),
    parked_peer_cap_seconds=10.0,
    big_map_items=1000,
    big_map_repetitions=2,
    cold_repetitions=2,
    peer_timeout_seconds=30.0,
    hand_loop_inner=50,
)

# ---------------------------------------------------------------------------------------------
# Measuring and reporting
# ---------------------------------------------------------------------------------------------


def timed(
    action: Callable[[Any], Any],
    repetitions: int,
    setup: Callable[[], Any] = lambda: None,
    inner: int = 1,
) -> list[float]:
    """Seconds per call of ``action(setup())`` for each repetition (setup is not timed)."""
    seconds = []
    for _ in range(repetitions):
        arguments = [setup() for _ in range(inner)]
        gc.collect()
        begin = time.perf_counter()
        for argument in arguments:
            action(argument)
        seconds.append((time.perf_counter() - begin) / inner)
    return seconds


@dataclass
class Target:
    """One of the issue's targets, with the measured figure and the verdict."""

    name: str
    measured: str
    met: bool | None  # None: could not be measured in this run


@dataclass
class Report:
    """Collects the table's lines, the targets and a JSON record of every number."""

    lines: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    _section: str = ""

    def section(self, title: str) -> None:
        """Start a workload's block."""
        self._section = title
        self.emit("")
        self.emit(f"== {title} ==")
        self.emit(f"  {'':44} {'min':>12} {'median':>12} {'max':>12}  unit   (spread)")

    def emit(self, line: str) -> None:
        """Print a line now (the run is long) and keep it."""
        print(line, flush=True)
        self.lines.append(line)

    def values(self, label: str, values: list[float], unit: str) -> float:
        """One measured row: min/median/max of ``values``; returns the median."""
        median = statistics.median(values)
        spread = (max(values) - min(values)) / median * 100 if median else 0.0
        self.emit(
            f"  {label:44} {_fmt(min(values)):>12} {_fmt(median):>12} {_fmt(max(values)):>12}"
            f"  {unit} ({spread:.0f}%)"
        )
        self.record.setdefault(self._section, {})[label] = {
            "unit": unit,
            "values": values,
            "median": median,
        }
        return median

    def note(self, label: str, text: str) -> None:
        """A row that is a fact, not a number (n/a, stuck, what a validator checks)."""
        self.emit(f"  {label:44} {text}")
        self.record.setdefault(self._section, {})[label] = text

    def ratio(self, label: str, value: float, meaning: str) -> float:
        """A ratio row (between medians)."""
        self.emit(f"  {'ratio: ' + label:44} {value:>12.1f}x  {meaning}")
        self.record.setdefault(self._section, {})["ratio: " + label] = value
        return value

    def target(self, name: str, measured: str, met: bool | None) -> None:
        """Record a target's verdict (printed together at the end)."""
        self.targets.append(Target(name, measured, met))


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def rates(units: int, seconds: list[float]) -> list[float]:
    """Throughput per repetition."""
    return [units / second for second in seconds]


def millis(seconds: list[float]) -> list[float]:
    """Seconds to milliseconds."""
    return [second * 1000 for second in seconds]


@dataclass
class Context:
    """What every workload function gets."""

    sizes: Sizes
    report: Report
    peer: Any  # a started peer_moto.MotoPeer, or None with --no-peer


# ---------------------------------------------------------------------------------------------
# Running a case on the peer
# ---------------------------------------------------------------------------------------------


def peer_runs(
    ctx: Context, case: W.Case, machine_arn: str, repetitions: int
) -> tuple[list[float], str | None]:
    """Run ``case`` on the peer; returns (seconds per successful run, problem if any)."""
    text = json.dumps(case.input)
    seconds: list[float] = []
    for _ in range(repetitions):
        gc.collect()
        outcome = ctx.peer.run(machine_arn, text, timeout=ctx.sizes.peer_timeout_seconds)
        if outcome.status != "SUCCEEDED":
            return seconds, f"{outcome.status}: {outcome.problem}"
        try:
            W.check_output(case, outcome.status, outcome.output)
        except W.WorkloadError as wrong:
            return seconds, f"wrong result ({wrong})"
        seconds.append(outcome.seconds)
    return seconds, None


# ---------------------------------------------------------------------------------------------
# The workloads
# ---------------------------------------------------------------------------------------------


def workload_pass_chain(ctx: Context) -> None:
    """1. Pass chain: ours (public API and core), the hand-written loop, the peer."""
    sizes, report = ctx.sizes, ctx.report
    case = W.pass_chain_case(sizes.chain_states)
    report.section(f"1. Pass chain, {case.units} states with Parameters + ResultPath")
    machine = W.ours_machine(case)
    W.ours_run(machine, case)  # warm-up
    ours_seconds = timed(
        lambda data: W.ours_run(machine, case, data), sizes.repetitions, lambda: W.fresh_input(case)
    )
    ours = report.values("ours: StateMachine.run", rates(case.units, ours_seconds), "transitions/s")
    core_seconds = timed(
        lambda data: W.ours_core_run(machine, case, data),
        sizes.repetitions,
        lambda: W.fresh_input(case),
    )
    report.values("ours: core start() alone", rates(case.units, core_seconds), "transitions/s")

    start, states = handloop.compile_chain(case.definition)
    output, transitions = handloop.run_chain(start, states, W.fresh_input(case))
    W.check_output(case, "SUCCEEDED", output)
    hand_seconds = timed(
        lambda data: handloop.run_chain(start, states, data),
        sizes.repetitions,
        lambda: W.fresh_input(case),
        inner=sizes.hand_loop_inner,
    )
    hand = report.values("hand-written loop", rates(transitions, hand_seconds), "transitions/s")
    ours_us = 1e6 / ours
    hand_us = 1e6 / hand
    slower = report.ratio(
        "ours per transition / hand loop's",
        hand / ours,
        f"({ours_us:.2f} us vs {hand_us:.3f} us per transition; target <= 10x)",
    )
    report.target(
        "within 10x of the hand-written loop per transition",
        f"{slower:.1f}x ({ours_us:.2f} us vs {hand_us:.3f} us)",
        slower <= 10,
    )
    if ctx.peer is None:
        return
    arn = ctx.peer.create(case.definition, prefix="chain")  # parses once: warms moto's parser
    peer_seconds, problem = peer_runs(ctx, case, arn, sizes.peer_repetitions)
    if problem:
        report.note("moto", problem)
    if not peer_seconds:
        report.target(">= 100x moto on the Pass chain", "moto did not finish", None)
        return
    parse = [ctx.peer.parse_seconds(case.definition) for _ in range(sizes.peer_repetitions)]
    peer = report.values(
        "moto: incl. its per-execution parse", rates(case.units, peer_seconds), "transitions/s"
    )
    report.values("moto: its definition parse alone", millis(parse), "ms")
    parse_median = statistics.median(parse)
    excluding = [max(second - parse_median, 1e-9) for second in peer_seconds]
    peer_excl = report.values(
        "moto: excl. parse (run - median parse)", rates(case.units, excluding), "transitions/s"
    )
    incl = report.ratio("ours / moto incl. parse", ours / peer, "throughput (target >= 100x)")
    excl = report.ratio("ours / moto excl. parse", ours / peer_excl, "throughput (target >= 100x)")
    report.target(
        ">= 100x moto's throughput on the Pass chain",
        f"{incl:.0f}x incl. moto's parse, {excl:.0f}x excl. (verdict on excl.)",
        excl >= 100,
    )


def workload_map(ctx: Context) -> None:
    """2. Map with a Choice inside, MaxConcurrency 0 and 1."""
    sizes, report = ctx.sizes, ctx.report
    for max_concurrency in (0, 1):
        case = W.map_choice_case(sizes.map_items, max_concurrency)
        report.section(
            f"2. Map over {sizes.map_items} items with a Choice inside, "
            f"MaxConcurrency {max_concurrency}"
        )
        machine = W.ours_machine(case)
        W.ours_run(machine, case)
        seconds = timed(
            lambda data, m=machine, c=case: W.ours_run(m, c, data),
            sizes.repetitions,
            lambda c=case: W.fresh_input(c),
        )
        ours = report.values("ours: StateMachine.run", rates(case.units, seconds), "items/s")
        if ctx.peer is None:
            continue
        arn = ctx.peer.create(case.definition, prefix="map")
        peer_seconds, problem = peer_runs(ctx, case, arn, sizes.peer_repetitions)
        if problem:
            report.note("moto", problem)
        target_name = f">= 100x moto's throughput on the Map (MaxConcurrency {max_concurrency})"
        if peer_seconds and not problem:
            peer = report.values("moto", rates(case.units, peer_seconds), "items/s")
            ratio = report.ratio("ours / moto", ours / peer, "throughput (target >= 100x)")
            report.target(target_name, f"{ratio:.0f}x", ratio >= 100)
        else:
            report.target(target_name, f"moto never finishes ({problem}); ours does", True)
        if max_concurrency == 1 and sizes.map_mc1_peer_items < sizes.map_items:
            small = W.map_choice_case(sizes.map_mc1_peer_items, 1)
            machine = W.ours_machine(small)
            seconds = timed(
                lambda data, m=machine, c=small: W.ours_run(m, c, data),
                sizes.repetitions,
                lambda c=small: W.fresh_input(c),
            )
            label = f"at {small.units} items"
            ours_small = report.values(f"ours {label}", rates(small.units, seconds), "items/s")
            arn = ctx.peer.create(small.definition, prefix="map-small")
            peer_seconds, problem = peer_runs(ctx, small, arn, sizes.peer_repetitions)
            if peer_seconds:
                peer = report.values(f"moto {label}", rates(small.units, peer_seconds), "items/s")
                report.ratio(f"ours / moto {label}", ours_small / peer, "throughput")
            if problem:
                report.note(f"moto {label}", problem)


def workload_latency(ctx: Context) -> None:
    """3. One-state execution: latency per execution."""
    sizes, report = ctx.sizes, ctx.report
    case = W.one_state_case()
    report.section("3. One-state execution end to end (latency per execution)")
    machine = W.ours_machine(case)
    W.ours_run(machine, case)
    seconds = timed(
        lambda data: W.ours_run(machine, case, data),
        sizes.repetitions,
        lambda: W.fresh_input(case),
        inner=sizes.latency_batch,
    )
    ours = report.values(
        f"ours: StateMachine.run (mean of {sizes.latency_batch})", millis(seconds), "ms"
    )
    if ctx.peer is None:
        return
    arn = ctx.peer.create(case.definition, prefix="one")
    text = json.dumps(case.input)
    ctx.peer.run(arn, text, timeout=10)

    def peer_batch(direct: bool) -> list[float]:
        batches = []
        for _ in range(sizes.peer_repetitions):
            gc.collect()
            total = 0.0
            for _ in range(sizes.peer_latency_batch):
                if direct:
                    outcome = ctx.peer.run_direct(arn, text)
                else:
                    outcome = ctx.peer.run(arn, text, timeout=10)
                W.check_output(case, outcome.status, outcome.output)
                total += outcome.seconds
            batches.append(total / sizes.peer_latency_batch)
        return batches

    api = report.values(
        f"moto: boto3 start + poll describe (mean of {sizes.peer_latency_batch})",
        millis(peer_batch(direct=False)),
        "ms",
    )
    direct = report.values(
        "moto: backend start + join thread (no API)", millis(peer_batch(direct=True)), "ms"
    )
    ratio = report.ratio("moto (boto3) / ours", api / ours, "lower latency (target >= 30x)")
    report.ratio("moto (backend, no API) / ours", direct / ours, "lower latency, engines alone")
    report.target(
        ">= 30x lower latency for a one-state execution",
        f"{ratio:.0f}x via boto3 ({ours * 1000:.0f} us vs {api:.2f} ms); "
        f"{direct / ours:.0f}x against moto's backend without the API",
        ratio >= 30,
    )


def workload_retry(ctx: Context) -> None:
    """4. Retry-heavy: flaky local Lambda handlers, back-off on the virtual clock (ours only)."""
    sizes, report = ctx.sizes, ctx.report
    case = W.retry_case(sizes.retry_items, sizes.retry_failures)
    report.section(
        f"4. Retry-heavy: Map of {sizes.retry_items} Lambda tasks failing "
        f"{sizes.retry_failures}x each (virtual clock)"
    )
    machine = W.ours_machine(case)
    W.ours_run(machine, case)
    seconds = timed(
        lambda data: W.ours_run(machine, case, data), sizes.repetitions, lambda: W.fresh_input(case)
    )
    report.values("ours: StateMachine.run", rates(case.units, seconds), "attempts/s")
    virtual = case.notes["virtual_seconds_per_item"] * sizes.retry_items
    report.values(
        "ours: virtual back-off seconds skipped", [virtual / s for s in seconds], "virt s/s"
    )
    report.note(
        "moto",
        "n/a: its Lambda tasks run in Docker (no local handlers) and its Retry back-off is a "
        "real time.sleep (retrier_decl.py)",
    )


def workload_validation(ctx: Context) -> None:
    """5. Validation of a large definition, and what each side rejects."""
    sizes, report = ctx.sizes, ctx.report
    definition = W.varied_definition(sizes.validation_states)
    states = len(definition["States"])
    report.section(f"5. Validation of a {states}-state definition (Pass/Choice/Wait/Task)")
    W.ours_validate(definition)
    seconds = timed(lambda _: W.ours_validate(definition), sizes.repetitions)
    ours = report.values("ours: validate_definition", rates(states, seconds), "states/s")
    seconds = timed(lambda _: W.StateMachine(definition), sizes.repetitions)
    report.values("ours: StateMachine (validate + compile)", rates(states, seconds), "states/s")
    probes = validation_probes()
    rejected = [name for name, probe in probes.items() if _ours_rejects(probe)]
    report.note("ours rejects", f"{len(rejected)}/{len(probes)}: {', '.join(rejected)}")
    if ctx.peer is None:
        return
    text = json.dumps(definition)
    ctx.peer.create(text, prefix="validate")  # warms the parser
    seconds = timed(lambda _: ctx.peer.create(text, prefix="validate"), sizes.peer_repetitions)
    peer = report.values("moto: CreateStateMachine (boto3)", rates(states, seconds), "states/s")
    parse = [ctx.peer.parse_seconds(text) for _ in range(sizes.peer_repetitions)]
    report.values("moto: its parse alone", rates(states, parse), "states/s")
    report.ratio("ours / moto (CreateStateMachine)", ours / peer, "throughput")
    accepted = [name for name, probe in probes.items() if ctx.peer.validate(probe)[0]]
    report.note(
        "moto accepts",
        f"{len(accepted)}/{len(probes)} invalid probes: {', '.join(accepted)} (moto only "
        "parses with its ANTLR grammar; its static analyser is not run)",
    )


def validation_probes() -> dict[str, dict[str, Any]]:
    """Small invalid definitions: which mistakes does each validator catch?"""
    return {
        "missing Next target": {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}},
        "unknown StartAt": {"StartAt": "Z", "States": {"A": {"Type": "Pass", "End": True}}},
        "unreachable state": {
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "End": True}, "B": {"Type": "Pass", "End": True}},
        },
        "bad JSONPath": {
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "InputPath": "$..[", "End": True}},
        },
        "unknown field": {"StartAt": "A", "States": {"A": {"Type": "Pass", "X": 1, "End": True}}},
        "Next and End": {
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Next": "A", "End": True}},
        },
    }


def _ours_rejects(definition: dict[str, Any]) -> bool:
    return any(d.is_error for d in W.validate_definition(definition))


def workload_jsonata(ctx: Context) -> None:
    """6. JSONata-heavy states (ours only)."""
    sizes, report = ctx.sizes, ctx.report
    case = W.jsonata_case(sizes.jsonata_states)
    report.section(
        f"6. JSONata: {sizes.jsonata_states} Pass states with Assign + Output expressions"
    )
    machine = W.ours_machine(case)
    W.ours_run(machine, case)
    seconds = timed(
        lambda data: W.ours_run(machine, case, data), sizes.repetitions, lambda: W.fresh_input(case)
    )
    report.values("ours: StateMachine.run", rates(case.units, seconds), "transitions/s")
    report.note("moto", "n/a: moto 5.2.5's executor runs JSONPath only")


def isolated(arguments: list[str], stdin: str | None = None) -> dict[str, Any]:
    """Run ``isolated.py`` with ``arguments`` in a fresh interpreter; its JSON result."""
    done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(HERE / "isolated.py"), *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"isolated.py {' '.join(arguments)} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def workload_parked(ctx: Context) -> None:
    """7. Many executions parked on a Wait in one process: memory and time."""
    sizes, report = ctx.sizes, ctx.report
    for count in sizes.parked_counts:
        report.section(f"7. {count:,} executions parked on a Wait in one process")
        ours = isolated(["parked-ours", str(count), str(sizes.repetitions)])
        start = report.values("ours: start() each to its Wait", ours["start_seconds"], "s")
        report.values("ours: fire every timer, finish", ours["wake_seconds"], "s")
        megabytes = {
            "snapshots + timers (tracemalloc)": ours["snapshots_retained_bytes"],
            "... plus their histories (tracemalloc)": ours["with_history_retained_bytes"],
            "RSS growth while starting": ours["rss_delta_bytes"],
        }
        for label, value in megabytes.items():
            report.note(f"ours: {label}", f"{value / 1e6:10.1f} MB ({value / count:,.0f} B each)")
        worst = max(megabytes.values())
        if count >= 10_000:
            report.target(
                "10,000 waiting executions in one process under 500 MB",
                f"{worst / 1e6:.1f} MB (largest of tracemalloc with histories and RSS growth)",
                worst < 500e6,
            )
        if ctx.peer is None:
            continue
        peer = isolated(["parked-peer", str(count), str(sizes.parked_peer_cap_seconds)])
        report.note(
            "moto: started / parked",
            f"{peer['started']:,} / {peer['parked']:,} of {count:,} in {peer['park_seconds']:.1f} s"
            f" (StartExecution loop {peer['start_seconds']:.1f} s)",
        )
        report.note(
            "moto: RSS growth, threads",
            f"{peer['rss_delta_bytes'] / 1e6:10.1f} MB "
            f"({peer['rss_delta_bytes'] / max(peer['started'], 1):,.0f} B per started), "
            f"{peer['threads']:,} threads",
        )
        report.note(
            "moto: stopping them (real-time waits)",
            f"{peer['stop_seconds']:.1f} s, {peer['threads_left_after_stop']} threads left",
        )
        if peer["problem"]:
            report.note("moto", peer["problem"])
        if peer["parked"]:
            # RSS growth is too coarse for small counts (pages, allocator reuse): ours is charged
            # the larger of it and what tracemalloc saw retained.
            ours_each = max(ours["rss_delta_bytes"], ours["snapshots_retained_bytes"]) / count
            peer_each = peer["rss_delta_bytes"] / peer["started"]
            report.ratio("moto / ours memory per execution", peer_each / ours_each, "less memory")
            report.ratio(
                "ours / moto start rate",
                (count / start) / (peer["parked"] / peer["park_seconds"]),
                "executions parked per second",
            )


def workload_big_map(ctx: Context) -> None:
    """8. A Map with MaxConcurrency 1 over 10,000 items (ours).

    Distributed, as AWS requires at this size: an inline Map's iterations record at least four
    events per item in the execution's history, which AWS caps at 25,000 events. The inline
    variant is run too, to show it ends as AWS ends it (States.Runtime at the history limit)
    rather than by a crash.
    """
    sizes, report = ctx.sizes, ctx.report
    inline = W.map_choice_case(sizes.big_map_items, 1)
    case = W.map_choice_case(sizes.big_map_items, 1, distributed=True)
    report.section(
        f"8. Map with MaxConcurrency 1 over {sizes.big_map_items:,} items, Distributed (ours)"
    )
    begin = time.perf_counter()
    result = W.ours_machine(inline).run(W.fresh_input(inline))
    took = time.perf_counter() - begin
    ending = result.status if result.error is None else f"{result.status} {result.error}"
    report.note(
        "ours, inline Map (for comparison)",
        f"{ending} after {len(result.history):,} events in {took:.2f} s"
        + (" (AWS's 25,000-event history limit)" if result.error == "States.Runtime" else ""),
    )
    machine = W.ours_machine(case)
    try:
        seconds = timed(
            lambda data: W.ours_run(machine, case, data),
            sizes.big_map_repetitions,
            lambda: W.fresh_input(case),
        )
    except (W.WorkloadError, RecursionError) as failure:
        report.note("ours", f"did not complete: {type(failure).__name__}: {failure}")
        report.target(f"Map MaxConcurrency 1 over {case.units:,} items completes", "no", False)
        return
    report.values("ours: StateMachine.run", seconds, "s")
    report.values("ours: throughput", rates(case.units, seconds), "items/s")
    report.target(
        f"Map MaxConcurrency 1 over {case.units:,} items completes",
        f"yes, in {statistics.median(seconds):.2f} s (median)",
        True,
    )


def workload_cold(ctx: Context) -> None:
    """9. Cold import + validate + compile in a fresh interpreter."""
    sizes, report = ctx.sizes, ctx.report
    definition = json.dumps(W.varied_definition(sizes.cold_definition_states))
    report.section(
        f"9. Cold start: import interpreter + load a {sizes.cold_definition_states}-state "
        "definition (fresh process)"
    )
    runs = [isolated(["cold-load"], stdin=definition) for _ in range(sizes.cold_repetitions)]
    report.values("import interpreter", millis([r["import_seconds"] for r in runs]), "ms")
    report.values(
        "StateMachine(text): validate + compile", millis([r["load_seconds"] for r in runs]), "ms"
    )
    total = report.values(
        "import + load", millis([r["import_and_load_seconds"] for r in runs]), "ms"
    )
    report.target("import + load under 300 ms, cold", f"{total:.0f} ms (median)", total < 300)


WORKLOADS: dict[str, Callable[[Context], None]] = {
    "1": workload_pass_chain,
    "2": workload_map,
    "3": workload_latency,
    "4": workload_retry,
    "5": workload_validation,
    "6": workload_jsonata,
    "7": workload_parked,
    "8": workload_big_map,
    "9": workload_cold,
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


@contextmanager
def optional_peer(enabled: bool) -> Iterator[Any]:
    """A started moto peer, or None."""
    if not enabled:
        yield None
        return
    from peer_moto import MotoPeer

    with MotoPeer() as peer:
        yield peer


def describe_engine() -> str:
    """Which tree is measured, and at which commit."""
    import interpreter

    location = Path(interpreter.__file__ or "?").resolve().parent.parent
    try:
        commit = subprocess.run(  # noqa: S603 - fixed argv
            ["git", "-C", str(location), "describe", "--always", "--dirty"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return f"engine: {location} ({commit or 'not a git checkout'})"


def describe_machine() -> str:
    """One line about where the numbers come from."""
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load average unknown"
    return (
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, {load}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the selected workloads and print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--no-peer", action="store_true", help="skip moto")
    parser.add_argument("--only", default="", help="comma-separated workload numbers (1-9)")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args(argv)
    selected = [key.strip() for key in args.only.split(",") if key.strip()] or list(WORKLOADS)
    unknown = [key for key in selected if key not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(WORKLOADS)}")
    sizes = QUICK if args.quick else FULL
    report = Report()
    report.emit(f"asl-interpreter benchmarks ({'quick' if args.quick else 'full'} run)")
    report.emit(describe_machine())
    report.emit(describe_engine())
    began = time.perf_counter()
    with optional_peer(not args.no_peer) as peer:
        if peer is not None:
            import moto

            report.emit(f"peer: moto {moto.__version__} (execute_state_machine=True), via boto3")
        context = Context(sizes, report, peer)
        for key in selected:
            WORKLOADS[key](context)
    report.emit("")
    report.emit("== Targets ==" + (" (quick sizes: indicative only)" if args.quick else ""))
    for target in report.targets:
        verdict = {True: "MET    ", False: "NOT MET", None: "n/a    "}[target.met]
        report.emit(f"  [{verdict}] {target.name}: {target.measured}")
    report.emit(f"({time.perf_counter() - began:.0f} s; {describe_machine()})")
    if args.json:
        report.record["targets"] = [vars(target) for target in report.targets]
        args.json.write_text(json.dumps(report.record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
