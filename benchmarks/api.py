"""The Step Functions API over HTTP: ``asl serve`` against moto's server, side by side.

Both servers run as their own processes on loopback (``asl serve`` and ``python -m
moto.server``, moto with its Step Functions executor on), and one boto3 client per server drives
the same workloads, so the numbers are what a user of either endpoint sees:

1. one call: p50/p99 of DescribeStateMachine, ListStateMachines and ListActivities (moto's
   fastest of them is the yardstick of a loopback call);
2. StartExecution + DescribeExecution polled until the execution ends (a one-state machine);
3. 1,000 StartExecutions from 8 threads (throughput);
4. StartSyncExecution of a one-state Express machine.

Every execution's result is checked (status and output), so a fast wrong answer cannot pass.

    python benchmarks/api.py            # the full run (about a minute)
    python benchmarks/api.py --quick    # small counts: a smoke test of the harness

Targets (issue 12): faster than moto's server on every workload, and a loopback call within 2x
of moto's server's fastest action.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config

ROLE = "arn:aws:iam::123456789012:role/asl-benchmark"
ONE_STATE = json.dumps(
    {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
)
EXPECTED_OUTPUT = {"ok": True}
POLL_SECONDS = 0.0005


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def _server(command: list[str], port: int) -> Iterator[str]:
    # The command is this module's own (asl serve, moto.server): no outside input.
    process = subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def asl_serve() -> Iterator[str]:
    """``asl serve`` in its own process."""
    port = _free_port()
    asl = shutil.which("asl") or "asl"
    with _server([asl, "serve", "--port", str(port)], port) as url:
        yield url


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server in its own process, its Step Functions executor on."""
    port = _free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with _server(command, port) as url:
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            f"{url}/moto-api/config",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (http://127.0.0.1 only)
            pass
        yield url


def client(url: str) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=os.environ.get("ASL_BENCH_KEY", "test"),
        aws_secret_access_key=os.environ.get("ASL_BENCH_SECRET", "test"),
        config=Config(
            inject_host_prefix=False, retries={"max_attempts": 1}, max_pool_connections=16
        ),
    )


# ---------------------------------------------------------------------- workloads


def _timed(call: Callable[[], Any], count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return sorted(times)


def _p(times: list[float], percent: float) -> float:
    return times[min(len(times) - 1, int(len(times) * percent / 100))]


def one_call(sfn: Any, machine: str, count: int) -> dict[str, tuple[float, float]]:
    """p50/p99 of three read-only actions."""
    actions = {
        "DescribeStateMachine": lambda: sfn.describe_state_machine(stateMachineArn=machine),
        "ListStateMachines": lambda: sfn.list_state_machines(maxResults=10),
        "ListActivities": lambda: sfn.list_activities(maxResults=10),
    }
    results = {}
    for name, call in actions.items():
        _timed(call, 20)  # warm the connection and the server
        times = _timed(call, count)
        results[name] = (_p(times, 50), _p(times, 99))
    return results


def _until_done(sfn: Any, execution: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{execution} still running")


def _check(described: dict[str, Any]) -> None:
    if described["status"] != "SUCCEEDED" or json.loads(described["output"]) != EXPECTED_OUTPUT:
        raise RuntimeError(f"wrong result: {described['status']} {described.get('output')}")


def start_and_poll(sfn: Any, machine: str, count: int) -> tuple[float, float]:
    """p50/p99 of StartExecution + polling DescribeExecution to the end."""

    def run() -> None:
        # A name each time: moto's server names every unnamed execution "None".
        execution = sfn.start_execution(stateMachineArn=machine, name=uuid.uuid4().hex, input="{}")[
            "executionArn"
        ]
        _check(_until_done(sfn, execution))

    _timed(run, 5)
    times = _timed(run, count)
    return _p(times, 50), _p(times, 99)


def parallel_starts(url: str, machine: str, count: int, threads: int = 8) -> float:
    """Seconds for ``count`` StartExecutions from ``threads`` threads (a client each)."""
    clients = [client(url) for _ in range(threads)]
    for each in clients:
        each.list_activities()
    per_thread = count // threads
    errors: list[BaseException] = []

    def work(sfn: Any) -> None:
        try:
            for _ in range(per_thread):
                sfn.start_execution(stateMachineArn=machine, name=uuid.uuid4().hex, input="{}")
        except BaseException as problem:
            errors.append(problem)

    workers = [threading.Thread(target=work, args=(each,)) for each in clients]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} starts failed: {errors[0]}")
    return elapsed


def sync_execution(sfn: Any, machine: str, count: int) -> tuple[float, float] | str:
    """p50/p99 of StartSyncExecution of a one-state Express machine (or why it failed)."""

    def run() -> None:
        _check(sfn.start_sync_execution(stateMachineArn=machine, name=uuid.uuid4().hex, input="{}"))

    try:
        _timed(run, 5)
    except Exception as problem:  # moto 5.2.5's server answers 500 here
        return f"fails: {str(problem).splitlines()[0][:70]}"
    times = _timed(run, count)
    return _p(times, 50), _p(times, 99)


def measure(url: str, sizes: dict[str, int]) -> dict[str, Any]:
    sfn = client(url)
    suffix = str(time.time_ns())
    machine = sfn.create_state_machine(name=f"bench-{suffix}", definition=ONE_STATE, roleArn=ROLE)[
        "stateMachineArn"
    ]
    express = sfn.create_state_machine(
        name=f"bench-express-{suffix}", definition=ONE_STATE, roleArn=ROLE, type="EXPRESS"
    )["stateMachineArn"]
    return {
        "one_call": one_call(sfn, machine, sizes["calls"]),
        "start_poll": start_and_poll(sfn, machine, sizes["executions"]),
        "parallel": parallel_starts(url, machine, sizes["parallel"]),
        "sync": sync_execution(sfn, express, sizes["executions"]),
    }


# ---------------------------------------------------------------------- report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def report(ours: dict[str, Any], moto: dict[str, Any], sizes: dict[str, int]) -> list[bool]:
    print(f"\n{'workload':44} {'asl serve':>12} {'moto server':>12} {'moto/ours':>10}")
    verdicts = []

    def row(name: str, mine: float, peer: float) -> None:
        ratio = peer / mine if mine else float("inf")
        print(f"{name:44} {_ms(mine):>12} {_ms(peer):>12} {ratio:9.1f}x")
        verdicts.append(mine < peer)

    for action, (p50, p99) in ours["one_call"].items():
        row(f"one call {action} p50", p50, moto["one_call"][action][0])
        row(f"one call {action} p99", p99, moto["one_call"][action][1])
    row("start + poll to the end p50", ours["start_poll"][0], moto["start_poll"][0])
    row("start + poll to the end p99", ours["start_poll"][1], moto["start_poll"][1])
    row(f"{sizes['parallel']:,} starts from 8 threads (total)", ours["parallel"], moto["parallel"])
    if isinstance(moto["sync"], str) or isinstance(ours["sync"], str):
        shown = [
            value if isinstance(value, str) else f"p50 {_ms(value[0]).strip()}"
            for value in (ours["sync"], moto["sync"])
        ]
        print(f"{'StartSyncExecution':44} asl serve: {shown[0]}; moto server: {shown[1]}")
        verdicts.append(not isinstance(ours["sync"], str))
    else:
        row("StartSyncExecution p50", ours["sync"][0], moto["sync"][0])
        row("StartSyncExecution p99", ours["sync"][1], moto["sync"][1])
    fastest_moto = min(p50 for p50, _ in moto["one_call"].values())
    ours_call = ours["one_call"]["DescribeStateMachine"][0]
    within = ours_call <= 2 * fastest_moto
    print(
        f"\nthroughput: asl serve {sizes['parallel'] / ours['parallel']:,.0f} starts/s, "
        f"moto {sizes['parallel'] / moto['parallel']:,.0f} starts/s"
    )
    print(
        f"target: faster than moto's server on every workload: "
        f"{'MET' if all(verdicts) else 'NOT MET'} ({sum(verdicts)}/{len(verdicts)})"
    )
    print(
        f"target: a loopback call within 2x of moto's fastest action "
        f"({_ms(ours_call).strip()} vs {_ms(fastest_moto).strip()}): "
        f"{'MET' if within else 'NOT MET'}"
    )
    return [*verdicts, within]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke test)")
    args = parser.parse_args(argv)
    sizes = (
        {"calls": 30, "executions": 10, "parallel": 80}
        if args.quick
        else {"calls": 500, "executions": 100, "parallel": 1000}
    )
    with asl_serve() as url:
        ours = measure(url, sizes)
    with moto_server() as url:
        moto = measure(url, sizes)
    report(ours, moto, sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
