"""Profile our engine on the benchmark workloads, to find where the time goes.

Usage::

    python benchmarks/profile_engine.py                    # chain, map and one-state
    python benchmarks/profile_engine.py --workload chain --top 30 --sort tottime
    python benchmarks/profile_engine.py --workload load    # validate + compile, warm
    python benchmarks/profile_engine.py --workload import  # import time by module (-X importtime)
    python benchmarks/profile_engine.py --dump /tmp/chain.prof --workload chain

Each workload runs once to warm up, then ``--runs`` times under cProfile. cProfile roughly
doubles the cost of small Python functions, so read the numbers as shares, not absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGINE = Path(os.environ.get("ASL_BENCH_ENGINE", HERE.parent)).resolve()
for entry in (str(HERE), str(ENGINE)):
    if entry in sys.path:
        sys.path.remove(entry)
    sys.path.insert(0, entry)

import workloads as W  # noqa: E402  (needs the path above)


def _case_runner(case: W.Case, runs: int) -> Callable[[], None]:
    machine = W.ours_machine(case)
    W.ours_run(machine, case)
    inputs = [W.fresh_input(case) for _ in range(runs)]

    def run() -> None:
        for data in inputs:
            W.ours_run(machine, case, data)

    return run


def prepare(workload: str, runs: int) -> Callable[[], None]:
    """A function that runs ``workload`` ``runs`` times (warm: compiled, first run done)."""
    if workload == "chain":
        return _case_runner(W.pass_chain_case(1000), runs)
    if workload == "map":
        return _case_runner(W.map_choice_case(1000, 0), runs)
    if workload == "map1":
        return _case_runner(W.map_choice_case(1000, 1), runs)
    if workload == "one":
        return _case_runner(W.one_state_case(), runs * 500)
    if workload == "load":
        definition = W.varied_definition(1000)
        W.StateMachine(definition)

        def load() -> None:
            for _ in range(runs):
                W.StateMachine(definition)

        return load
    raise SystemExit(f"unknown workload {workload!r}")


def profile(workload: str, runs: int, top: int, sort: str, dump: Path | None) -> str:
    """Profile ``workload``; return the printed statistics."""
    action = prepare(workload, runs)
    profiler = cProfile.Profile()
    profiler.enable()
    action()
    profiler.disable()
    if dump is not None:
        profiler.dump_stats(str(dump))
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    return text.getvalue()


def import_times(top: int) -> str:
    """The slowest modules to import (cumulative microseconds), from ``python -X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import interpreter"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ENGINE,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = (
            part.strip() for part in line.removeprefix("import time:").split("|")
        )
        rows.append((int(cumulative_us), int(self_us), name))
    rows.sort(reverse=True)
    lines = [f"{'cumulative ms':>14} {'self ms':>9}  module"]
    lines += [f"{c / 1000:14.1f} {s / 1000:9.1f}  {name}" for c, s, name in rows[:top]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the profiles of the chosen workloads."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workload",
        action="append",
        choices=["chain", "map", "map1", "one", "load", "import"],
        help="repeatable; default: chain, map, one",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--dump", type=Path, help="write the (last) profile for snakeviz etc.")
    args = parser.parse_args(argv)
    for workload in args.workload or ["chain", "map", "one"]:
        print(f"===== {workload} =====")
        if workload == "import":
            print(import_times(args.top))
        else:
            print(profile(workload, args.runs, args.top, args.sort, args.dump))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
