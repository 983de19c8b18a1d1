"""A chaos run on the local serverless cloud: the workload's executions started through the API
while worker, sweep and API processes are killed (``kill -9``) at random moments, the database
is restarted (dynalite), and faults are injected into the functions' DynamoDB and SQS calls
(preload/sitecustomize.py). Then every execution is checked (checker.py) against a fault-free
run of the same input, and the side effects are counted.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import workload
from checker import Verdict, check
from sfn_polling import full_history

from interpreter.app import local_runner
from interpreter.cloud.settings import CloudSettings
from interpreter.cloud.supervisor import CloudError, CloudOptions, LocalCloud
from interpreter.definition.compiler import compile_state_machine

PRELOAD = Path(__file__).resolve().parent / "preload"
SIDE_EFFECTS = "side-effects.log"
FAULT_FREE_SIDE_EFFECTS = "fault-free-side-effects.log"
FAULT_LOG = "faults.log"
ROLE = f"arn:aws:iam::{workload.ACCOUNT}:role/asl-reliability"

#: The runtime's patience, shortened so a lost message costs seconds (deployed: 10 s grace,
#: 30 s leases, a sweep every 10 s).
FAST_RECOVERY = {
    "ASL_DISPATCH_GRACE_MS": "2000",
    "ASL_CLAIM_LEASE_MS": "3000",
    "ASL_CHILD_CHECK_MS": "5000",
}


@dataclass(frozen=True)
class Plan:
    """One chaos run: everything it does follows from the seed."""

    seed: int
    workers: int = 3
    executions_per_machine: int = 2
    #: Seconds between two starts.
    start_every_s: float = 1.0
    #: Fault kind -> probability per call, for each service.
    faults: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "dynamodb": {"throttle": 0.04, "server_error": 0.02, "lost_answer": 0.02},
            "sqs": {
                "throttle": 0.03,
                "server_error": 0.02,
                "lost_answer": 0.03,
                "duplicate": 0.03,
                "reorder": 0.03,
            },
        }
    )
    #: Seconds between process kills (drawn uniformly).
    kill_every_s: tuple[float, float] = (0.8, 2.0)
    #: Of the kills: how many hit the API and the sweep (the rest hit workers).
    api_share: float = 0.15
    sweep_share: float = 0.1
    #: Restart the database every this many seconds (dynalite only), down this long.
    database_restart_every_s: float | None = None
    database_down_s: float = 1.0
    #: The work queue's visibility timeout: short, so it expires during slow decisions.
    visibility_timeout_s: int = 6
    #: The runtime's patience and the sweep's period (see FAST_RECOVERY).
    recovery: dict[str, str] = field(default_factory=lambda: dict(FAST_RECOVERY))
    sweep_interval_s: float = 1.0
    deadline_s: float = 240.0
    #: The functions' log level (DEBUG shows their logs on this process's stderr).
    log_level: str = "WARNING"


@dataclass
class Report:
    """What a chaos run did and found."""

    seed: int
    executions: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    database_restarts: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    duplicated_transitions: int = 0
    missing_transitions: int = 0
    stalls: int = 0
    longest_gap_s: float = 0.0
    task_invocations: int = 0
    task_repeats: int = 0
    tasks_never_run: int = 0
    seconds: float = 0.0
    problems: dict[str, list[str]] = field(default_factory=dict)

    def line(self) -> str:
        """The report on one line."""
        return (
            f"seed {self.seed}: {self.executions} executions in {self.seconds:.0f} s, "
            f"kills {dict(self.kills)}, database restarts {self.database_restarts}, "
            f"faults injected {sum(self.faults.values())} {dict(self.faults)}, lost {self.lost}, "
            f"duplicated transitions {self.duplicated_transitions}, missing transitions "
            f"{self.missing_transitions}, stalls >10 s {self.stalls} (longest gap "
            f"{self.longest_gap_s:.1f} s), task invocations "
            f"{self.task_invocations} ({self.task_repeats} repeats, "
            f"{self.tasks_never_run} never run)"
        )


def _client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name=workload.REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        # The API process is killed too: connection errors are retried, as a client would.
        config=Config(
            inject_host_prefix=False,
            connect_timeout=2,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 12},
        ),
    )


def run(plan: Plan, directory: Path, dynalite: Any = None) -> Report:
    """Run ``plan`` with its files under ``directory``; ``dynalite`` (tests/dynalite_server.py)
    holds the table when given (and is restarted), else moto's server does."""
    report = Report(plan.seed)
    rng = random.Random(plan.seed)
    side_effects = directory / SIDE_EFFECTS
    fault_log = directory / FAULT_LOG
    environment = {
        **plan.recovery,
        "ASL_SIDE_EFFECTS": str(side_effects),
        "ASL_FAULTS": json.dumps({"seed": plan.seed, "rates": plan.faults, "log": str(fault_log)}),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PRELOAD), os.environ.get("PYTHONPATH")])),
    }
    options = CloudOptions(
        workers=plan.workers,
        port=0,
        account=workload.ACCOUNT,
        region=workload.REGION,
        sweep_interval_s=plan.sweep_interval_s,
        lambdas=tuple(workload.handler_specs()),
        environment=environment,
        log_level=plan.log_level,
        service_endpoints={"dynamodb": dynalite.endpoint_url} if dynalite is not None else {},
    )
    settings = CloudSettings().with_changes(visibility_timeout_s=plan.visibility_timeout_s)
    cloud = LocalCloud(options, settings)
    started = time.monotonic()
    cloud.start()
    try:
        sfn = _client(cloud.url)
        machines = {
            name: sfn.create_state_machine(
                name=name, definition=json.dumps(definition), roleArn=ROLE
            )["stateMachineArn"]
            for name, definition in workload.MACHINES.items()
            if name in workload.CHAOS_MACHINES
        }
        stop = threading.Event()
        chaos = threading.Thread(
            target=_chaos, args=(cloud, plan, rng, stop, report, dynalite), daemon=True
        )
        chaos.start()
        runs = [
            (machine, number)
            for number in range(plan.executions_per_machine)
            for machine in workload.CHAOS_MACHINES
        ]

        def start(run: tuple[str, int]) -> tuple[str, int, str]:
            machine, number = run
            name = f"{machine}-{number}"
            try:
                arn = sfn.start_execution(
                    stateMachineArn=machines[machine],
                    name=name,
                    input=json.dumps(workload.execution_input(machine, number)),
                )["executionArn"]
            except sfn.exceptions.ExecutionAlreadyExists:
                # The client's retry of a start whose answer was lost (the API killed), after
                # the execution had already ended: AWS answers so once it is closed.
                arn = machines[machine].replace(":stateMachine:", ":execution:") + f":{name}"
                # A closed execution stays closed: one still running was refused wrongly (the
                # same name and input while it runs is the same execution).
                status = sfn.describe_execution(executionArn=arn)["status"]
                assert status != "RUNNING", f"StartExecution {name} refused while it ran"
            return machine, number, arn

        # A steady arrival (not a burst): the machine's two cores run the API, the workers,
        # the sweep and the database, and a backlog would be measured as stalls.
        executions = []
        for number, planned in enumerate(runs):
            executions.append(start(planned))
            if number < len(runs) - 1:
                time.sleep(plan.start_every_s)
        report.executions = len(executions)
        described = _await_all(sfn, [arn for _, _, arn in executions], started + plan.deadline_s)
        stop.set()
        chaos.join()
        verdicts = [
            _check(sfn, machine, number, arn, described[arn], directory / FAULT_FREE_SIDE_EFFECTS)
            for machine, number, arn in executions
        ]
    finally:
        cloud.stop()
    report.seconds = time.monotonic() - started
    _tally(report, verdicts, directory)
    return report


def _chaos(
    cloud: LocalCloud,
    plan: Plan,
    rng: random.Random,
    stop: threading.Event,
    report: Report,
    dynalite: Any,
) -> None:
    """Kill processes (and restart the database) until told to stop."""
    next_restart = (
        time.monotonic() + plan.database_restart_every_s
        if plan.database_restart_every_s is not None
        else None
    )
    while not stop.wait(rng.uniform(*plan.kill_every_s)):
        if dynalite is not None and next_restart is not None and time.monotonic() >= next_restart:
            dynalite.restart(plan.database_down_s)
            report.database_restarts += 1
            next_restart = time.monotonic() + (plan.database_restart_every_s or 0)
            continue
        draw = rng.random()
        if draw < plan.api_share:
            role, index = "api", 0
        elif draw < plan.api_share + plan.sweep_share:
            role, index = "sweep", 0
        else:
            role, index = "worker", rng.randrange(plan.workers)
        try:
            cloud.kill(role, index)
        except CloudError:  # it is being started again
            continue
        report.kills[role] += 1


def _await_all(sfn: Any, arns: list[str], deadline: float) -> dict[str, dict[str, Any]]:
    """Every execution's description once it ended, or its last one at the deadline."""
    described: dict[str, dict[str, Any]] = {}
    waiting = list(arns)
    while waiting and time.monotonic() < deadline:
        still = []
        for arn in waiting:
            answer = sfn.describe_execution(executionArn=arn)
            described[arn] = answer
            if answer["status"] == "RUNNING":
                still.append(arn)
        waiting = still
        if waiting:
            time.sleep(2.0)  # the API shares the machine's two cores with the functions
    return described


def _fault_free(machine: str, number: int, side_effects: Path) -> tuple[str, Any, list[Any]]:
    """The execution without faults, in this process on the virtual clock (its invocations
    logged to ``side_effects``)."""
    runner = local_runner(
        lambdas=workload.handlers(), account=workload.ACCOUNT, region=workload.REGION, role_arn=ROLE
    )
    previous = os.environ.get("ASL_SIDE_EFFECTS")
    os.environ["ASL_SIDE_EFFECTS"] = str(side_effects)
    try:
        result = runner.run(
            compile_state_machine(workload.MACHINES[machine]),
            workload.execution_input(machine, number),
            state_machine_name=machine,
            execution_name=f"{machine}-{number}",
        )
    finally:
        if previous is None:
            del os.environ["ASL_SIDE_EFFECTS"]
        else:
            os.environ["ASL_SIDE_EFFECTS"] = previous
    return result.status, result.output, result.history_events()


def _check(
    sfn: Any, machine: str, number: int, arn: str, described: dict[str, Any], side_effects: Path
) -> Verdict:
    status, output, history = _fault_free(machine, number, side_effects)
    return check(
        arn,
        described,
        full_history(sfn, arn),
        status,
        output,
        history,
        planned_wait_s=workload.PLANNED_WAIT_S.get(machine, 0.0),
    )


def _tally(report: Report, verdicts: list[Verdict], directory: Path) -> None:
    for verdict in verdicts:
        report.lost += verdict.lost
        report.duplicated_transitions += verdict.duplicated_transitions
        report.missing_transitions += verdict.missing_transitions
        report.stalls += len(verdict.stalls)
        report.longest_gap_s = max(report.longest_gap_s, verdict.longest_gap_s)
        if verdict.problems:
            report.problems[verdict.arn] = verdict.problems
    for line in _lines(directory / FAULT_LOG):
        _, service, _operation, kind, _time = line.split(" ")
        report.faults[f"{service}.{kind}"] += 1
    invocations = Counter(_lines(directory / SIDE_EFFECTS))
    report.task_invocations = sum(invocations.values())
    report.task_repeats = sum(count - 1 for count in invocations.values())
    # At least once: every invocation of the fault-free runs happened.
    report.tasks_never_run = len(
        set(_lines(directory / FAULT_FREE_SIDE_EFFECTS)) - set(invocations)
    )


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []
