"""Composition: the one place that chooses adapters and wires a deployment together.

The runtime owns its ports (:mod:`interpreter.runtime.ports`) and imports no adapter; the API
drives a runtime it is given. This module picks the adapters for each way the interpreter runs
and builds the parts, with no I/O in any constructor (reading what a store already holds —
activities, executions to resume — is an explicit step here):

* :func:`local_runner` — the in-process driver of ``asl run`` and ``StateMachine.run``;
* :func:`local_deployment` / :func:`local_service` — ``asl serve`` and the test fixtures: the
  durable runtime over an in-memory or SQLite store, an in-memory queue, a virtual or real clock;
* :func:`serverless_deployment` — the Lambda handlers: DynamoDB and SQS;
* :func:`local_task_runner` — the invokers in the order every deployment uses: mock test cases
  first, then local Lambda handlers, activity workers, and AWS services last;
* :func:`local_offer` / :func:`deployment_offer` — what those compositions serve Tasks with, for
  :mod:`interpreter.runtime.coverage` (``asl run`` refuses, ``asl serve`` warns, when a state
  would find nothing to serve it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from interpreter import arns
from interpreter.adapters.activities import ActivityBroker, LocalActivityWorkers, MissingActivities
from interpreter.adapters.aws_calls import ServiceError
from interpreter.adapters.aws_unavailable import aws_unavailable
from interpreter.adapters.lambda_local import LambdaHandler, LocalLambdaFunctions
from interpreter.adapters.local_sfn import (
    ChildOutcome,
    ExecutionRequest,
    LocalStepFunctions,
    StepFunctionsTasks,
)
from interpreter.adapters.memory import MemoryQueue, MemoryStore, RealClock, VirtualClock
from interpreter.adapters.mock_config import (
    MockConfig,
    MockConfigError,
    MockedTestCase,
    MockInvoker,
    MockTestCases,
)
from interpreter.arns import function_name_of
from interpreter.definition import model as M
from interpreter.json_types import JSON
from interpreter.runtime.activities import ActivityWorker, ActivityWorkerFunction, activity_name
from interpreter.runtime.callbacks import CallbackBoard
from interpreter.runtime.coverage import Offer, unserved
from interpreter.runtime.durable import DurableRuntime, Timing, Worker
from interpreter.runtime.local import LocalRunner
from interpreter.runtime.ports import Queue, Store, TaskInvoker
from interpreter.runtime.tasks import TaskRunner

if TYPE_CHECKING:
    # The API is imported where a service is built: a worker (the Lambda worker, a task
    # runner) never needs it, and its import costs a cold start a third of its time.
    from interpreter.api.authorization import Authorizer
    from interpreter.api.service import StepFunctionsService


class ServiceSlot:
    """A deployment's API, known once it is opened: the deployment's Tasks that start child
    executions reach it through this (the API is built after the runtime it drives). ``make``
    builds it on first use where nothing opens it first (a worker Lambda)."""

    def __init__(self, make: Callable[[], StepFunctionsService] | None = None) -> None:
        self._service: StepFunctionsService | None = None
        self._make = make

    def fill(self, service: StepFunctionsService) -> None:
        """The deployment's API, now open."""
        self._service = service

    def __call__(self) -> StepFunctionsService:
        if self._service is None:
            if self._make is None:
                raise RuntimeError("the deployment's API is not open yet")
            self._service = self._make()
        return self._service


def _states_invoker(service: ServiceSlot, invokers: Sequence[TaskInvoker] = ()) -> TaskInvoker:
    """The deployment's own Step Functions for its Tasks (imported where a deployment is built:
    the API it reaches is not a worker's import). Where the AWS invoker assumes Tasks' roles,
    a Task's calls here need its roles to be assumable too (its Credentials role trusting its
    execution role), as its calls of AWS do."""
    from interpreter.api.nested import deployment_states_invoker

    roles = next((r for r in (getattr(i, "roles", None) for i in invokers) if r is not None), None)
    return deployment_states_invoker(service, assume=None if roles is None else roles.ensure)


DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


def local_task_runner(
    *,
    lambdas: Mapping[str, LambdaHandler] | None = None,
    invokers: Sequence[TaskInvoker] = (),
    activities: Mapping[str, ActivityWorkerFunction | ActivityWorker] | None = None,
    activity_broker: ActivityBroker | None = None,
    mocks: Callable[[str], MockedTestCase | None] | None = None,
    states: TaskInvoker | None = None,
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
    simulate_time: bool = True,
    lambdas_are_all: bool | None = None,
) -> TaskRunner:
    """A task runner whose invokers are asked in this order: the execution's mock test case
    (``mocks`` maps an execution ARN to it), local Lambda handlers, in-process activity workers,
    the deployment's activities, the deployment's own Step Functions (``states``: child
    executions of its state machines), then ``invokers`` (AWS services). When ``lambdas`` are
    all the functions there are (by default: when there are no ``invokers``), a Lambda function
    with no local handler fails as a missing function does on AWS."""
    chain: list[TaskInvoker] = []
    if mocks is not None:
        chain.append(MockInvoker(mocks))
    chain.append(
        LocalLambdaFunctions(
            lambdas or {},
            region=region,
            account=account,
            simulate_time=simulate_time,
            answers_missing=not invokers if lambdas_are_all is None else lambdas_are_all,
        )
    )
    chain.append(LocalActivityWorkers(activities))
    if activity_broker is not None:
        chain.append(activity_broker)
    chain.append(MissingActivities())
    if states is not None:
        chain.append(states)
    chain.extend(invokers)
    return TaskRunner(chain, region=region)


@dataclass(frozen=True, slots=True)
class LocalMachine:
    """A state machine the in-process runner knows: child executions of it run on our engine
    (``states:startExecution`` on its ARN, in the run's region and account)."""

    machine: M.StateMachine
    #: ``STANDARD`` or ``EXPRESS`` (an Express child's execution ARN says so).
    type: str = "STANDARD"


def local_runner(
    *,
    lambdas: Mapping[str, LambdaHandler] | None = None,
    clock: str = "virtual",
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
    role_arn: str | None = None,
    start_ms: int | None = None,
    store_snapshots: bool = False,
    invokers: Sequence[TaskInvoker] = (),
    activities: Mapping[str, ActivityWorkerFunction | ActivityWorker] | None = None,
    mocks: MockedTestCase | None = None,
    machines: Mapping[str, LocalMachine] | None = None,
    mock_config: MockConfig | None = None,
) -> LocalRunner:
    """The in-process runner: local Lambda handlers, in-process activity workers, one mock test
    case for the executions it runs (``mocks``), child executions of ``machines`` (by name) on
    the same runner, and ``invokers`` for the rest.

    A child execution runs to its end when its parent's Task starts it, with the same handlers
    and clock; its ``.waitForTaskToken`` parent hears its SendTaskSuccess/Failure in-process. A
    child started on ``<arn>#<TestCase>`` runs that test case of ``mock_config``; other children
    run unmocked. A state machine not in ``machines`` is the next invoker's (AWS), or without
    ``invokers`` does not exist (``StepFunctions.StateMachineDoesNotExistException``).
    """
    if clock not in ("virtual", "real"):
        raise ValueError("clock must be 'virtual' or 'real'")
    board = CallbackBoard()
    #: The test case of each child execution (None: unmocked); other executions run ``mocks``.
    child_cases: dict[str, MockedTestCase | None] = {}
    holder: list[LocalRunner] = []
    backend = None
    if machines:
        execute = _child_executor(holder, child_cases, mock_config)
        backend = LocalStepFunctions(
            execute, region=region, account=account, callbacks=board, answers_missing=not invokers
        )
        for name, known in machines.items():
            backend.register(name, known.machine, machine_type=known.type)
    mocked = mocks is not None or mock_config is not None
    tasks = local_task_runner(
        lambdas=lambdas,
        invokers=invokers,
        activities=activities,
        mocks=(lambda execution_arn: child_cases.get(execution_arn, mocks)) if mocked else None,
        states=None if backend is None else StepFunctionsTasks(backend),
        region=region,
        account=account,
        simulate_time=clock == "virtual",
    )
    runner = LocalRunner(
        tasks,
        clock=clock,
        region=region,
        account=account,
        role_arn=role_arn,
        start_ms=start_ms,
        store_snapshots=store_snapshots,
        callbacks=board,
    )
    holder.append(runner)
    return runner


def _child_executor(
    holder: list[LocalRunner],
    child_cases: dict[str, MockedTestCase | None],
    mock_config: MockConfig | None,
) -> Callable[[ExecutionRequest], ChildOutcome]:
    """Runs a child execution on the runner in ``holder`` (built after this), with the test
    case its StartExecution named."""

    def execute(request: ExecutionRequest) -> ChildOutcome:
        test_case = None
        if request.test_case is not None:
            if mock_config is None:
                raise ServiceError(
                    "ValidationException",
                    f"Test case '{request.test_case}' requested, but no mock configuration is "
                    "loaded (--mock-config)",
                )
            try:
                test_case = mock_config.test_case(request.state_machine_name, request.test_case)
            except MockConfigError as problem:
                raise ServiceError("ValidationException", str(problem)) from None
        child_cases[request.execution_arn] = test_case
        result = holder[0].run(
            request.machine,
            request.input,
            state_machine_name=request.state_machine_name,
            state_machine_arn=request.state_machine_arn,
            execution_name=request.execution_name,
            execution_arn=request.execution_arn,
            input_text=request.input_text,
            start_ms=request.start_ms,
        )
        return ChildOutcome(
            result.status, result.output_text, result.error, result.cause, result.stop_ms
        )

    return execute


def local_offer(
    *,
    lambdas: Mapping[str, Any] | None = None,
    activities: Mapping[str, Any] | None = None,
    mocks: MockedTestCase | None = None,
    mock_config: MockConfig | None = None,
    aws: bool = False,
    machines: Mapping[str, JSON] | None = None,
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
    template: bool = False,
) -> Offer:
    """What :func:`local_runner` with these parts serves Tasks with: ``machines`` maps the
    known state machines' names to their parsed definitions; ``aws``: invokers for AWS."""
    return Offer(
        where="run",
        lambdas=frozenset(function_name_of(name) for name in lambdas or {}),
        activities=frozenset(activity_name(name) for name in activities or {}),
        mocked=frozenset(mocks.states) if mocks is not None else frozenset(),
        aws=aws,
        machines={
            arns.state_machine_arn(region, account, name): definition
            for name, definition in (machines or {}).items()
        },
        test_cases=_test_cases(mock_config),
        template=template,
    )


def _test_cases(config: MockConfig | None) -> dict[tuple[str, str], frozenset[str]]:
    if config is None:
        return {}
    return {
        (machine, case): frozenset(states)
        for machine, cases in config.test_cases.items()
        for case, states in cases.items()
    }


@dataclass(slots=True)
class Deployment:
    """The parts of one durable deployment."""

    store: Store
    queue: Queue
    clock: RealClock | VirtualClock
    tasks: TaskRunner
    runtime: DurableRuntime
    activities: ActivityBroker
    mocks: MockTestCases
    #: Runs TestState's Tasks that are not mocked (real time, no mocks, no activities).
    test_state_tasks: TaskRunner
    #: The in-process worker (local deployments); None where Lambda runs the work.
    worker: Worker | None = None
    #: The local Lambda handlers it serves.
    lambdas: dict[str, LambdaHandler] = field(default_factory=dict)
    #: Its API, once opened (its own Step Functions Tasks start child executions through it).
    service: ServiceSlot = field(default_factory=lambda: ServiceSlot())
    #: Whether Tasks no local part serves go to AWS (it has AWS invokers).
    reaches_aws: bool = False

    def offer(self, state_machine_name: str, lambdas: Mapping[str, Any]) -> Offer:
        """What it serves a state machine's Tasks with: ``lambdas`` (the handlers it serves
        now), its activities (workers poll for them), the states any of the machine's mock
        test cases mock, the state machines created on it, and AWS if it reaches it."""
        store = self.store
        mocked = frozenset(
            state
            for (machine, _), states in _test_cases(self.mocks.config).items()
            if machine == state_machine_name
            for state in states
        )
        return Offer(
            where="serve",
            lambdas=frozenset(function_name_of(name) for name in lambdas),
            activity_broker=True,
            mocked=mocked,
            aws=self.reaches_aws,
            machines={record.arn: None for record in store.list_state_machines()},
            callbacks=True,
        )

    def handler_registries(self) -> list[LocalLambdaFunctions]:
        """Where its local handlers are registered (its task runners' local functions)."""
        return [
            invoker
            for runner in (self.tasks, self.test_state_tasks)
            for invoker in runner.invokers
            if isinstance(invoker, LocalLambdaFunctions)
        ]


def local_deployment(
    *,
    lambdas: Mapping[str, LambdaHandler] | None = None,
    invokers: Sequence[TaskInvoker] = (),
    clock: str = "real",
    account: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
    start_ms: int | None = None,
    store: Store | None = None,
    mock_config: MockConfig | None = None,
) -> Deployment:
    """``asl serve``'s deployment: the durable runtime over ``store`` (in memory by default),
    an in-memory queue and worker, a virtual or real clock."""
    time_source = VirtualClock(start_ms) if clock == "virtual" else RealClock()
    chosen_store: Store = store if store is not None else MemoryStore()
    queue = MemoryQueue(time_source)
    broker = ActivityBroker(region=region, account=account, registry=chosen_store)
    mocks = MockTestCases(mock_config, chosen_store)
    service = ServiceSlot()
    tasks = local_task_runner(
        lambdas=lambdas,
        invokers=invokers,
        activity_broker=broker,
        mocks=mocks.test_case_of,
        states=_states_invoker(service, invokers),
        region=region,
        account=account,
        simulate_time=clock == "virtual",
    )
    runtime = DurableRuntime(
        chosen_store,
        queue,
        time_source,
        tasks,
        account=account,
        region=region,
        unavailable=aws_unavailable,
    )
    return Deployment(
        store=chosen_store,
        queue=queue,
        clock=time_source,
        tasks=tasks,
        runtime=runtime,
        activities=broker,
        mocks=mocks,
        test_state_tasks=_test_state_tasks(lambdas, invokers, region, account),
        worker=Worker(runtime, queue, time_source),
        lambdas=dict(lambdas or {}),
        service=service,
        reaches_aws=bool(invokers),
    )


def _test_state_tasks(
    lambdas: Mapping[str, LambdaHandler] | None,
    invokers: Sequence[TaskInvoker],
    region: str,
    account: str,
) -> TaskRunner:
    return local_task_runner(
        lambdas=lambdas, invokers=invokers, region=region, account=account, simulate_time=False
    )


def local_service(
    *,
    lambdas: Mapping[str, LambdaHandler] | None = None,
    invokers: Sequence[TaskInvoker] = (),
    clock: str = "real",
    account: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
    start_ms: int | None = None,
    store: Store | None = None,
    mock_config: MockConfig | None = None,
    activity_poll_seconds: float = 60.0,
    recover: bool = True,
) -> StepFunctionsService:
    """The Step Functions API over a :func:`local_deployment`. With ``recover`` (a store that
    outlived an earlier endpoint) its running executions carry on: ``service.recovered`` says
    how many."""
    deployment = local_deployment(
        lambdas=lambdas,
        invokers=invokers,
        clock=clock,
        account=account,
        region=region,
        start_ms=start_ms,
        store=store,
        mock_config=mock_config,
    )
    return open_service(deployment, activity_poll_seconds=activity_poll_seconds, recover=recover)


def open_service(
    deployment: Deployment,
    *,
    activity_poll_seconds: float = 60.0,
    recover: bool = False,
    authorizer: Authorizer | None = None,
) -> StepFunctionsService:
    """The API over ``deployment``, after reading what its store already holds: its activities
    and, with ``recover``, its running executions (resumed). With ``authorizer`` every request
    is authorized per action and resource (:mod:`interpreter.api.authorization`), the
    deployment's own Tasks' calls of its Step Functions too."""
    from interpreter.api.service import StepFunctionsService

    deployment.activities.load()
    service = StepFunctionsService(
        deployment.runtime,
        activities=deployment.activities,
        mocks=deployment.mocks,
        worker=deployment.worker,
        test_state_tasks=deployment.test_state_tasks,
        activity_poll_seconds=activity_poll_seconds,
        lambdas=deployment.lambdas,
        local_functions=deployment.handler_registries(),
        authorizer=authorizer,
    )
    deployment.service.fill(service)
    if not deployment.reaches_aws:
        # With AWS behind it every Task has a server: no check (it would read every state
        # machine of the store, a scan on DynamoDB).
        service.task_coverage = lambda record, parsed: [
            problem.describe()
            for problem in unserved(
                parsed, deployment.offer(record.name, service.lambdas), arn=record.arn
            )
        ]
    if recover:
        service.recovered = deployment.runtime.recover()
    return service


def serverless_deployment(
    *,
    store: Store,
    queue: Queue,
    account: str,
    region: str,
    invokers: Sequence[TaskInvoker],
    mock_config: MockConfig | None = None,
    lambdas: Mapping[str, LambdaHandler] | None = None,
    timing: Timing | None = None,
    service: Callable[[], StepFunctionsService] | None = None,
    lambdas_are_all: bool = False,
) -> Deployment:
    """The deployment of ``template.yaml`` as one Lambda container sees it: the DynamoDB store
    and SQS queue it is given, AWS services for every task, a real clock, no worker (the worker
    function consumes the queue). Locally (``asl serve --serverless``) ``lambdas`` stand in for
    Lambda functions and ``mock_config`` mocks test cases, as in ``asl serve``. ``service`` gives
    the deployment's API to the child executions its Tasks start (built on first use).
    ``lambdas_are_all``: the local handlers are the only Lambda functions (the local cloud on
    its own moto server), so a call to any other fails as a missing function's does on AWS."""
    clock = RealClock()
    broker = ActivityBroker(region=region, account=account, registry=store)
    mocks = MockTestCases(mock_config, store)
    slot = ServiceSlot(service)
    tasks = local_task_runner(
        lambdas=lambdas,
        invokers=invokers,
        activity_broker=broker,
        mocks=mocks.test_case_of,
        states=_states_invoker(slot, invokers),
        region=region,
        account=account,
        lambdas_are_all=lambdas_are_all,
    )
    runtime = DurableRuntime(
        store,
        queue,
        clock,
        tasks,
        account=account,
        region=region,
        timing=timing,
        unavailable=aws_unavailable,
    )
    return Deployment(
        store=store,
        queue=queue,
        clock=clock,
        tasks=tasks,
        runtime=runtime,
        activities=broker,
        mocks=mocks,
        test_state_tasks=_test_state_tasks(lambdas, invokers, region, account),
        lambdas=dict(lambdas or {}),
        service=slot,
        reaches_aws=bool(invokers),
    )


def run_test_state(
    definition: str | Mapping[str, Any],
    input: JSON | str = None,
    *,
    lambdas: Mapping[str, LambdaHandler] | None = None,
    invokers: Sequence[TaskInvoker] = (),
    region: str = DEFAULT_REGION,
    account: str = DEFAULT_ACCOUNT,
    **options: Any,
) -> dict[str, Any]:
    """AWS's TestState API (:func:`interpreter.api.teststate.execute_test_state`, whose options
    it takes) with a Task that is not mocked served by local Lambda ``lambdas`` (name or ARN ->
    ``handler(event, context)``) and then ``invokers``. Public as ``interpreter.test_state``."""
    from interpreter.api.teststate import execute_test_state

    tasks = _test_state_tasks(lambdas, invokers, region, account)
    return execute_test_state(
        definition, input, tasks=tasks, region=region, account=account, **options
    )


# Users import it into their test modules as ``test_state``: pytest must not collect it.
run_test_state.__test__ = False  # type: ignore[attr-defined]
