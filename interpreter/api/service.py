"""The AWS Step Functions API as Python: requests and responses in AWS's shapes.

:class:`StepFunctionsService` implements the API actions over the durable runtime. Each action
takes the request members AWS defines (``stateMachineArn``, ``input``...) and returns the
response members, with timestamps as aware datetimes; failures raise
:class:`~interpreter.api.errors.StepFunctionsError` with AWS's error code
(``ExecutionDoesNotExist``, ``InvalidDefinition``...) and a message worded as AWS words it.
:mod:`interpreter.api.server` puts this behind AWS's JSON protocol.
"""

from __future__ import annotations

import inspect
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from interpreter.adapters.lambda_local import LambdaHandler, LocalLambdaFunctions
from interpreter.adapters.memory import MemoryQueue, MemoryStore, RealClock, VirtualClock
from interpreter.adapters.mock_config import MockConfig, MockConfigError, MockedTestCase
from interpreter.api.errors import api_error
from interpreter.api.request_shapes import check_request, missing_members
from interpreter.api.shapes import api_date as _date
from interpreter.api.shapes import drop_none as _drop_none
from interpreter.api.shapes import page as _page
from interpreter.api.versions import VersionActions
from interpreter.core import snapshot as S
from interpreter.definition.diagnostics import invalid_definition_message, validation_response
from interpreter.definition.validation import validate_and_load
from interpreter.json_types import JSON, parse_json
from interpreter.limits import MAX_NAME_LENGTH, MAX_PAYLOAD_BYTES, utf8_size
from interpreter.runtime.activities import ActivityBroker, ActivityRecord
from interpreter.runtime.activities import describe as describe_activity
from interpreter.runtime.durable import (
    DurableRuntime,
    ExecutionAlreadyExistsError,
    TaskTokenError,
    Worker,
)
from interpreter.runtime.local import LocalTaskRunner, TaskInvoker
from interpreter.runtime.ports import ExecutionRecord, Queue, StateMachineRecord, Store

# Characters AWS refuses in state machine and execution names (API reference, "name").
_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


class StepFunctionsService(VersionActions):
    """The Step Functions API over a :class:`DurableRuntime`.

    Locally (``asl serve``) the adapters are in memory, or ``store`` is a SQLite file:
    ``clock="virtual"`` runs nothing by itself (call :meth:`run_until_idle`, in tests), and with
    ``clock="real"`` :meth:`start_workers` runs executions in background threads. Serverless,
    ``store`` and ``queue`` are DynamoDB and SQS and the worker Lambda runs the executions
    (``handlers/``); ``recover=False`` there, since nothing is lost when an API container
    starts.
    """

    def __init__(
        self,
        *,
        lambdas: Mapping[str, LambdaHandler] | None = None,
        invokers: Sequence[TaskInvoker] = (),
        clock: str = "real",
        account: str = "123456789012",
        region: str = "us-east-1",
        start_ms: int | None = None,
        activity_poll_seconds: float = 60.0,
        store: Store | None = None,
        mock_config: MockConfig | None = None,
        queue: Queue | None = None,
        recover: bool = True,
        serves_activity_tasks: bool = True,
    ) -> None:
        self.account = account
        self.region = region
        self.lambdas = dict(lambdas or {})
        self.invokers = tuple(invokers)
        self.clock: RealClock | VirtualClock = (
            VirtualClock(start_ms) if clock == "virtual" else RealClock()
        )
        self.store: Store = store if store is not None else MemoryStore()
        self.queue: Queue = queue if queue is not None else MemoryQueue(self.clock)
        functions = LocalLambdaFunctions(
            lambdas or {}, region=region, account=account, simulate_time=clock == "virtual"
        )
        self._functions = functions
        self.activities = ActivityBroker(
            region=region,
            account=account,
            registry=self.store,
            serves_tasks=serves_activity_tasks,
        )
        #: Step Functions Local's mock configuration: StartExecution on ``<arn>#<TestCase>``
        #: runs that test case; the mocks of each such execution, by its ARN.
        self.mock_config = mock_config
        self._mocked: dict[str, MockedTestCase] = {}
        #: How long GetActivityTask waits for a task (AWS holds the poll up to 60 seconds).
        self.activity_poll_seconds = activity_poll_seconds
        self.runtime = DurableRuntime(
            self.store,
            self.queue,
            self.clock,
            LocalTaskRunner(
                functions, invokers, activity_broker=self.activities, mocks=self._mocked.get
            ),
            account=account,
            region=region,
        )
        self.worker = Worker(self.runtime, self.queue, self.clock)
        # A store that outlived an earlier endpoint: its executions carry on.
        self.recovered = self.runtime.recover() if recover else 0

    # ------------------------------------------------------------------ running

    def run_until_idle(self) -> None:
        """Process all queued work now, jumping a virtual clock to each due message."""
        self.worker.run_until_idle()

    def start_workers(self, threads: int = 2) -> None:
        """Run executions in the background (real clock)."""
        self.worker.start(threads)

    def stop_workers(self) -> None:
        """Stop the background workers."""
        self.worker.stop()

    def serve_lambdas(self, lambdas: Mapping[str, LambdaHandler]) -> None:
        """Serve these local Lambda handlers from now on, in place of those given before."""
        self.lambdas = dict(lambdas)
        self._functions.replace(lambdas)

    def reset(self) -> None:
        """Forget every state machine, version, alias, execution, activity, tag and pending
        message, as a fresh endpoint would start (between tests). Raises ValueError for a store
        that cannot be emptied."""
        clear_store = getattr(self.store, "clear", None)
        clear_queue = getattr(self.queue, "clear", None)
        if clear_store is None or clear_queue is None:
            raise ValueError("this endpoint's store or queue cannot be reset")
        clear_queue()
        clear_store()
        self.activities.clear()
        self._mocked.clear()

    def call(self, action: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Dispatch an API action by its name (``StartExecution``) with its request members."""
        handler: Callable[..., dict[str, Any]] | None = getattr(self, _snake(action), None)
        if handler is None or action not in _ACTIONS:
            raise api_error("UnknownOperationException", f"Unknown operation {action}")
        check_request(action, request)
        parameters = inspect.signature(handler).parameters.values()
        missing = [
            parameter.name
            for parameter in parameters
            if parameter.default is inspect.Parameter.empty
            and parameter.kind is not inspect.Parameter.VAR_KEYWORD
            and request.get(parameter.name) is None
        ]
        if missing:
            raise missing_members(missing)
        return handler(**request)

    # ------------------------------------------------------------------ state machines

    def create_state_machine(
        self,
        name: str,
        definition: str,
        roleArn: str,
        type: str = "STANDARD",
        publish: bool = False,
        versionDescription: str | None = None,
        tags: list[Any] | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """CreateStateMachine."""
        if versionDescription is not None and not publish:
            raise api_error(
                "ValidationException", "Version description can only be set when publish is true"
            )
        _check_name(name, "state machine")
        parsed, diagnostics = validate_and_load(definition, state_machine_type=type)
        errors = [d for d in diagnostics if d.is_error]
        if errors:
            raise api_error("InvalidDefinition", invalid_definition_message(errors, definition))
        del parsed
        arn = f"arn:aws:states:{self.region}:{self.account}:stateMachine:{name}"
        now = self.clock.now_ms()
        record = StateMachineRecord(
            arn=arn,
            name=name,
            definition=definition,
            role_arn=roleArn,
            type=type,
            created_ms=now,
            revision_id=str(uuid.uuid4()),
            updated_ms=now,
            tags=_tag_map(tags),
        )
        if not self.store.put_state_machine(record):
            existing = self.store.get_state_machine(arn)
            if (
                existing is None
                or existing.definition != definition
                or existing.role_arn != roleArn
            ):
                raise api_error(
                    "StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'"
                )
            record = existing
        response = {"stateMachineArn": arn, "creationDate": _date(record.created_ms)}
        if publish:
            response["stateMachineVersionArn"] = self._publish(record, versionDescription)
        return response

    def describe_state_machine(self, stateMachineArn: str, **_ignored: Any) -> dict[str, Any]:
        """DescribeStateMachine (of a version too: ``<state machine ARN>:<n>``)."""
        machine, record, version_arn, _ = self.resolve(stateMachineArn)
        described = {
            "stateMachineArn": version_arn or record.arn,
            "name": record.name,
            "status": record.status,
            "definition": record.definition,
            "roleArn": record.role_arn,
            "type": record.type,
            "creationDate": _date(record.created_ms),
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
            "tracingConfiguration": {"enabled": False},
            "revisionId": record.revision_id,
        }
        if version_arn is not None:
            version = machine.versions[version_arn.rsplit(":", 1)[1]]
            described["creationDate"] = _date(version["created_ms"])
            if "description" in version:
                described["description"] = version["description"]
        return described

    def update_state_machine(
        self,
        stateMachineArn: str,
        definition: str | None = None,
        roleArn: str | None = None,
        loggingConfiguration: Any = None,
        tracingConfiguration: Any = None,
        publish: bool = False,
        versionDescription: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """UpdateStateMachine: a new revision; running executions keep the one they started
        with."""
        changes = (definition, roleArn, loggingConfiguration, tracingConfiguration)
        if all(change is None for change in changes):
            raise api_error(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the "
                "TracingConfiguration must be specified",
            )
        if versionDescription is not None and not publish:
            raise api_error(
                "ValidationException", "Version description can only be set when publish is true"
            )
        record = self._machine(stateMachineArn)
        if definition is not None:
            _, diagnostics = validate_and_load(definition, state_machine_type=record.type)
            errors = [d for d in diagnostics if d.is_error]
            if errors:
                raise api_error("InvalidDefinition", invalid_definition_message(errors, definition))
            record.definition = definition
        if roleArn is not None:
            record.role_arn = roleArn
        record.revision_id = str(uuid.uuid4())
        record.updated_ms = self.clock.now_ms()
        if not self.store.update_state_machine(record):
            raise api_error(
                "StateMachineDoesNotExist", f"State Machine Does Not Exist: '{stateMachineArn}'"
            )
        response = {"updateDate": _date(record.updated_ms), "revisionId": record.revision_id}
        if publish:
            response["stateMachineVersionArn"] = self._publish(record, versionDescription)
        return response

    def list_state_machines(self, **_ignored: Any) -> dict[str, Any]:
        """ListStateMachines."""
        return {
            "stateMachines": [
                {
                    "stateMachineArn": record.arn,
                    "name": record.name,
                    "type": record.type,
                    "creationDate": _date(record.created_ms),
                }
                for record in self.store.list_state_machines()
            ]
        }

    def delete_state_machine(self, stateMachineArn: str, **_ignored: Any) -> dict[str, Any]:
        """DeleteStateMachine."""
        self.store.delete_state_machine(stateMachineArn)
        return {}

    def validate_state_machine_definition(
        self,
        definition: str,
        type: str = "STANDARD",
        severity: str = "ERROR",
        maxResults: int = 0,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """ValidateStateMachineDefinition."""
        _, diagnostics = validate_and_load(definition, state_machine_type=type)
        if severity == "WARNING":
            return validation_response(diagnostics, severity="WARNING", max_results=maxResults)
        return validation_response(diagnostics, severity="ERROR", max_results=maxResults)

    def test_state(
        self,
        definition: str,
        input: str | None = None,
        roleArn: str | None = None,
        inspectionLevel: str = "INFO",
        revealSecrets: bool = False,
        variables: str | None = None,
        stateName: str | None = None,
        mock: Mapping[str, Any] | None = None,
        context: str | None = None,
        stateConfiguration: Mapping[str, Any] | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """TestState: run one state with the service's Lambda handlers and invokers."""
        from interpreter.api.test_state import test_state

        return test_state(
            definition,
            input,
            inspection_level=inspectionLevel,
            mock=mock,
            state_name=stateName,
            state_configuration=stateConfiguration,
            context=context,
            variables=variables,
            reveal_secrets=revealSecrets,
            role_arn=roleArn,
            lambdas=self.lambdas,
            invokers=self.invokers,
            region=self.region,
            account=self.account,
            now_ms=self.clock.now_ms(),
        )

    # ------------------------------------------------------------------ executions

    def start_execution(
        self,
        stateMachineArn: str,
        name: str | None = None,
        input: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """StartExecution (``<state machine ARN>#<test case>`` runs a mock test case)."""
        stateMachineArn, _, test_case = stateMachineArn.partition("#")
        _, machine, version_arn, alias_arn = self.resolve(stateMachineArn)
        name = name if name is not None else str(uuid.uuid4())
        _check_name(name, "execution")
        text, value = _execution_input(input)
        arn = self.runtime.execution_arn(machine, name)
        if test_case and arn not in self._mocked:
            # Registered before the start: the first task may run as soon as it is queued.
            self._mocked[arn] = self._test_case(machine.name, test_case)
        try:
            record = self.runtime.start_execution(
                machine,
                name,
                text,
                value,
                version_arn=version_arn or "",
                alias_arn=alias_arn or "",
                arn=arn,
            )
        except ExecutionAlreadyExistsError as problem:
            raise api_error("ExecutionAlreadyExists", str(problem)) from None
        return {"executionArn": record.arn, "startDate": _date(record.start_ms)}

    def _test_case(self, machine_name: str, test_case: str) -> MockedTestCase:
        if self.mock_config is None:
            raise api_error(
                "ValidationException",
                f"Test case '{test_case}' requested, but no mock configuration is loaded "
                "(asl serve --mock-config FILE, or SFN_MOCK_CONFIG)",
            )
        try:
            return self.mock_config.test_case(machine_name, test_case)
        except MockConfigError as problem:
            raise api_error("ValidationException", str(problem)) from None

    def start_sync_execution(
        self,
        stateMachineArn: str,
        name: str | None = None,
        input: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """StartSyncExecution (Express state machines): runs to the end and answers."""
        machine = self._machine(stateMachineArn)
        if machine.type != "EXPRESS":
            raise api_error(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            )
        started = self.start_execution(stateMachineArn, name, input)
        arn = started["executionArn"]
        self._wait_for_end(arn)
        described = self.describe_execution(arn)
        described.pop("redriveCount", None)
        described.pop("redriveStatus", None)
        described["billingDetails"] = {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": 100,
        }
        return described

    def describe_execution(self, executionArn: str, **_ignored: Any) -> dict[str, Any]:
        """DescribeExecution."""
        record = self._execution(executionArn)
        return _drop_none(
            {
                "executionArn": record.arn,
                "stateMachineArn": record.state_machine_arn,
                "name": record.name,
                "status": record.status,
                "startDate": _date(record.start_ms),
                "stopDate": _date(record.stop_ms),
                "input": record.input_text,
                "inputDetails": {"included": True},
                "output": record.output_text,
                "outputDetails": {"included": True} if record.output_text is not None else None,
                "error": record.error,
                "cause": record.cause,
                "stateMachineVersionArn": record.version_arn or None,
                "stateMachineAliasArn": record.alias_arn or None,
                "redriveCount": 0,
                "redriveStatus": "NOT_REDRIVABLE"
                if record.status in (S.RUNNING, S.SUCCEEDED)
                else "REDRIVABLE",
            }
        )

    def describe_state_machine_for_execution(
        self,
        executionArn: str,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """DescribeStateMachineForExecution."""
        record = self._execution(executionArn)
        machine = self.runtime.machine_record_of(record)
        if machine is None:
            machine = self._machine(record.state_machine_arn)
        return {
            "stateMachineArn": machine.arn,
            "name": machine.name,
            "definition": machine.definition,
            "roleArn": machine.role_arn,
            "updateDate": _date(machine.updated_ms or machine.created_ms),
            "revisionId": machine.revision_id,
        }

    def list_executions(
        self,
        stateMachineArn: str,
        statusFilter: str | None = None,
        maxResults: int = 0,
        nextToken: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """ListExecutions (newest first, paged)."""
        self._machine(stateMachineArn)
        records = [
            record
            for record in self.store.list_executions(stateMachineArn)
            if statusFilter is None or record.status == statusFilter
        ]
        page, following = _page(records, maxResults or 100, nextToken)
        response: dict[str, Any] = {
            "executions": [
                _drop_none(
                    {
                        "executionArn": record.arn,
                        "stateMachineArn": record.state_machine_arn,
                        "name": record.name,
                        "status": record.status,
                        "startDate": _date(record.start_ms),
                        "stopDate": _date(record.stop_ms),
                    }
                )
                for record in page
            ]
        }
        if following is not None:
            response["nextToken"] = following
        return response

    def get_execution_history(
        self,
        executionArn: str,
        maxResults: int = 0,
        reverseOrder: bool = False,
        nextToken: str | None = None,
        includeExecutionData: bool = True,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """GetExecutionHistory (paged, optionally newest first)."""
        self._execution(executionArn)
        events = self.store.history(executionArn)
        if reverseOrder:
            events.reverse()
        page, following = _page(events, maxResults or 100, nextToken)
        shaped = [{**event, "timestamp": _date(event["timestamp"])} for event in page]
        if not includeExecutionData:
            shaped = [_without_data(event) for event in shaped]
        response: dict[str, Any] = {"events": shaped}
        if following is not None:
            response["nextToken"] = following
        return response

    def stop_execution(
        self,
        executionArn: str,
        error: str | None = None,
        cause: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """StopExecution."""
        record = self._execution(executionArn)
        if record.status == S.RUNNING:
            record = self.runtime.stop_execution(executionArn, error, cause)
        return {"stopDate": _date(record.stop_ms)}

    # ------------------------------------------------------------------ callbacks

    def send_task_success(self, taskToken: str, output: str, **_ignored: Any) -> dict[str, Any]:
        """SendTaskSuccess."""
        text, value = _execution_input(output, member="output")
        del text
        self._task_event(taskToken, {"type": "task_succeeded", "output": value})
        return {}

    def send_task_failure(
        self,
        taskToken: str,
        error: str | None = None,
        cause: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """SendTaskFailure."""
        self._task_event(taskToken, {"type": "task_failed", "error": error, "cause": cause})
        return {}

    def send_task_heartbeat(self, taskToken: str, **_ignored: Any) -> dict[str, Any]:
        """SendTaskHeartbeat."""
        self._task_event(taskToken, {"type": "task_heartbeat"})
        return {}

    # ------------------------------------------------------------------ activities

    def create_activity(
        self, name: str, tags: list[Any] | None = None, **_ignored: Any
    ) -> dict[str, Any]:
        """CreateActivity (idempotent by name)."""
        _check_name(name, "activity")
        record = self.activities.create(name, self.clock.now_ms())
        record.tags.update(_tag_map(tags))
        return {"activityArn": record.arn, "creationDate": _date(record.created_ms)}

    def describe_activity(self, activityArn: str, **_ignored: Any) -> dict[str, Any]:
        """DescribeActivity."""
        return describe_activity(self._activity(activityArn), _date)

    def list_activities(
        self, maxResults: int = 0, nextToken: str | None = None, **_ignored: Any
    ) -> dict[str, Any]:
        """ListActivities."""
        entries = [describe_activity(record, _date) for record in self.activities.list()]
        page, token = _page(entries, maxResults or 100, nextToken)
        return _drop_none({"activities": page, "nextToken": token})

    def delete_activity(self, activityArn: str, **_ignored: Any) -> dict[str, Any]:
        """DeleteActivity (no error for an activity that is already gone)."""
        self.activities.delete(activityArn)
        return {}

    def get_activity_task(
        self, activityArn: str, workerName: str | None = None, **_ignored: Any
    ) -> dict[str, Any]:
        """GetActivityTask: the oldest scheduled task of the activity, waiting for one up to
        ``activity_poll_seconds``; an empty answer when none came."""
        self._activity(activityArn)
        task = self.activities.poll(
            activityArn, self.activity_poll_seconds, self.runtime.task_is_pending
        )
        if task is None:
            return {}
        started: dict[str, Any] = {"type": "task_started"}
        if workerName is not None:
            started["worker_name"] = workerName
        try:
            self.runtime.send_task_outcome(task.token, started)
        except TaskTokenError:
            return {}
        return {"taskToken": task.token, "input": task.input_text}

    def _activity(self, arn: str) -> ActivityRecord:
        record = self.activities.get(arn)
        if record is None:
            raise api_error("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
        return record

    # ------------------------------------------------------------------ Map Runs

    def list_map_runs(
        self,
        executionArn: str,
        maxResults: int = 0,
        nextToken: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """ListMapRuns: the Distributed Map runs an execution started, oldest first."""
        record = self._execution(executionArn)
        runs = sorted(
            (record.snapshot.get("map_runs") or {}).items(), key=lambda item: item[1]["start_ms"]
        )
        entries = [
            _drop_none(
                {
                    "executionArn": record.arn,
                    "mapRunArn": arn,
                    "stateMachineArn": _map_run_machine(arn),
                    "startDate": _date(run["start_ms"]),
                    "stopDate": _date(run["stop_ms"]),
                }
            )
            for arn, run in runs
        ]
        page, token = _page(entries, maxResults or 100, nextToken)
        return _drop_none({"mapRuns": page, "nextToken": token})

    def describe_map_run(self, mapRunArn: str, **_ignored: Any) -> dict[str, Any]:
        """DescribeMapRun: a Distributed Map run's settings, status and counts."""
        prefix, _, rest = mapRunArn.partition(":mapRun:")
        machine_arn = f"{prefix}:stateMachine:{rest.split('/', 1)[0]}"
        for record in self.store.list_executions(machine_arn) if rest else []:
            run = (record.snapshot.get("map_runs") or {}).get(mapRunArn)
            if run is None:
                continue
            described: dict[str, Any] = {
                "mapRunArn": mapRunArn,
                "executionArn": record.arn,
                "status": run["status"],
                "startDate": _date(run["start_ms"]),
                "stopDate": _date(run["stop_ms"]),
                "maxConcurrency": run["max_concurrency"],
                "toleratedFailurePercentage": float(run["tolerated_percentage"] or 0),
                "toleratedFailureCount": int(run["tolerated_count"] or 0),
                "itemCounts": _map_run_counts(run["items"]),
                "executionCounts": _map_run_counts(run["executions"]),
                "redriveCount": 0,
            }
            return _drop_none(described)
        raise api_error("ResourceNotFound", f"Resource not found: '{mapRunArn}'")

    # ------------------------------------------------------------------ tags

    def tag_resource(self, resourceArn: str, tags: list[Any], **_ignored: Any) -> dict[str, Any]:
        """TagResource (state machines and activities)."""
        self._tagged(resourceArn, lambda current: {**current, **_tag_map(tags)})
        return {}

    def untag_resource(
        self, resourceArn: str, tagKeys: list[str], **_ignored: Any
    ) -> dict[str, Any]:
        """UntagResource."""
        self._tagged(
            resourceArn, lambda current: {k: v for k, v in current.items() if k not in tagKeys}
        )
        return {}

    def list_tags_for_resource(self, resourceArn: str, **_ignored: Any) -> dict[str, Any]:
        """ListTagsForResource."""
        current = self._tagged(resourceArn, lambda current: current)
        return {"tags": [{"key": key, "value": value} for key, value in current.items()]}

    def _tagged(
        self, arn: str, change: Callable[[dict[str, str]], dict[str, str]]
    ) -> dict[str, str]:
        machine = self.store.get_state_machine(arn)
        if machine is not None:
            updated = change(dict(machine.tags))
            if updated != machine.tags:
                _check_tag_count(updated)
                machine.tags = updated
                self.store.update_state_machine(machine)
            return updated
        activity = self.activities.get(arn)
        if activity is not None:
            updated = change(dict(activity.tags))
            _check_tag_count(updated)
            activity.tags = updated
            return updated
        raise api_error("ResourceNotFound", f"Resource not found: '{arn}'")

    # ------------------------------------------------------------------ internals

    def _task_event(self, token: str, event: dict[str, Any]) -> None:
        try:
            self.runtime.send_task_outcome(token, event)
        except TaskTokenError:
            raise api_error("TaskDoesNotExist", "Task Does Not Exist") from None

    def _machine(self, arn: str) -> StateMachineRecord:
        record = self.store.get_state_machine(arn)
        if record is None:
            raise api_error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return record

    def _execution(self, arn: str) -> ExecutionRecord:
        record = self.store.get_execution(arn)
        if record is None:
            raise api_error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return record

    def _wait_for_end(self, arn: str) -> None:
        if isinstance(self.clock, VirtualClock):
            self.worker.run_until_idle(until=lambda: self._execution(arn).status != S.RUNNING)
            return
        while self._execution(arn).status == S.RUNNING:
            time.sleep(0.05)


_ACTIONS = frozenset(
    {
        "CreateStateMachine",
        "DescribeStateMachine",
        "UpdateStateMachine",
        "ListStateMachines",
        "DeleteStateMachine",
        "ValidateStateMachineDefinition",
        "StartExecution",
        "StartSyncExecution",
        "DescribeExecution",
        "DescribeStateMachineForExecution",
        "ListExecutions",
        "GetExecutionHistory",
        "StopExecution",
        "SendTaskSuccess",
        "SendTaskFailure",
        "SendTaskHeartbeat",
        "TestState",
        "PublishStateMachineVersion",
        "ListStateMachineVersions",
        "DeleteStateMachineVersion",
        "CreateStateMachineAlias",
        "DescribeStateMachineAlias",
        "UpdateStateMachineAlias",
        "DeleteStateMachineAlias",
        "ListStateMachineAliases",
        "ListMapRuns",
        "DescribeMapRun",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "CreateActivity",
        "DescribeActivity",
        "ListActivities",
        "DeleteActivity",
        "GetActivityTask",
    }
)


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def _check_name(name: str, what: str) -> None:
    if not name or len(name) > MAX_NAME_LENGTH or _BAD_NAME.search(name):
        raise api_error("InvalidName", f"Invalid Name: '{name}'")


def _execution_input(text: str | None, *, member: str = "input") -> tuple[str, JSON]:
    if text is None:
        return "{}", {}
    if utf8_size(text) > MAX_PAYLOAD_BYTES:
        raise api_error(
            "ValidationException",
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_PAYLOAD_BYTES}",
        )
    try:
        value = parse_json(text)
    except (ValueError, RecursionError) as problem:
        code = "InvalidExecutionInput" if member == "input" else "InvalidOutput"
        raise api_error(code, f"Invalid State Machine Execution Input: '{problem}'") from None
    return text, value


def _map_run_machine(map_run_arn: str) -> str:
    """The ARN a Map Run's child executions name as their state machine
    (``...:stateMachine:<machine>/<label>``)."""
    prefix, _, rest = map_run_arn.partition(":mapRun:")
    return f"{prefix}:stateMachine:{rest.rsplit(':', 1)[0]}"


def _map_run_counts(counts: dict[str, int]) -> dict[str, int]:
    return {**counts, "failuresNotRedrivable": 0, "pendingRedrive": 0}


#: AWS's limit of tags per resource.
_MAX_TAGS = 50


def _tag_map(tags: list[Any] | None) -> dict[str, str]:
    """``[{"key", "value"}]`` as a dict (later keys win, as the API's merge does)."""
    if not tags:
        return {}
    mapped = {
        str(tag.get("key")): str(tag.get("value", "")) for tag in tags if isinstance(tag, dict)
    }
    _check_tag_count(mapped)
    return mapped


def _check_tag_count(tags: dict[str, str]) -> None:
    if len(tags) > _MAX_TAGS:
        raise api_error("TooManyTags", f"Too many tags: a resource may have up to {_MAX_TAGS} tags")


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    shaped = dict(event)
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict):
            trimmed = {
                name: value
                for name, value in details.items()
                if name not in ("input", "output", "parameters")
            }
            shaped[key] = trimmed
    return shaped
