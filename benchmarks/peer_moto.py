"""The peer: moto 5.2.5's Step Functions executor, driven the way a user drives it (boto3).

``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})`` makes moto run executions
with the ASL interpreter LocalStack wrote: ``StartExecution`` deep-copies the state machine, starts
a thread, and that thread parses the definition (ANTLR) and evaluates it. A user then polls
``DescribeExecution``. What the peer cannot do, and why, is said where it matters:

* Lambda tasks need moto's Lambda emulation, which runs functions in Docker: no local handlers.
* Retry back-off and Wait states sleep in real time (``time.sleep`` / ``Event.wait``).
* A Map with MaxConcurrency 1 recurses once per item; at 1,000 items a worker thread dies of
  ``RecursionError`` and the execution stays RUNNING. :meth:`MotoPeer.run` notices the dead
  thread and reports the execution as stuck instead of waiting forever.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto import mock_aws
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from moto.stepfunctions.parser.utils import TMP_THREADS

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/asl-benchmark"
#: How often the driver asks DescribeExecution (sleeping releases the GIL to the worker thread;
#: polling without a pause doubles the peer's latency, polling every 1 ms adds up to 1 ms).
POLL_SECONDS = 0.0002
#: How long a RUNNING execution may go on after a worker thread died before it counts as stuck.
STUCK_GRACE_SECONDS = 2.0


@dataclass
class PeerRun:
    """One execution on the peer: how it ended (or ``stuck``/``timeout``) and how long it took."""

    status: str
    output: Any
    seconds: float
    problem: str | None = None


class MotoPeer:
    """A moto mock with its Step Functions executor on, and helpers to run workloads on it."""

    def __init__(self) -> None:
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._names = 0
        self.thread_errors: list[tuple[float, str]] = []
        self._previous_hook = threading.excepthook
        self.client: Any = None

    def __enter__(self) -> MotoPeer:
        self._mock.start()
        self.client = boto3.client("stepfunctions", region_name=REGION)
        threading.excepthook = self._record_thread_error
        return self

    def __exit__(self, *exc_info: object) -> None:
        threading.excepthook = self._previous_hook
        self._mock.stop()

    def _record_thread_error(self, args: threading.ExceptHookArgs) -> None:
        # moto's worker threads die silently for the user; keep what killed them for the report.
        self.thread_errors.append((time.perf_counter(), args.exc_type.__name__))

    def _name(self, prefix: str) -> str:
        self._names += 1
        return f"{prefix}-{self._names}"

    @property
    def backend(self) -> Any:
        """moto's in-memory Step Functions backend (for measurements that bypass the API)."""
        return stepfunctions_parser_backends[ACCOUNT][REGION]

    def create(self, definition: dict[str, Any] | str, prefix: str = "sm") -> str:
        """CreateStateMachine; returns the ARN."""
        text = definition if isinstance(definition, str) else json.dumps(definition)
        response = self.client.create_state_machine(
            name=self._name(prefix), definition=text, roleArn=ROLE_ARN
        )
        return str(response["stateMachineArn"])

    def validate(self, definition: dict[str, Any] | str) -> tuple[bool, str]:
        """Whether CreateStateMachine accepts ``definition`` (moto's only validation step)."""
        try:
            self.create(definition, prefix="validate")
        except self.client.exceptions.ClientError as problem:
            return False, str(problem)
        except Exception as problem:  # moto raises its own exception classes too
            return False, f"{type(problem).__name__}: {problem}"
        return True, ""

    @staticmethod
    def parse_seconds(definition: dict[str, Any] | str) -> float:
        """How long moto's ANTLR parser takes on ``definition`` (it re-parses every execution)."""
        text = definition if isinstance(definition, str) else json.dumps(definition)
        begin = time.perf_counter()
        AmazonStateLanguageParser.parse(text)
        return time.perf_counter() - begin

    def run(self, machine_arn: str, execution_input: str, *, timeout: float) -> PeerRun:
        """StartExecution, then poll DescribeExecution until the execution ends.

        Returns ``stuck`` if a worker thread died while the execution stayed RUNNING, and
        ``timeout`` after ``timeout`` seconds.
        """
        errors_before = len(self.thread_errors)
        begin = time.perf_counter()
        arn = self.client.start_execution(
            stateMachineArn=machine_arn, name=self._name("exec"), input=execution_input
        )["executionArn"]
        while True:
            described = self.client.describe_execution(executionArn=arn)
            status = described["status"]
            now = time.perf_counter()
            if status != "RUNNING":
                output = json.loads(described["output"]) if "output" in described else None
                return PeerRun(status, output, now - begin)
            if len(self.thread_errors) > errors_before:
                died_at, error = self.thread_errors[errors_before]
                if now - died_at > STUCK_GRACE_SECONDS:
                    self._abandon(arn)
                    problem = (
                        f"a worker thread died of {error} after {died_at - begin:.1f} s; the "
                        f"execution was still RUNNING {STUCK_GRACE_SECONDS:.0f} s later"
                    )
                    return PeerRun("stuck", None, now - begin, problem)
            if now - begin > timeout:
                self._abandon(arn)
                return PeerRun("timeout", None, now - begin, f"still RUNNING after {timeout:.0f} s")
            time.sleep(POLL_SECONDS)

    def _abandon(self, execution_arn: str) -> None:
        # StopExecution lets threads blocked on the execution's events go; best effort only.
        with contextlib.suppress(Exception):  # one that cannot be stopped is left to itself
            self.client.stop_execution(executionArn=execution_arn)

    def run_direct(self, machine_arn: str, execution_input: str) -> PeerRun:
        """Start an execution on the backend and join its worker thread: no API, no polling.

        This is the peer's engine alone (deep copy, parse, evaluate), the fairest latency figure.
        """
        threads_before = len(TMP_THREADS)
        begin = time.perf_counter()
        execution = self.backend.start_execution(
            machine_arn, name=self._name("direct"), execution_input=execution_input
        )
        for thread in TMP_THREADS[threads_before:]:
            thread.join()
        seconds = time.perf_counter() - begin
        # The backend keeps the output as parsed JSON (DescribeExecution serialises it).
        status = getattr(execution.exec_status, "value", str(execution.exec_status))
        return PeerRun(str(status), execution.output, seconds)


@contextmanager
def moto_peer() -> Iterator[MotoPeer]:
    """``with moto_peer() as peer:`` — a started :class:`MotoPeer`."""
    peer = MotoPeer()
    with peer:
        yield peer
