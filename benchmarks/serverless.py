"""The serverless deployment, measured: throughput on the local cloud, and what an execution costs.

1. **Throughput** — ``asl serve --serverless``'s cloud (:class:`~interpreter.cloud.supervisor.
   LocalCloud`: the API process, N worker processes, the sweep; moto's server in a process of
   its own) with 1, 2 and 4 worker processes. For each sample, client threads each keep one
   execution running (start it through boto3, poll until it ends, start the next) for a fixed
   time; the rate is taken from the executions' own dates. Executions/s and billable state
   transitions/s (each state entered, plus each retry: what Step Functions Standard bills) are
   printed with the machine's load average and the CPU each process used: on a 2-core machine
   four workers cannot be faster than two, and moto's server takes most of it.

2. **Cost** — the handlers ``template.yaml`` names (``handlers.api.handler`` for StartExecution,
   ``handlers.worker.handler`` for every SQS batch, as the event-source mapping hands it over),
   called in this process against moto's server, with their boto3 clients wrapped by a meter
   (``serverless_cost.py``) that charges every call to its execution by AWS's billing rules.
   Counting in one process is exact (every call is seen, item sizes are known, nothing depends
   on which worker took a message) and measures the handlers' own CPU time apart from the
   services' (moto runs in another process). The executions of every sample are started
   together, so the worker's batches fill as under load; the same counts priced with one
   message per batch give the cost on an idle system. Each execution also pays for the delayed
   wake-up messages its tasks arm (they arrive ten seconds later and find nothing to do), so
   the run waits for the queue to be empty.

Each execution's status and output are checked against an in-process run of the same sample.

    python benchmarks/serverless.py                 # both (~15 minutes on 2 cores)
    python benchmarks/serverless.py --quick         # small counts, one worker: a smoke run
    python benchmarks/serverless.py --only cost     # or: --only throughput
    python benchmarks/serverless.py --json results.json
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for entry in (str(HERE), str(ROOT)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import boto3  # noqa: E402
import serverless_cost as C  # noqa: E402
from botocore.config import Config  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/asl-benchmark"
REGION = "us-east-1"
ACCOUNT = "123456789012"
SAMPLES_DIR = ROOT / "samples"
ORDERS = SAMPLES_DIR / "handlers" / "orders.py"
#: The sample's Lambda functions, served by its local handlers (``asl serve --lambda``).
LAMBDAS = (
    f"ReserveStock={ORDERS}:reserve_stock",
    f"ChargeCard={ORDERS}:charge_card",
    f"ReleaseStock={ORDERS}:release_stock",
)
PASS_CHAIN_STATES = 10
#: Executions kept running at once by the throughput run's clients: enough to keep the workers
#: busy, few enough that the queue's backlog stays well under the runtime's dispatch grace (10
#: s; beyond it every queued task is sent again: see docs/scale.md).
IN_FLIGHT = 16
#: Histories read per sample and run to count its transitions.
HISTORY_SAMPLE = 25
#: moto's server takes any key.
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


# ---------------------------------------------------------------------------------------------
# The samples


@dataclass(frozen=True, slots=True)
class Sample:
    """A state machine of samples/ and the inputs its executions get."""

    name: str
    definition: str
    make_input: Callable[[int], Any]
    #: Billed duration of one execution on Step Functions Express (see EXPRESS_NOTE).
    express_seconds: float


def _order(index: int) -> dict[str, Any]:
    order = json.loads((SAMPLES_DIR / "order.json").read_text())
    # A new order id per execution: ReserveStock is busy on an order's first call (one retry).
    order["order"]["id"] = f"ord-{index}-{uuid.uuid4().hex[:6]}"
    return order


def _pass_chain(states: int) -> str:
    names = [f"Step{index}" for index in range(states)]
    definition: dict[str, Any] = {"StartAt": names[0], "States": {}}
    for index, name in enumerate(names):
        state: dict[str, Any] = {
            "Type": "Pass",
            "Parameters": {"step": index, "value.$": "$.value"},
        }
        if index + 1 < states:
            state["Next"] = names[index + 1]
        else:
            state["End"] = True
        definition["States"][name] = state
    return json.dumps(definition)


SAMPLES = (
    Sample(
        "order-processing",
        (SAMPLES_DIR / "order-processing.asl.json").read_text(),
        _order,
        # ReserveStock's one retry waits IntervalSeconds 2 with FULL jitter: 1 s on average,
        # plus three Lambda calls.
        express_seconds=1.1,
    ),
    Sample(
        "map-fanout",
        (SAMPLES_DIR / "map-fanout.asl.json").read_text(),
        lambda index: json.loads((SAMPLES_DIR / "items.json").read_text()),
        express_seconds=0.1,
    ),
    Sample(
        "parallel-aggregation",
        (SAMPLES_DIR / "parallel-aggregation.asl.json").read_text(),
        lambda index: {"customerId": f"c-{index}"},
        express_seconds=0.1,
    ),
    Sample(
        f"pass-chain-{PASS_CHAIN_STATES}",
        _pass_chain(PASS_CHAIN_STATES),
        lambda index: {"value": index},
        express_seconds=0.1,
    ),
)
EXPRESS_NOTE = (
    "Express: $1.00 per million requests + 64 MB for the run time, rounded up to 100 ms "
    "(order-processing: 1.1 s, its retry's average FULL-jitter back-off of a 2 s interval and "
    "three Lambda calls; the others: the 100 ms minimum)"
)


class BenchmarkError(RuntimeError):
    """An execution did not end as its in-process run does."""


@functools.cache
def _reference(sample: Sample) -> Any:
    from interpreter.machine import StateMachine

    return StateMachine(sample.definition, name=sample.name)


def expected_output(sample: Sample, execution_input: Any, name: str) -> Any:
    """The output of the same execution run in-process (the reference)."""
    from interpreter.cli_run import load_handlers

    result = _reference(sample).run(
        execution_input,
        lambdas=load_handlers(list(LAMBDAS)),
        execution_name=name,
        state_machine_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{sample.name}",
    )
    if result.status != "SUCCEEDED":
        raise BenchmarkError(f"{sample.name} does not succeed in-process: {result.error}")
    return result.output


def billable_transitions(history: Sequence[Mapping[str, Any]]) -> int:
    """State transitions as Step Functions Standard bills them: every state entered, plus every
    retry of a task (each attempt after the first within one entry of its state)."""
    entered = sum(1 for event in history if str(event["type"]).endswith("StateEntered"))
    task_entries = sum(1 for event in history if event["type"] == "TaskStateEntered")
    attempts = sum(
        1
        for event in history
        if event["type"] in ("LambdaFunctionScheduled", "TaskScheduled", "ActivityScheduled")
    )
    return entered + max(0, attempts - task_entries)


def _check(sample: Sample, name: str, execution_input: Any, described: Mapping[str, Any]) -> None:
    if described["status"] != "SUCCEEDED":
        raise BenchmarkError(f"{sample.name} {name}: {described['status']}")
    output = json.loads(described["output"])
    if output != expected_output(sample, execution_input, name):
        raise BenchmarkError(f"{sample.name} {name}: unexpected output {output}")


# ---------------------------------------------------------------------------------------------
# 1. Throughput on the local cloud


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[Path]:
    """Send this process's stderr, which the cloud's processes inherit (the sample handlers'
    START/REPORT lines, the request log), to a file while the cloud runs."""
    with tempfile.NamedTemporaryFile("w+b", prefix="asl-cloud-", suffix=".log", delete=False) as f:
        path = Path(f.name)
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY)
    os.dup2(target, 2)
    os.close(target)
    try:
        yield path
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _sfn(url: str, connections: int) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name=REGION,
        **LOCAL_CREDENTIALS,
        config=Config(
            inject_host_prefix=False,
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=connections,
        ),
    )


def _history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**arguments)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        arguments["nextToken"] = page["nextToken"]


def _wait_for(sfn: Any, arns: Sequence[str], timeout_s: float) -> None:
    """Wait until every execution has ended (one DescribeExecution at a time: a listing's
    index query costs moto's server a pass over the whole table)."""
    pending = list(arns)
    deadline = time.monotonic() + timeout_s
    while pending:
        if sfn.describe_execution(executionArn=pending[-1])["status"] != "RUNNING":
            pending.pop()
            continue
        if time.monotonic() > deadline:
            raise BenchmarkError(f"{len(pending)} executions still running after {timeout_s:.0f} s")
        time.sleep(0.25)


def throughput_run(
    workers: int,
    samples: Sequence[Sample],
    seconds: float,
    in_flight: int = IN_FLIGHT,
) -> dict[str, Any]:
    """Executions/s and transitions/s of each sample on a local cloud of ``workers`` worker
    processes: ``in_flight`` client threads each start an execution, wait for its end and start
    the next, for ``seconds``."""
    from interpreter.cloud.supervisor import CloudOptions, LocalCloud

    results: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(_quiet_stderr())
        # moto's server in its own process (a fresh, empty one per run), not in this one: the
        # client threads here would compete with it for one interpreter lock.
        endpoint = stack.enter_context(_moto_server())
        options = CloudOptions(
            workers=workers, port=0, lambdas=LAMBDAS, log_level="WARNING", endpoint_url=endpoint
        )
        cloud = stack.enter_context(LocalCloud(options))
        sfn = _sfn(cloud.url, in_flight)
        machines = {
            sample.name: sfn.create_state_machine(
                name=sample.name, definition=sample.definition, roleArn=ROLE
            )["stateMachineArn"]
            for sample in samples
        }
        _warm_up(sfn, samples, machines, workers)
        for sample in samples:
            logged = log.stat().st_size
            cpu_before = _cpu_seconds(cloud, _MOTO_PIDS[endpoint])
            load_before = os.getloadavg()[0]
            done = _closed_loop(sfn, sample, machines[sample.name], seconds, in_flight)
            load_after = os.getloadavg()[0]
            cpu_after = _cpu_seconds(cloud, _MOTO_PIDS[endpoint])
            with log.open("rb") as text:
                text.seek(logged)
                redispatches = text.read().count(b"was not taken: sending it again")
            results[sample.name] = _throughput(sfn, sample, done, redispatches) | {
                "in_flight": in_flight,
                "load_before": load_before,
                "load_after": load_after,
                "cpu_seconds": {role: cpu_after[role] - cpu_before[role] for role in cpu_after},
            }
        restarts = cloud.restarts()
    log.unlink(missing_ok=True)
    return {"workers": workers, "samples": results, "restarts": restarts}


def _closed_loop(
    sfn: Any, sample: Sample, machine: str, seconds: float, in_flight: int
) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """Keep ``in_flight`` executions running for ``seconds``; returns those that ended, with
    their name, input and DescribeExecution."""
    deadline = time.monotonic() + seconds
    done: list[tuple[str, str, Any, dict[str, Any]]] = []
    lock = threading.Lock()

    def client(thread: int) -> None:
        index = 0
        while time.monotonic() < deadline:
            name = f"{sample.name}-{uuid.uuid4().hex[:10]}"
            execution_input = sample.make_input(thread * 100_000 + index)
            index += 1
            arn = sfn.start_execution(
                stateMachineArn=machine, name=name, input=json.dumps(execution_input)
            )["executionArn"]
            while True:
                described = sfn.describe_execution(executionArn=arn)
                if described["status"] != "RUNNING":
                    break
                # Not faster: polling is work for the API and moto too (the end date is the
                # cloud's own, whatever the polling).
                time.sleep(0.5)
            with lock:
                done.append((arn, name, execution_input, described))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(in_flight)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done


def _throughput(
    sfn: Any,
    sample: Sample,
    done: Sequence[tuple[str, str, Any, dict[str, Any]]],
    redispatches: int,
) -> dict[str, Any]:
    for _, name, execution_input, described in done:
        _check(sample, name, execution_input, described)
    # From the first start to the last stop (the cloud's processes share this clock).
    span = (
        max(d["stopDate"] for *_, d in done) - min(d["startDate"] for *_, d in done)
    ).total_seconds()
    latencies = sorted((d["stopDate"] - d["startDate"]).total_seconds() for *_, d in done)
    # Transitions per execution from a sample of the histories (reading them all would take
    # longer than the run).
    sampled = [arn for arn, *_ in done][:: max(1, len(done) // HISTORY_SAMPLE)]
    per_execution = sum(billable_transitions(_history(sfn, arn)) for arn in sampled) / len(sampled)
    transitions = per_execution * len(done)
    return {
        "executions": len(done),
        "seconds": span,
        "executions_per_s": len(done) / span,
        "transitions": transitions,
        "transitions_per_s": transitions / span,
        "median_latency_s": latencies[len(latencies) // 2],
        "redispatches": redispatches,
    }


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux's /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(cloud: Any, moto_pid: int) -> dict[str, float]:
    """CPU seconds used so far by each role: moto's server, the API, the workers, the sweep, and
    this process (the client)."""
    used = {"moto": _process_cpu(moto_pid), "client": time.process_time()}
    for role in ("api", "worker", "sweep"):
        used[role] = sum(_process_cpu(process.pid) for process in cloud.processes(role))
    return used


def _warm_up(
    sfn: Any, samples: Sequence[Sample], machines: Mapping[str, str], workers: int
) -> None:
    """Run a few executions of every sample first: each worker process imports the handlers
    and opens its connections on its first batch (a cold start is not throughput)."""
    arns = [
        sfn.start_execution(
            stateMachineArn=machines[sample.name],
            name=f"warm-up-{workers}-{index}-{uuid.uuid4().hex[:6]}",
            input=json.dumps(sample.make_input(index)),
        )["executionArn"]
        for sample in samples
        for index in range(2 * workers)
    ]
    _wait_for(sfn, arns, timeout_s=180)


# ---------------------------------------------------------------------------------------------
# 2. Cost per execution, counted


#: The process of each moto server this module started, by URL.
_MOTO_PIDS: dict[str, int] = {}


@contextlib.contextmanager
def _moto_server() -> Iterator[str]:
    """moto's server in its own process (its time is not the handlers')."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    # Our own command line: moto's server on loopback.
    process = subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    _MOTO_PIDS[url] = process.pid
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchmarkError("moto's server did not start")
            time.sleep(0.05)
        yield url
    finally:
        _MOTO_PIDS.pop(url, None)
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Deployment:
    """The handlers in this process, their clients metered."""

    def __init__(self, endpoint: str, meter: C.Meter, settings: Any) -> None:
        from handlers import deployment as module
        from interpreter.cloud.functions import LambdaContext, function_url_event, sqs_event

        self.meter = meter
        self.settings = settings
        self._module = module
        self._original_client = module._client
        self._function_url_event = function_url_event
        self._sqs_event = sqs_event
        self._context = LambdaContext
        module._client = lambda service: C.MeteredClient(
            self._original_client(service), service, meter
        )
        self._clear()
        from handlers.api import handler as api_handler
        from handlers.worker import handler as worker_handler

        self.api_handler = api_handler
        self.worker_handler = worker_handler
        runtime = module.runtime()
        handle = runtime.handle

        def metered_handle(message: Any, attempt: int = 1) -> None:
            kind = str(message["kind"]) + (" (wake-up)" if message.get("wake_ms") else "")
            with meter.message(message["arn"], kind):
                before = runtime.counters.tasks_run
                try:
                    handle(message, attempt)
                finally:
                    tasks = runtime.counters.tasks_run - before
                    meter.charge("lambda_invokes", tasks, tasks * meter.latency.lambda_invoke_ms)

        runtime.handle = metered_handle  # type: ignore[method-assign]
        raw = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
        self.raw_sqs = raw
        self.poller = C.MeteredClient(raw, "sqs", meter)
        self.queue_url = os.environ["QUEUE_URL"]
        self.queue_arn = raw.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    def _clear(self) -> None:
        self._module.deployment.cache_clear()
        self._module.service.cache_clear()
        self._module.queue_client.cache_clear()

    def close(self) -> None:
        self._module._client = self._original_client
        self._clear()

    def api(self, action: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """One API request through the function URL's event and the API function."""
        event = self._function_url_event(
            "POST",
            "/",
            {
                "x-amz-target": f"AWSStepFunctions.{action}",
                "content-type": "application/x-amz-json-1.0",
            },
            json.dumps(request).encode(),
        )
        answer = self.api_handler(event, self._context("asl-api", self.settings.api_timeout_s))
        body = json.loads(answer["body"])
        if answer["statusCode"] != 200:
            raise BenchmarkError(f"{action}: {answer['statusCode']} {body}")
        return dict(body)

    def start(self, machine_arn: str, name: str, execution_input: Any) -> str:
        """StartExecution, metered as one invocation of the API function."""
        with self.meter.invocation("api") as invocation:
            answer = self.api(
                "StartExecution",
                {
                    "stateMachineArn": machine_arn,
                    "name": name,
                    "input": json.dumps(execution_input),
                },
            )
            invocation.owners.append(answer["executionArn"])
        return str(answer["executionArn"])

    def drain(self, timeout_s: float) -> dict[str, int]:
        """Run the worker on the queue's batches, as the event-source mapping does, until the
        queue is empty (delayed messages included)."""
        batches = messages = empty = 0
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.meter.scope() as receiving:
                received = self.poller.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=self.settings.batch_size,
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            self.meter.distribute(receiving, [_owner(m) for m in received])
            if not received:
                empty += 1
                if self._queue_empty():
                    return {"batches": batches, "messages": messages, "empty_receives": empty}
                continue
            batches += 1
            messages += len(received)
            event = self._sqs_event(received, self.queue_arn, REGION)
            context = self._context("asl-worker", self.settings.worker_timeout_s)
            with self.meter.invocation("worker"):
                answer = self.worker_handler(event, context)
            failed = {entry["itemIdentifier"] for entry in answer.get("batchItemFailures") or []}
            if failed:
                raise BenchmarkError(f"the worker failed {len(failed)} messages")
            with self.meter.scope() as deleting:
                self.poller.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                        for index, message in enumerate(received)
                    ],
                )
            self.meter.distribute(deleting, [_owner(m) for m in received])
        raise BenchmarkError(f"the work queue did not empty in {timeout_s:.0f} s")

    def _queue_empty(self) -> bool:
        attributes = self.raw_sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return all(int(value) == 0 for value in attributes.values())


def _owner(message: Mapping[str, Any]) -> str:
    return str(json.loads(message["Body"])["arn"])


def cost_run(
    samples: Sequence[Sample],
    executions: int,
    latency: C.Latency | None = None,
    environment: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Count what each sample's executions use (per execution), and price it. ``environment``
    adds to the functions' (the smoke test shortens the runtime's patience with it)."""
    from interpreter.adapters import handler_output
    from interpreter.adapters.dynamodb_store import table_definition
    from interpreter.cloud.settings import CloudSettings, provision

    settings = CloudSettings()
    with _moto_server() as endpoint:
        functions = {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "ACCOUNT_ID": ACCOUNT,
            "TABLE_NAME": settings.table_name,
            "RETENTION_DAYS": str(settings.retention_days),
            "ASL_LAMBDAS": json.dumps(list(LAMBDAS)),
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "AslInterpreter",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **(environment or {}),
        }
        with _environment(functions):
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            sqs = boto3.client("sqs", region_name=REGION)
            os.environ["QUEUE_URL"] = provision(settings, dynamodb, sqs)
            meter = C.Meter(
                table=table_definition(settings.table_name),
                latency=latency,
                memory_mb=settings.memory_mb,
            )
            handler_output.configure("off")
            stdout = sys.stdout
            deployment = _Deployment(endpoint, meter, settings)
            try:
                sys.stdout = C.CountingStream(meter)  # type: ignore[assignment]
                measured = _count(deployment, samples, executions)
            finally:
                sys.stdout = stdout
                deployment.close()
                handler_output.configure("full")
                os.environ.pop("QUEUE_URL", None)
    return _price_counts(samples, measured, settings)


def _count(deployment: _Deployment, samples: Sequence[Sample], executions: int) -> dict[str, Any]:
    meter = deployment.meter
    with meter.scope():
        machines = {
            sample.name: deployment.api(
                "CreateStateMachine",
                {"name": sample.name, "definition": sample.definition, "roleArn": ROLE},
            )["stateMachineArn"]
            for sample in samples
        }
    started: dict[str, list[tuple[str, str, Any]]] = {}
    for sample in samples:
        started[sample.name] = []
        for index in range(executions):
            name = f"{sample.name}-{index}"
            execution_input = sample.make_input(index)
            arn = deployment.start(machines[sample.name], name, execution_input)
            started[sample.name].append((arn, name, execution_input))
    queue = deployment.drain(timeout_s=300)
    sweep_units = _one_sweep(deployment)
    counts: dict[str, Any] = {"queue": queue, "sweep_read_units": sweep_units, "samples": {}}
    # What a client's DescribeExecution costs (polling for the end is not free here).
    first_arn = started[samples[0].name][0][0]
    with meter.invocation("api") as describing:
        deployment.api("DescribeExecution", {"executionArn": first_arn})
        describing.owners.append("DescribeExecution")
    counts["describe"] = dict(meter.ledger["DescribeExecution"])
    with meter.scope():
        for sample in samples:
            transitions = []
            for arn, name, execution_input in started[sample.name]:
                _check(
                    sample,
                    name,
                    execution_input,
                    deployment.api("DescribeExecution", {"executionArn": arn}),
                )
                history = deployment.api(
                    "GetExecutionHistory", {"executionArn": arn, "maxResults": 1000}
                )["events"]
                transitions.append(billable_transitions(history))
            counts["samples"][sample.name] = {
                "arns": [a for a, _, _ in started[sample.name]],
                "transitions": transitions,
            }
    stored = meter.stored_bytes(lambda pk: pk[3:] if pk.startswith("EX#") else None)
    for entry in counts["samples"].values():
        usage: Counter[str] = Counter()
        for arn in entry["arns"]:
            usage.update(meter.ledger.get(arn, Counter()))
            usage["stored_bytes"] += stored.get(arn, 0.0)
        entry["usage"] = {key: value / len(entry["arns"]) for key, value in sorted(usage.items())}
    counts["idle"] = dict(meter.ledger.get("idle", Counter()))
    counts["message_kinds"] = {kind: dict(usage) for kind, usage in meter.kinds.items()}
    return counts


def _one_sweep(deployment: _Deployment) -> float:
    """The read units of one sweep of an idle deployment (its fixed cost)."""
    meter = deployment.meter
    with meter.scope() as sweeping:
        deployment._module.runtime().sweep()
    return C.total(sweeping.usage, "rru")


def _low_load(usage: Mapping[str, float]) -> dict[str, float]:
    """The same work with one message per batch: a Lambda request, a ReceiveMessage and a
    DeleteMessageBatch per message (an idle system's event-source mapping)."""
    changed = dict(usage)
    messages = C.total(usage, "messages")
    for key in [
        k
        for k in changed
        if k.startswith(
            ("lambda_requests|worker", "sqs_requests|receive", "sqs_requests|delete_message_batch")
        )
    ]:
        changed[key] = messages
    # The invocation's own time (outside the messages) is paid per message too.
    return changed


def _price_counts(
    samples: Sequence[Sample], counts: Mapping[str, Any], settings: Any
) -> dict[str, Any]:
    priced: dict[str, Any] = {
        "queue": counts["queue"],
        "samples": {},
        "message_kinds": counts["message_kinds"],
    }
    for sample in samples:
        entry = counts["samples"][sample.name]
        usage = entry["usage"]
        transitions = sum(entry["transitions"]) / len(entry["transitions"])
        loaded = C.price(
            usage, memory_mb=settings.memory_mb, retention_days=settings.retention_days
        )
        idle = C.price(
            _low_load(usage), memory_mb=settings.memory_mb, retention_days=settings.retention_days
        )
        standard = C.standard_cost(transitions)
        express = C.express_cost(sample.express_seconds)
        priced["samples"][sample.name] = {
            "transitions": transitions,
            "usage": usage,
            "cost": loaded.lines(),
            "cost_one_message_per_batch": idle.lines(),
            "standard": standard,
            "express": express,
        }
    priced["fixed"] = _fixed_costs(settings, counts["sweep_read_units"])
    priced["describe"] = C.price(
        counts["describe"], memory_mb=settings.memory_mb, retention_days=0
    ).total
    return priced


def _fixed_costs(settings: Any, sweep_read_units: float) -> dict[str, float]:
    """What the deployment costs a month with no executions: the sweep function runs for most of
    its minute (it sweeps every SWEEP_INTERVAL_SECONDS until its time is nearly up), its
    queries, and its requests."""
    prices = C.PRICES
    minutes = 30.4375 * 24 * 60
    interval = 10.0  # SWEEP_INTERVAL_SECONDS (the handler's default; the template sets none)
    # handlers/sweep.py: sweep, then stop if less than interval + 5 s remain, else sleep.
    busy_s, sweeps_per_run = 0.0, 1
    while settings.sweep_timeout_s - busy_s >= interval + 5:
        busy_s += interval
        sweeps_per_run += 1
    # Lambda's SQS pollers, idle: two to five long polls of 20 s at a time (Lambda's scaling
    # guide), each a ReceiveMessage request.
    idle_receives = minutes * 3 * 5
    return {
        "event-source mapping's idle polling (at most)": idle_receives
        * prices.sqs_per_million_requests
        / 1e6,
        "sweep Lambda duration": minutes
        * busy_s
        * settings.memory_mb
        / 1024
        * prices.lambda_per_gb_second,
        "sweep Lambda requests": minutes * prices.lambda_per_million_requests / 1e6,
        "sweep queries": minutes
        * sweeps_per_run
        * sweep_read_units
        * prices.dynamodb_per_million_read_units
        / 1e6,
    }


# ---------------------------------------------------------------------------------------------
# Reporting


def _money(value: float) -> str:
    if value >= 1:
        return f"${value:,.2f}"
    if value >= 0.01:
        return f"${value:.3f}"
    return f"${value:.2e}"


_ROLES = ("moto", "api", "worker", "sweep", "client")


def report_throughput(runs: Sequence[Mapping[str, Any]]) -> None:
    """The throughput table, and the CPU each process used."""
    print(
        f"\nThroughput on the local cloud ({os.cpu_count()} CPUs; {IN_FLIGHT} executions in "
        "flight; load average before/after)"
    )
    print(
        f"{'sample':<24}{'workers':>8}{'ended':>7}{'seconds':>9}{'exec/s':>9}"
        f"{'trans/s':>9}{'p50 s':>7}{'resent':>8}{'load':>11}"
    )
    for run in runs:
        for name, entry in run["samples"].items():
            load = f"{entry['load_before']:.1f}/{entry['load_after']:.1f}"
            print(
                f"{name:<24}{run['workers']:>8}{entry['executions']:>7}{entry['seconds']:>9.1f}"
                f"{entry['executions_per_s']:>9.1f}{entry['transitions_per_s']:>9.1f}"
                f"{entry['median_latency_s']:>7.2f}{entry['redispatches']:>8}{load:>11}"
            )
    print(
        "resent: tasks the runtime sent again because no worker had taken them within its "
        "dispatch grace (a queue backlog). Executions without Task or Wait states end inside "
        "StartExecution (the API function runs the first decision): workers do not change "
        "their rate."
    )
    print(
        f"\nCPU used by each process during each run ({os.cpu_count()} CPUs): seconds, and "
        "milliseconds per execution for moto's server and for the functions (API + workers + "
        "sweep)"
    )
    print(
        f"{'sample':<24}{'workers':>8}"
        + "".join(f"{role:>8}" for role in _ROLES)
        + f"{'moto ms/ex':>12}{'ours ms/ex':>12}{'tr/exec':>9}"
    )
    for run in runs:
        for name, entry in run["samples"].items():
            cpu = entry["cpu_seconds"]
            ours = sum(cpu.get(role, 0.0) for role in ("api", "worker", "sweep"))
            count = max(1, entry["executions"])
            print(
                f"{name:<24}{run['workers']:>8}"
                + "".join(f"{cpu.get(role, 0.0):>8.1f}" for role in _ROLES)
                + f"{cpu.get('moto', 0.0) / count * 1000:>12.0f}{ours / count * 1000:>12.0f}"
                + f"{entry['transitions'] / count:>9.2f}"
            )


def report_cost(priced: Mapping[str, Any]) -> None:
    prices = C.PRICES
    print(
        f"\nCost per execution ({prices.region} list prices as of {prices.as_of}; Lambda arm64 "
        f"{C.ONE_VCPU_MB} MB = 1 vCPU; latencies modelled: {C.Latency()})"
    )
    header = (
        f"{'sample':<24}{'trans.':>7}{'ours':>11}{'idle':>11}{'Standard':>11}{'Express':>11}"
        f"{'ours/M tr.':>12}{'Std/M tr.':>11}{'ratio':>8}"
    )
    print(header)
    for name, entry in priced["samples"].items():
        ours = entry["cost"]["total"]
        idle = entry["cost_one_message_per_batch"]["total"]
        per_million = ours / entry["transitions"] * 1e6
        print(
            f"{name:<24}{entry['transitions']:>7.1f}{_money(ours):>11}{_money(idle):>11}"
            f"{_money(entry['standard']):>11}{_money(entry['express']):>11}"
            f"{_money(per_million):>12}{_money(25.0):>11}{ours / entry['standard']:>8.2f}"
        )
    print(EXPRESS_NOTE)
    print("\nWhere the cost goes (per execution, batches as measured):")
    lines = list(next(iter(priced["samples"].values()))["cost"])
    print(f"{'sample':<24}" + "".join(f"{line[:12]:>13}" for line in lines))
    for name, entry in priced["samples"].items():
        print(f"{name:<24}" + "".join(f"{_money(entry['cost'][line]):>13}" for line in lines))
    print("\nCounted per execution:")
    for name, entry in priced["samples"].items():
        usage = entry["usage"]
        print(
            f"  {name}: {C.total(usage, 'wru'):.1f} WRU + "
            f"{C.total(usage, 'gsi_wru'):.1f} index WRU, "
            f"{C.total(usage, 'rru'):.1f} RRU, {C.total(usage, 'sqs_requests'):.1f} SQS requests, "
            f"{C.total(usage, 'messages'):.1f} messages, {C.total(usage, 'lambda_requests'):.2f} "
            f"Lambda requests, {C.total(usage, 'lambda_ms'):.0f} ms Lambda "
            f"({C.total(usage, 'cpu_ms'):.1f} ms CPU here), {usage.get('stored_bytes', 0):.0f} "
            "bytes kept"
        )
        detail = sorted(
            (
                (key, value)
                for key, value in usage.items()
                if key.startswith(("wru|", "gsi_wru|", "rru|"))
            ),
            key=lambda item: -item[1],
        )
        print("    " + ", ".join(f"{key} {value:.1f}" for key, value in detail))
    print("\nWhat the worker's messages use, by kind (all samples; per message):")
    print(f"{'kind':<22}{'messages':>9}{'WRU':>7}{'RRU':>7}{'sends':>7}{'Lambda ms':>11}")
    for kind, usage in sorted(priced["message_kinds"].items()):
        count = usage["messages"]
        writes = C.total(usage, "wru") + C.total(usage, "gsi_wru")
        print(
            f"{kind:<22}{count:>9.0f}{writes / count:>7.1f}{C.total(usage, 'rru') / count:>7.1f}"
            f"{C.total(usage, 'sqs_requests') / count:>7.1f}"
            f"{C.total(usage, 'lambda_ms') / count:>11.1f}"
        )
    print("\nFixed monthly cost of a deployment (no executions):")
    for line, value in priced["fixed"].items():
        print(f"  {line}: {_money(value)}")
    print(
        f"  total: {_money(sum(priced['fixed'].values()))} (CloudWatch's custom metrics from "
        "the handlers' EMF lines are not counted: $0.30 a metric a month each)"
    )
    print(
        f"A client's DescribeExecution (API function + record read): {_money(priced['describe'])}"
    )
    queue = priced["queue"]
    print(
        f"Batches: {queue['messages']} messages in {queue['batches']} batches "
        f"({queue['messages'] / max(1, queue['batches']):.1f} per batch)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke test)")
    parser.add_argument("--only", choices=("throughput", "cost"))
    parser.add_argument("--workers", help="worker process counts (default 1,2,4; quick: 1)")
    parser.add_argument("--executions", type=int, help="executions per sample (cost)")
    parser.add_argument("--seconds", type=float, help="seconds per sample and run (throughput)")
    parser.add_argument("--samples", help="sample names, comma-separated (default: all)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    # A terminated run stops its cloud's processes and moto's server (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = args.samples.split(",") if args.samples else [sample.name for sample in SAMPLES]
    samples = [sample for sample in SAMPLES if sample.name in chosen]
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "prices": {"region": C.PRICES.region, "as_of": C.PRICES.as_of},
    }
    if args.only in (None, "throughput"):
        seconds = args.seconds or (3.0 if args.quick else 30.0)
        counts = args.workers or ("1" if args.quick else "1,2,4")
        runs = [throughput_run(int(n), samples, seconds) for n in counts.split(",")]
        results["throughput"] = runs
        report_throughput(runs)
    if args.only in (None, "cost"):
        executions = args.executions or (3 if args.quick else 40)
        priced = cost_run(samples, executions)
        results["cost"] = priced
        report_cost(priced)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
