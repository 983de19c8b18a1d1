"""The conformance corpus through the serverless deployment: ``asl serve --serverless --workers 2``.

Every service-free execution case (Lambda functions are local handlers, as in-process) is run
through the local cloud — the API function behind its endpoint, DynamoDB and SQS on moto's
server, two worker processes — with boto3, and compared with AWS's recording by the same rules
as in-process (tests/conformance). A worker process is killed now and then while the cases run:
the results must not change — except for the few cases whose Task has a timeout or heartbeat
under ten seconds, which run without kills and one at a time (on the real clock a killed worker,
or seven other cases on two cores, makes a task seconds late, as a lost Lambda host would on
AWS). A case that is a known in-process failure
stays one here; REAL_CLOCK_GAPS lists what the real clock cannot reproduce.

The corpus reuses state machine and execution names across cases; here each case gets its own
(a suffix), taken out again before the comparison. The cases run concurrently, grouped by the
Lambda behaviours their function names stand for (two names stand for different behaviours in
different cases: the workers are restarted with the group's handlers).
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from behaviours import BEHAVIOURS
from compare import compare_case, format_mismatches, history_reverse_order
from known_failures import KNOWN_FAILURES, skip_reason
from runner import _resolve_placeholders, needs_emulated_aws
from sfn_polling import await_end, full_history

CASES = Path(__file__).resolve().parents[1] / "conformance" / "cases"
RUNNER = Path(__file__).resolve().parents[1] / "conformance" / "behaviours.py"
#: Behaviour -> the runner's function that has it.
FUNCTIONS = {name: function.__name__ for name, function in BEHAVIOURS.items()}
SAMPLE_EVERY = 8


def _eligible() -> list[tuple[Path, dict[str, Any]]]:
    chosen = []
    for path in sorted(CASES.glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if case["kind"] not in ("execution", "sync_execution") or needs_emulated_aws(case):
            continue
        if skip_reason(case) is not None:
            continue
        case["_path"] = path
        chosen.append((path, case))
    return chosen


ELIGIBLE = _eligible()


#: Cases whose outcome this harness cannot reproduce on the real clock, and why.
REAL_CLOCK_GAPS = {
    "test_wait__test_timestamp_too_far_in_future_boundary_24856_b76615": (
        "a Wait until 2094-12-14: beyond 2**31 s (AWS's limit) from the recording's date in "
        "2024, within it from today; in-process runs start at the recording's time"
    ),
}


def _timing_sensitive(case: dict[str, Any]) -> bool:
    """A Task with a timeout or heartbeat of under ten seconds (or an expression): on the real
    clock, a worker killed while it runs the task makes it late, so no worker is killed."""
    text = json.dumps(case["definition"])
    for match in re.finditer(r'"(?:TimeoutSeconds|HeartbeatSeconds)": ("[^"]*"|\d+)', text):
        value = match.group(1)
        if value.startswith('"') or int(value) < 10:
            return True
    return False


def _lambdas(case: dict[str, Any]) -> tuple[str, ...]:
    specs = []
    for resource in (case.get("resources") or {}).values():
        if isinstance(resource, dict) and resource.get("type") == "lambda":
            function = FUNCTIONS[resource["behaviour"]]
            specs.append(f"{resource['function_name']}={RUNNER}:{function}")
    return tuple(sorted(specs))


def _selected(choice: str) -> list[dict[str, Any]]:
    if choice == "none":
        return []
    cases = [case for _, case in ELIGIBLE]
    chosen = cases if choice == "all" else cases[::SAMPLE_EVERY]
    return [case for case in chosen if case["name"] not in REAL_CLOCK_GAPS]


class _Run:
    """One case through the cloud, under names of its own."""

    def __init__(self, case: dict[str, Any], number: int) -> None:
        self.case = case
        context = case.get("run_context") or {}
        self.machine_name = str(context.get("state_machine_name", "StateMachine"))
        self.execution_name = str(context.get("execution_name") or f"exec-{number}")
        # Letters and digits only: a definition that splits its name on a separator ('-', '_')
        # finds the recording's parts (the suffix rides on the last one, and is taken out).
        self.suffix = f"Zc{number}"

    def run(self, sfn: Any) -> dict[str, Any]:
        case = self.case
        definition, execution_input, placeholders = _resolve_placeholders(case)
        context = case.get("run_context") or {}
        kind = case.get("state_machine_type") or (
            "EXPRESS" if case["kind"] == "sync_execution" else "STANDARD"
        )
        machine = sfn.create_state_machine(
            name=self.machine_name + self.suffix,
            definition=json.dumps(definition),
            roleArn=context.get("role_arn") or "arn:aws:iam::111111111111:role/asl",
            type=kind,
        )["stateMachineArn"]
        input_text = json.dumps(execution_input)
        name = self.execution_name + self.suffix
        # An Express execution's result is StartSyncExecution's answer (DescribeExecution does
        # not serve Express executions; AWS's recordings of asynchronous ones kept the end).
        if kind == "EXPRESS":
            described = sfn.start_sync_execution(
                stateMachineArn=machine, name=name, input=input_text
            )
            history: list[dict[str, Any]] = []
        else:
            arn = sfn.start_execution(stateMachineArn=machine, name=name, input=input_text)[
                "executionArn"
            ]
            described = await_end(sfn, arn, timeout_s=180, poll_s=0.3)
            history = full_history(sfn, arn, reverse=history_reverse_order(self.case))
        return self._restored(
            {
                "status": described["status"],
                "output": (
                    json.loads(described["output"]) if described["status"] == "SUCCEEDED" else None
                ),
                "output_raw": described.get("output"),
                "error": described.get("error"),
                "cause": described.get("cause"),
                "history": history,
                "placeholders": placeholders,
            }
        )

    def _restored(self, actual: dict[str, Any]) -> dict[str, Any]:
        """The result under the recording's names (the suffixes taken out)."""
        placeholders = actual.pop("placeholders")
        text = json.dumps(actual, default=_encode)
        for name in (self.machine_name, self.execution_name):
            text = text.replace(name + self.suffix, name)
        restored: dict[str, Any] = json.loads(text, object_hook=_decode)
        restored["placeholders"] = placeholders
        return restored


def _encode(value: Any) -> Any:
    import datetime

    if isinstance(value, datetime.datetime):
        return {"__datetime__": value.isoformat()}
    raise TypeError(type(value).__name__)


def _decode(document: dict[str, Any]) -> Any:
    import datetime

    if set(document) == {"__datetime__"}:
        return datetime.datetime.fromisoformat(document["__datetime__"])
    return document


def _client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(inject_host_prefix=False, retries={"mode": "standard", "max_attempts": 8}),
    )


#: Cases per cloud: moto's DynamoDB reads a whole table to query an index, so a table holding
#: every case's executions slows every call; each chunk gets a fresh cloud.
CHUNK = 120


@pytest.fixture(scope="module")
def results(cloud_conformance: str, start_cloud: Any) -> dict[str, Any]:
    """Every selected case's result through the cloud, with worker processes killed while
    they run; the number of kills under ``"__kills__"``."""
    selected = _selected(cloud_conformance)
    groups: dict[tuple[tuple[str, ...], bool], list[dict[str, Any]]] = defaultdict(list)
    for case in selected:
        groups[_lambdas(case), _timing_sensitive(case)].append(case)
    found: dict[str, Any] = {}
    kills = 0
    numbers = iter(range(1_000_000))
    cloud, served = None, 0
    try:
        for (lambdas, calm), cases in sorted(groups.items(), key=lambda group: -len(group[1])):
            for start in range(0, len(cases), CHUNK):
                chunk = cases[start : start + CHUNK]
                if cloud is None or served + len(chunk) > CHUNK:
                    if cloud is not None:
                        kills += cloud.kills
                        cloud.stop()
                    cloud, served = start_cloud(lambdas), 0
                else:
                    cloud.restart_workers(lambdas)
                found.update(_run_chunk(cloud, chunk, numbers, kill=not calm))
                served += len(chunk)
    finally:
        if cloud is not None:
            kills += cloud.kills
            cloud.stop()
    found["__kills__"] = kills
    return found


def _run_chunk(
    cloud: Any, cases: list[dict[str, Any]], numbers: Any, *, kill: bool
) -> dict[str, Any]:
    stop = threading.Event()
    killed: list[int] = []
    killer = threading.Thread(target=_kill_workers, args=(cloud, stop, killed), daemon=True)
    if kill:
        killer.start()
    sfn = _client(cloud.url)
    runs = [_Run(case, next(numbers)) for case in cases]

    def attempt(run: _Run) -> tuple[str, Any]:
        try:
            return run.case["name"], run.run(sfn)
        except Exception as problem:  # reported by the case's test
            return run.case["name"], problem

    try:
        # A case whose timing matters runs alone: a 1 s TimeoutSeconds on the real clock is
        # met by a task on an idle deployment, not behind seven other cases on two cores.
        with ThreadPoolExecutor(max_workers=8 if kill else 1) as pool:
            return dict(pool.map(attempt, runs))
    finally:
        stop.set()
        if kill:
            killer.join()
        cloud.kills += len(killed)


def _kill_workers(cloud: Any, stop: threading.Event, killed: list[int]) -> None:
    """Kill a worker process now and then (``kill -9``); the cloud starts it again."""
    index = 0
    while not stop.wait(4.0):
        cloud.kill("worker", index % 2)
        killed.append(index)
        index += 1


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=f"{path.parent.name}/{path.stem}",
            marks=[pytest.mark.xfail(reason=KNOWN_FAILURES[case["name"]], strict=True)]
            if case["name"] in KNOWN_FAILURES
            else [pytest.mark.skip(reason=REAL_CLOCK_GAPS[case["name"]])]
            if case["name"] in REAL_CLOCK_GAPS
            else [],
        )
        for path, case in ELIGIBLE
    ],
)
def test_case_through_the_serverless_deployment(
    case: dict[str, Any], results: dict[str, Any], cloud_conformance: str
) -> None:
    if case["name"] not in results:
        pytest.skip(f"not in the {cloud_conformance!r} selection (--cloud-conformance)")
    actual = results[case["name"]]
    if isinstance(actual, Exception):
        raise actual
    mismatches = compare_case(case, actual)
    if mismatches:
        pytest.fail(
            f"{case['name']}: through the serverless deployment, the run differs from AWS's "
            f"recording ({len(mismatches)} mismatches):\n{format_mismatches(mismatches)}",
            pytrace=False,
        )


def test_worker_processes_were_killed_while_the_cases_ran(
    results: dict[str, Any], cloud_conformance: str
) -> None:
    if cloud_conformance == "none":
        pytest.skip("no case ran (--cloud-conformance none)")
    assert results["__kills__"] >= 1
