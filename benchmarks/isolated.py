"""Measurements that need a process of their own; ``run.py`` starts one per measurement.

Memory is measured as the growth of the resident set (RSS, from ``/proc/self/statm``) and, for our
engine, with ``tracemalloc`` too. In a process that already ran other workloads, memory freed
earlier would be reused and hide the growth; a cold import is only cold in a fresh interpreter.

Usage (prints one JSON object)::

    python benchmarks/isolated.py parked-ours COUNT REPETITIONS
    python benchmarks/isolated.py parked-peer COUNT CAP_SECONDS
    python benchmarks/isolated.py cold-load < definition.json
"""

from __future__ import annotations

import sys
import time

# Taken before anything else is imported: the cold-load measurement starts here.
PROCESS_CLOCK_START = time.perf_counter()


def _rss_bytes() -> int:
    import os

    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def cold_load() -> dict[str, float]:
    """Import the interpreter and validate + compile the definition read from stdin."""
    text = sys.stdin.read()
    begin = time.perf_counter()
    import interpreter

    imported = time.perf_counter()
    interpreter.StateMachine(text, name="ColdStart")
    loaded = time.perf_counter()
    return {
        "import_seconds": imported - begin,
        "load_seconds": loaded - imported,
        "import_and_load_seconds": loaded - begin,
    }


def parked_ours(count: int, repetitions: int) -> dict[str, object]:
    """Park ``count`` executions with the pure core, then wake them; time and memory."""
    import gc
    import tracemalloc

    from workloads import park_executions, wait_definition, wake_executions

    from interpreter import StateMachine

    machine = StateMachine(wait_definition(), name="Parked")
    park_executions(machine, 10)  # warm caches and lazy imports outside the measurement
    start_seconds: list[float] = []
    wake_seconds: list[float] = []
    rss_delta = 0
    for repetition in range(repetitions):
        gc.collect()
        rss_before = _rss_bytes()
        begin = time.perf_counter()
        parked = park_executions(machine, count)
        start_seconds.append(time.perf_counter() - begin)
        if repetition == 0:
            rss_delta = _rss_bytes() - rss_before
        begin = time.perf_counter()
        woken = wake_executions(parked)
        wake_seconds.append(time.perf_counter() - begin)
        assert woken == count
        del parked
    traced: dict[str, float] = {}
    for keep_history in (False, True):
        gc.collect()
        tracemalloc.start()
        parked = park_executions(machine, count, keep_history=keep_history)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        label = "with_history" if keep_history else "snapshots"
        traced[f"{label}_retained_bytes"] = current
        traced[f"{label}_peak_bytes"] = peak
        del parked
    return {
        "count": count,
        "start_seconds": start_seconds,
        "wake_seconds": wake_seconds,
        "rss_delta_bytes": rss_delta,
        **traced,
    }


def parked_peer(count: int, cap_seconds: float) -> dict[str, object]:
    """Start up to ``count`` moto executions that park on a one-hour Wait, within ``cap_seconds``.

    moto runs each execution in a thread that blocks in ``Event.wait`` for the Wait's real
    duration. Measured: how many started (StartExecution returned) and parked (the thread
    recorded ``WaitStateEntered``) before the cap, the time, RSS growth and threads. The waits
    cannot be fast-forwarded, so the executions are then stopped (``Execution.stop``, what
    StopExecution calls) and the time until their threads end is measured.
    """
    import datetime
    import gc
    import threading

    from peer_moto import MotoPeer
    from workloads import wait_definition

    with MotoPeer() as peer:
        machine_arn = peer.create(wait_definition(), prefix="parked")
        warm = peer.run(machine_arn, '{"n": -1}', timeout=0.05)  # imports; stopped if running
        del warm
        state_machine = peer.backend.describe_state_machine(machine_arn)
        gc.collect()
        rss_before = _rss_bytes()
        threads_before = threading.active_count()
        begin = time.perf_counter()
        started = 0
        problem = None
        while started < count:
            if time.perf_counter() - begin > cap_seconds:
                problem = f"cap of {cap_seconds:.0f} s reached while starting"
                break
            try:
                peer.client.start_execution(
                    stateMachineArn=machine_arn, name=f"park-{started}", input='{"n": 0}'
                )
            except Exception as failure:
                problem = f"StartExecution failed after {started}: {type(failure).__name__}"
                break
            started += 1
        start_seconds = time.perf_counter() - begin
        executions = [e for e in state_machine.executions if e.name.startswith("park-")]
        # The started threads still have to parse and reach the Wait; they get the rest of the
        # cap, and at least half of it again if starting used it all up.
        deadline = max(begin + cap_seconds, time.perf_counter() + cap_seconds / 2)
        while True:
            parked = sum(1 for execution in executions if _is_parked(execution))
            if parked == len(executions):
                break
            if time.perf_counter() > deadline:
                problem = (problem + "; " if problem else "") + (
                    f"{len(executions) - parked} started executions had not reached the Wait "
                    f"{time.perf_counter() - begin:.0f} s after the first start"
                )
                break
            time.sleep(0.2)
        park_seconds = time.perf_counter() - begin
        rss_delta = _rss_bytes() - rss_before
        threads = threading.active_count() - threads_before
        begin = time.perf_counter()
        stopped_at = datetime.datetime.now(tz=datetime.UTC)
        for execution in executions:
            execution.stop(stop_date=stopped_at, error=None, cause=None)
        while threading.active_count() > threads_before and time.perf_counter() - begin < 30:
            time.sleep(0.05)
        stop_seconds = time.perf_counter() - begin
        threads_left = threading.active_count() - threads_before
    return {
        "count": count,
        "started": started,
        "parked": parked,
        "start_seconds": start_seconds,
        "park_seconds": park_seconds,
        "rss_delta_bytes": rss_delta,
        "threads": threads,
        "stop_seconds": stop_seconds,
        "threads_left_after_stop": threads_left,
        "problem": problem,
    }


def _is_parked(execution: object) -> bool:
    worker = getattr(execution, "exec_worker", None)
    environment = getattr(worker, "env", None)
    if environment is None:
        return False
    history = environment.event_manager.get_event_history()
    return bool(history) and history[-1]["type"] == "WaitStateEntered"


def main(argv: list[str]) -> int:
    """Run the measurement ``argv`` names and print its result as JSON."""
    import os  # already loaded by the interpreter's startup: importing it costs nothing

    mode = argv[0]
    here = os.path.dirname(os.path.abspath(__file__))
    # The tree run.py measures (ASL_BENCH_ENGINE, default this checkout), then the sibling
    # benchmark modules; nothing else is imported before the cold-load clock starts.
    engine = os.environ.get("ASL_BENCH_ENGINE", os.path.dirname(here))
    sys.path[:0] = [engine, here]
    if mode == "cold-load":
        result: dict[str, object] = dict(cold_load())
    else:
        if mode == "parked-ours":
            result = parked_ours(int(argv[1]), int(argv[2]))
        elif mode == "parked-peer":
            result = parked_peer(int(argv[1]), float(argv[2]))
        else:
            raise SystemExit(f"unknown mode {mode!r}")
    import json

    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
