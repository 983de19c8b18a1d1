"""The AWS Step Functions API as Python: requests and responses in AWS's shapes.

:class:`StepFunctionsService` implements the API actions over the durable runtime. Each action
takes the request members AWS defines (``stateMachineArn``, ``input``...) and returns the
response members, with timestamps as aware datetimes; failures raise
:class:`~interpreter.api.errors.StepFunctionsError` with AWS's error code
(``ExecutionDoesNotExist``, ``InvalidDefinition``...) and a message worded as AWS words it.
:mod:`interpreter.api.server` puts this behind AWS's JSON protocol.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from interpreter import arns
from interpreter.adapters.activities import ActivityBroker
from interpreter.adapters.mock_config import MockConfigError, MockTestCases
from interpreter.api.authorization import Authorizer, Caller, authorize
from interpreter.api.configuration import (
    DEFAULT_ENCRYPTION,
    DEFAULT_LOGGING,
    DEFAULT_TRACING,
    check_arn,
    check_role_arn,
    encryption_configuration,
    logging_configuration,
    tracing_configuration,
)
from interpreter.api.errors import api_error
from interpreter.api.request_shapes import check_request, missing_members
from interpreter.api.shapes import api_date as _date
from interpreter.api.shapes import decode_token, encode_token, page_size
from interpreter.api.shapes import drop_none as _drop_none
from interpreter.api.shapes import page as _page
from interpreter.api.teststate import execute_test_state
from interpreter.api.versions import VersionActions
from interpreter.core import snapshot as S
from interpreter.definition.diagnostics import invalid_definition_message, validation_response
from interpreter.definition.validation import validate_and_load
from interpreter.json_types import JSON, parse_json, parse_json_bounded
from interpreter.limits import (
    MAX_EXPRESS_DURATION_MS,
    MAX_INPUT_DEPTH,
    MAX_NAME_LENGTH,
    MAX_PAYLOAD_BYTES,
    utf8_size,
)
from interpreter.runtime.activities import ActivityRecord
from interpreter.runtime.activities import describe as describe_activity
from interpreter.runtime.durable import (
    DurableRuntime,
    ExecutionAlreadyExistsError,
    ExecutionDoesNotExistError,
    ExecutionNotRedrivableError,
    TaskTokenError,
    Worker,
)
from interpreter.runtime.ports import (
    ExecutionRecord,
    HandlerRegistry,
    LambdaHandler,
    Queue,
    StateMachineRecord,
    Store,
)
from interpreter.runtime.tasks import TaskRunner

_log = logging.getLogger("interpreter.api.service")

# Characters AWS refuses in state machine and execution names (API reference, "name").
_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


class StepFunctionsService(VersionActions):
    """The Step Functions API over a :class:`DurableRuntime` (built by :mod:`interpreter.app`).

    Locally (``asl serve``) the runtime's adapters are in memory, or its store is a SQLite file,
    and ``worker`` runs the executions: on a virtual clock :meth:`run_until_idle` runs what is
    due (in tests), on a real clock :meth:`start_workers` runs them in background threads.
    Serverless, the store and queue are DynamoDB and SQS, there is no worker here, and the worker
    Lambda runs the executions (``handlers/``).
    """

    def __init__(
        self,
        runtime: DurableRuntime,
        *,
        activities: ActivityBroker,
        mocks: MockTestCases,
        worker: Worker | None = None,
        test_state_tasks: TaskRunner | None = None,
        activity_poll_seconds: float = 60.0,
        lambdas: Mapping[str, LambdaHandler] | None = None,
        local_functions: Sequence[HandlerRegistry] = (),
        authorizer: Authorizer | None = None,
    ) -> None:
        self.runtime = runtime
        #: Decides who may call which action on which resource (None: everyone may, as
        #: locally; the serverless deployment asks IAM: :mod:`interpreter.api.authorization`).
        self.authorizer = authorizer
        self.store: Store = runtime.store
        self.queue: Queue = runtime.queue
        self.clock = runtime.clock
        self.account = runtime.identity.account
        self.region = runtime.identity.region
        self.activities = activities
        #: Step Functions Local's mock test cases: StartExecution on ``<arn>#<TestCase>`` runs
        #: that test case.
        self.mocks = mocks
        self.worker = worker
        #: Runs TestState's Tasks that are not mocked.
        self.test_state_tasks = test_state_tasks or TaskRunner(region=self.region)
        #: The local Lambda handlers the deployment serves, and where they are registered.
        self.lambdas = dict(lambdas or {})
        self._local_functions = tuple(local_functions)
        #: How long GetActivityTask waits for a task (AWS holds the poll up to 60 seconds).
        self.activity_poll_seconds = activity_poll_seconds
        #: How many running executions were resumed when the service opened.
        self.recovered = 0
        #: Says which Task states of a state machine nothing on this endpoint would serve
        #: (one description each); set where the deployment is composed.
        self.task_coverage: Callable[[StateMachineRecord, dict[str, Any]], list[str]] | None = None
        self._created_unchecked: list[str] | None = None
        #: Whether a CloudWatch Logs log group exists (set where the endpoint reaches
        #: CloudWatch Logs, ``--aws``): logging configurations naming one are checked.
        self.log_group_exists: Callable[[str], bool] | None = None

    def log_executions(self, sink: Any) -> None:
        """Write executions' history events to ``sink`` as their state machines' logging
        configurations ask (:mod:`interpreter.api.execution_log`); a sink that can tell whether
        a log group exists also checks the logging configurations given to the API."""
        from interpreter.api.execution_log import ExecutionLog

        self.runtime.history_listeners.append(ExecutionLog(self.store, sink))
        exists = getattr(sink, "log_group_exists", None)
        if exists is not None:
            self.log_group_exists = exists

    # ------------------------------------------------------------------ running

    def run_until_idle(self) -> None:
        """Process all queued work now, jumping a virtual clock to each due message."""
        self._local_worker().run_until_idle()

    def start_workers(self, threads: int = 2) -> None:
        """Run executions in the background (real clock)."""
        self._local_worker().start(threads)

    def stop_workers(self) -> None:
        """Stop the background workers."""
        self._local_worker().stop()

    def _local_worker(self) -> Worker:
        if self.worker is None:
            raise RuntimeError("this deployment's work runs elsewhere (the worker Lambda)")
        return self.worker

    def serve_lambdas(self, lambdas: Mapping[str, LambdaHandler]) -> None:
        """Serve these local Lambda handlers from now on, in place of those given before."""
        self.lambdas = dict(lambdas)
        for registry in self._local_functions:
            registry.replace(lambdas)

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
        self.mocks.clear()

    def call(
        self, action: str, request: Mapping[str, Any], caller: Caller | None = None
    ) -> dict[str, Any]:
        """Dispatch an API action by its name (``StartExecution``) with its request members,
        for ``caller`` (who must hold the permissions the request needs, where this service
        has an authorizer)."""
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
        self.authorize(action, request, caller)
        return handler(**request)

    def authorize(self, action: str, request: Mapping[str, Any], caller: Caller | None) -> None:
        """Raise ``AccessDeniedException`` unless ``caller`` may make this request (nothing to
        check without an authorizer)."""
        if self.authorizer is None:
            return
        authorize(
            self.authorizer,
            caller,
            action,
            request,
            region=self.region,
            account=self.account,
            token_resource=self._token_resource,
        )

    def _token_resource(self, token: str) -> str:
        """What a task token's callback acts on: the activity of an activity task, the state
        machine of a callback's execution; ``*`` for a token nobody issued."""
        target = self.store.task_token(token) if token else None
        record = self.store.get_execution(target[0]) if target is not None else None
        if target is None or record is None:
            return "*"
        command = record.tasks.get(target[1]) or {}
        if command.get("activity") and isinstance(command.get("resource"), str):
            return str(command["resource"])
        return record.state_machine_arn

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
        loggingConfiguration: Mapping[str, Any] | None = None,
        tracingConfiguration: Mapping[str, Any] | None = None,
        encryptionConfiguration: Mapping[str, Any] | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """CreateStateMachine."""
        if versionDescription is not None and not publish:
            raise api_error(
                "ValidationException", "Version description can only be set when publish is true"
            )
        _check_name(name, "state machine")
        check_role_arn(roleArn)
        logging = logging_configuration(loggingConfiguration, self.log_group_exists)
        tracing = tracing_configuration(tracingConfiguration)
        encryption = encryption_configuration(encryptionConfiguration)
        parsed, diagnostics = validate_and_load(definition, state_machine_type=type)
        errors = [d for d in diagnostics if d.is_error]
        if errors:
            raise api_error("InvalidDefinition", invalid_definition_message(errors, definition))
        arn = arns.state_machine_arn(self.region, self.account, name)
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
            logging_configuration=logging,
            tracing_configuration=tracing,
            encryption_configuration=encryption,
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
        self._warn_unserved("CreateStateMachine", record, parsed)
        response = {"stateMachineArn": arn, "creationDate": _date(record.created_ms)}
        if publish:
            response["stateMachineVersionArn"] = self._publish(record, versionDescription)
        return response

    def describe_state_machine(self, stateMachineArn: str, **_ignored: Any) -> dict[str, Any]:
        """DescribeStateMachine (of a version too: ``<state machine ARN>:<n>``)."""
        check_arn(stateMachineArn, "stateMachine")
        machine, record, version_arn, _ = self.resolve(stateMachineArn)
        described = {
            "stateMachineArn": version_arn or record.arn,
            "name": record.name,
            "status": record.status,
            "definition": record.definition,
            "roleArn": record.role_arn,
            "type": record.type,
            "creationDate": _date(record.created_ms),
            **_configurations(record),
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
        encryptionConfiguration: Any = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """UpdateStateMachine: a new revision; running executions keep the one they started
        with."""
        changes = (
            definition,
            roleArn,
            loggingConfiguration,
            tracingConfiguration,
            encryptionConfiguration,
        )
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
        check_arn(stateMachineArn, "stateMachine")
        if roleArn is not None:
            check_role_arn(roleArn)
        record = self._machine(stateMachineArn)
        if loggingConfiguration is not None:
            record.logging_configuration = logging_configuration(
                loggingConfiguration, self.log_group_exists
            )
        if tracingConfiguration is not None:
            record.tracing_configuration = tracing_configuration(tracingConfiguration)
        if encryptionConfiguration is not None:
            record.encryption_configuration = encryption_configuration(encryptionConfiguration)
        parsed = None
        if definition is not None:
            parsed, diagnostics = validate_and_load(definition, state_machine_type=record.type)
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
        if parsed is not None:
            self._warn_unserved("UpdateStateMachine", record, parsed)
        response = {"updateDate": _date(record.updated_ms), "revisionId": record.revision_id}
        if publish:
            response["stateMachineVersionArn"] = self._publish(record, versionDescription)
        return response

    @contextlib.contextmanager
    def unserved_checked_after(self) -> Iterator[None]:
        """Check the state machines created inside the block for Tasks nothing serves when it
        ends, not one by one: those of one template may start each other, and their handlers
        may be served after them."""
        created: list[str] = []
        self._created_unchecked = created
        try:
            yield
        finally:
            self._created_unchecked = None
        for arn in created:
            record = self.store.get_state_machine(arn)
            if record is not None:
                # Stored definitions were validated when they were created: plain JSON.
                self._warn_unserved("CreateStateMachine", record, parse_json(record.definition))

    def _warn_unserved(self, action: str, record: StateMachineRecord, parsed: Any) -> None:
        """Log a warning for each Task state nothing on this endpoint would serve yet (not an
        error: handlers, workers or state machines may come later)."""
        coverage = self.task_coverage
        if coverage is None or not isinstance(parsed, dict):
            return
        if self._created_unchecked is not None and action == "CreateStateMachine":
            self._created_unchecked.append(record.arn)
            return
        try:
            for problem in coverage(record, parsed):
                _log.warning(
                    "%s %s: nothing on this endpoint serves a Task state yet (its executions "
                    "would fail there): %s",
                    action,
                    record.name,
                    problem,
                )
        except Exception:  # a warning must never refuse a valid state machine
            _log.exception("checking what serves the Tasks of %s failed", record.name)

    def list_state_machines(
        self, maxResults: int = 0, nextToken: str | None = None, **_ignored: Any
    ) -> dict[str, Any]:
        """ListStateMachines (oldest first, paged from the store's index)."""
        query = "ListStateMachines"
        after = decode_token(nextToken, query)
        try:
            records, following = self.store.list_state_machines_page(
                limit=page_size(maxResults), after=after
            )
        except (TypeError, ValueError, KeyError, IndexError):
            raise api_error("InvalidToken", "Invalid Token: 'nextToken'") from None
        response: dict[str, Any] = {
            "stateMachines": [
                {
                    "stateMachineArn": record.arn,
                    "name": record.name,
                    "type": record.type,
                    "creationDate": _date(record.created_ms),
                }
                for record in records
            ]
        }
        if following is not None:
            response["nextToken"] = encode_token(query, following)
        return response

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
        """TestState: run one state; a Task that is not mocked runs through the deployment's
        local handlers and invokers."""
        return execute_test_state(
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
            tasks=self.test_state_tasks,
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
        return self._start(stateMachineArn, name, input)

    def start_child_execution(
        self,
        state_machine_arn: str,
        name: str | None,
        input_text: str | None,
        parent: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """StartExecution for a Task of an execution of this deployment
        (``states:startExecution``); with ``parent`` (``{"arn", "key", "sync_version"}``, a
        ``.sync`` task) the child tells that task when it ends. Not an API action: a caller of
        the API cannot make its executions anyone's child."""
        return self._start(state_machine_arn, name, input_text, parent)

    def _start(
        self,
        stateMachineArn: str,
        name: str | None,
        input: str | None,
        parent: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        stateMachineArn, _, test_case = stateMachineArn.partition("#")
        _, machine, version_arn, alias_arn = self.resolve(stateMachineArn)
        name = name if name is not None else str(uuid.uuid4())
        _check_name(name, "execution")
        text, value = _execution_input(input)
        arn = self.runtime.execution_arn(machine, name)
        if test_case:
            self._check_test_case(machine.name, test_case)
        try:
            record = self.runtime.start_execution(
                machine,
                name,
                text,
                value,
                version_arn=version_arn or "",
                alias_arn=alias_arn or "",
                arn=arn,
                test_case=test_case,
                parent=parent,
            )
        except ExecutionAlreadyExistsError as problem:
            raise api_error("ExecutionAlreadyExists", str(problem)) from None
        return {"executionArn": record.arn, "startDate": _date(record.start_ms)}

    def _check_test_case(self, machine_name: str, test_case: str) -> None:
        if self.mocks.config is None:
            raise api_error(
                "ValidationException",
                f"Test case '{test_case}' requested, but no mock configuration is loaded "
                "(asl serve --mock-config FILE, or SFN_MOCK_CONFIG)",
            )
        try:
            self.mocks.check(machine_name, test_case)
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
        described = self._describe(self._execution(arn))
        for member in ("redriveCount", "redriveDate", "redriveStatus", "redriveStatusReason"):
            described.pop(member, None)
        described["billingDetails"] = {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": 100,
        }
        return described

    def describe_execution(self, executionArn: str, **_ignored: Any) -> dict[str, Any]:
        """DescribeExecution (Standard executions: AWS refuses Express ones)."""
        return self._describe(self._standard_execution(executionArn))

    def _describe(self, record: ExecutionRecord) -> dict[str, Any]:
        refusal = self.runtime.redrive_refusal(record)
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
                "redriveCount": record.redrive_count,
                "redriveDate": _date(record.redrive_ms),
                "redriveStatus": "NOT_REDRIVABLE" if refusal else "REDRIVABLE",
                "redriveStatusReason": refusal,
            }
        )

    def describe_state_machine_for_execution(
        self,
        executionArn: str,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """DescribeStateMachineForExecution."""
        record = self._standard_execution(executionArn)
        machine = self.runtime.machine_record_of(record)
        if machine is None:
            machine = self._machine(record.state_machine_arn)
        return {
            "stateMachineArn": machine.arn,
            "name": machine.name,
            "definition": machine.definition,
            "roleArn": machine.role_arn,
            "updateDate": _date(machine.updated_ms or machine.created_ms),
            **_configurations(machine, encryption_default=False),
            "revisionId": machine.revision_id,
        }

    def list_executions(
        self,
        stateMachineArn: str,
        statusFilter: str | None = None,
        maxResults: int = 0,
        nextToken: str | None = None,
        redriveFilter: str | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """ListExecutions (newest first, paged from the store's index; a token is bound to its
        state machine and filters)."""
        check_arn(stateMachineArn, "stateMachine")
        machine = self._machine(stateMachineArn)
        if machine.type == "EXPRESS":
            raise api_error(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            )
        query = f"ListExecutions {stateMachineArn} {statusFilter} {redriveFilter}"
        after = decode_token(nextToken, query)
        redriven = None if redriveFilter is None else redriveFilter == "REDRIVEN"
        try:
            summaries, following = self.store.list_executions_page(
                stateMachineArn,
                status=statusFilter,
                redriven=redriven,
                limit=page_size(maxResults),
                after=after,
            )
        except (TypeError, ValueError, KeyError, IndexError):
            raise api_error("InvalidToken", "Invalid Token: 'nextToken'") from None
        response: dict[str, Any] = {
            "executions": [
                _drop_none(
                    {
                        "executionArn": summary.arn,
                        "stateMachineArn": summary.state_machine_arn,
                        "name": summary.name,
                        "status": summary.status,
                        "startDate": _date(summary.start_ms),
                        "stopDate": _date(summary.stop_ms),
                        "redriveCount": summary.redrive_count,
                        "redriveDate": _date(summary.redrive_ms),
                    }
                )
                for summary in summaries
            ]
        }
        if following is not None:
            response["nextToken"] = encode_token(query, following)
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
        self._standard_execution(executionArn)
        events = self.runtime.history(executionArn)
        if reverseOrder:
            events.reverse()
        query = f"GetExecutionHistory {executionArn} {reverseOrder}"
        page, following = _page(events, maxResults, nextToken, query)
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
        record = self._standard_execution(executionArn)
        if record.status == S.RUNNING:
            record = self.runtime.stop_execution(executionArn, error, cause)
        return {"stopDate": _date(record.stop_ms)}

    def redrive_execution(
        self, executionArn: str, clientToken: str | None = None, **_ignored: Any
    ) -> dict[str, Any]:
        """RedriveExecution: a FAILED, TIMED_OUT or ABORTED Standard execution continues from
        where it stopped (:mod:`interpreter.core.redrive`); refused with AWS's
        ``ExecutionNotRedrivable`` and its ``redriveStatusReason``. Idempotent by
        ``clientToken`` (:mod:`interpreter.runtime.redrives`)."""
        self._standard_execution(executionArn)
        try:
            redriven_ms = self.runtime.redrive_execution(executionArn, clientToken)
        except ExecutionDoesNotExistError:
            raise api_error(
                "ExecutionDoesNotExist", f"Execution Does Not Exist: '{executionArn}'"
            ) from None
        except ExecutionNotRedrivableError as refusal:
            raise api_error("ExecutionNotRedrivable", str(refusal)) from None
        return {"redriveDate": _date(redriven_ms)}

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
        self,
        name: str,
        tags: list[Any] | None = None,
        encryptionConfiguration: Mapping[str, Any] | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """CreateActivity (idempotent by name)."""
        _check_name(name, "activity")
        encryption = encryption_configuration(encryptionConfiguration)
        record = self.activities.create(name, self.clock.now_ms())
        record.tags.update(_tag_map(tags))
        if encryption is not None:
            record.encryption_configuration = encryption
        return {"activityArn": record.arn, "creationDate": _date(record.created_ms)}

    def describe_activity(self, activityArn: str, **_ignored: Any) -> dict[str, Any]:
        """DescribeActivity."""
        check_arn(activityArn, "activity")
        record = self._activity(activityArn)
        described = describe_activity(record, _date)
        described["encryptionConfiguration"] = dict(
            record.encryption_configuration or DEFAULT_ENCRYPTION
        )
        return described

    def list_activities(
        self, maxResults: int = 0, nextToken: str | None = None, **_ignored: Any
    ) -> dict[str, Any]:
        """ListActivities."""
        entries = [describe_activity(record, _date) for record in self.activities.list()]
        page, token = _page(entries, maxResults, nextToken, "ListActivities")
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
        check_arn(activityArn, "activity")
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
        record = self._standard_execution(executionArn)
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
        page, token = _page(entries, maxResults, nextToken, f"ListMapRuns {executionArn}")
        return _drop_none({"mapRuns": page, "nextToken": token})

    def describe_map_run(self, mapRunArn: str, **_ignored: Any) -> dict[str, Any]:
        """DescribeMapRun: a Distributed Map run's settings, status, counts and redrives."""
        record, run = self._map_run(mapRunArn)
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
            "redriveCount": int(run.get("redrive_count", 0)),
            "redriveDate": _date(run.get("redrive_ms")),
        }
        return _drop_none(described)

    def update_map_run(
        self,
        mapRunArn: str,
        maxConcurrency: int | None = None,
        toleratedFailurePercentage: float | None = None,
        toleratedFailureCount: int | None = None,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """UpdateMapRun: a running Map Run's MaxConcurrency and tolerated failures change for
        the child executions it has not started yet."""
        check_arn(mapRunArn, "mapRun")
        changes = (maxConcurrency, toleratedFailurePercentage, toleratedFailureCount)
        if all(change is None for change in changes):
            raise api_error(
                "ValidationException",
                "At least one of maxConcurrency, toleratedFailurePercentage or "
                "toleratedFailureCount must be specified",
                reason="MISSING_REQUIRED_PARAMETER",
            )
        record, run = self._map_run(mapRunArn)
        if record.status != S.RUNNING or run["status"] != "RUNNING":
            raise api_error(
                "ValidationException",
                f"Map Run is {run['status']} and cannot be updated: '{mapRunArn}'",
                reason="CANNOT_UPDATE_COMPLETED_MAP_RUN",
            )
        event: dict[str, Any] = {"type": "update_map_run", "map_run_arn": mapRunArn}
        if maxConcurrency is not None:
            event["max_concurrency"] = maxConcurrency
        if toleratedFailurePercentage is not None:
            event["tolerated_percentage"] = toleratedFailurePercentage
        if toleratedFailureCount is not None:
            event["tolerated_count"] = toleratedFailureCount
        self.runtime.update_map_run(record.arn, event)
        return {}

    def _map_run(self, arn: str) -> tuple[ExecutionRecord, dict[str, Any]]:
        """The execution that started Map Run ``arn``, and the run (``ResourceNotFound``)."""
        prefix, _, rest = arn.partition(":mapRun:")
        machine_arn = f"{prefix}:stateMachine:{rest.split('/', 1)[0]}"
        for record in self.store.list_executions(machine_arn) if rest else []:
            run = (record.snapshot.get("map_runs") or {}).get(arn)
            if run is not None:
                return record, run
        raise api_error("ResourceNotFound", f"Resource not found: '{arn}'")

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

    def _standard_execution(self, arn: str) -> ExecutionRecord:
        """The execution ``arn`` names, refused as AWS refuses it when the ARN is malformed or
        names an Express execution (``InvalidArn``)."""
        check_arn(arn, "execution")
        return self._execution(arn)

    def expire_finished(self, retention_ms: int, limit: int = 1000) -> int:
        """Retention: forget executions that ended more than ``retention_ms`` ago (AWS keeps
        them 90 days); how many were forgotten."""
        return self.store.delete_finished_executions(self.clock.now_ms() - retention_ms, limit)

    def _execution(self, arn: str) -> ExecutionRecord:
        record = self.store.get_execution(arn)
        if record is None:
            raise api_error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return record

    def _wait_for_end(self, arn: str) -> None:
        if self.worker is not None and self.worker.virtual:
            self.worker.run_until_idle(until=lambda: self._execution(arn).status != S.RUNNING)
            return
        deadline = time.monotonic() + MAX_EXPRESS_DURATION_MS / 1000
        while self._execution(arn).status == S.RUNNING:
            if time.monotonic() >= deadline:
                # As AWS ends an Express execution at its five minutes.
                self.runtime.end_abnormally(
                    arn,
                    S.TIMED_OUT,
                    "States.Timeout",
                    "The execution ran longer than an Express execution may (5 minutes).",
                )
                return
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
        "RedriveExecution",
        "UpdateMapRun",
    }
)


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def _configurations(
    record: StateMachineRecord, *, encryption_default: bool = False
) -> dict[str, Any]:
    """The logging, tracing and encryption configurations Describe* show for ``record``."""
    shown: dict[str, Any] = {
        "loggingConfiguration": dict(record.logging_configuration or DEFAULT_LOGGING),
        "tracingConfiguration": dict(record.tracing_configuration or DEFAULT_TRACING),
    }
    encryption = record.encryption_configuration or (
        DEFAULT_ENCRYPTION if encryption_default else None
    )
    if encryption is not None:
        shown["encryptionConfiguration"] = dict(encryption)
    return shown


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
        # Bounded before it is parsed: nothing downstream recurses deeper than this.
        value = parse_json_bounded(text, MAX_INPUT_DEPTH)
    except (ValueError, RecursionError) as problem:
        if member == "input":
            message = f"Invalid State Machine Execution Input: '{problem}'"
            raise api_error("InvalidExecutionInput", message) from None
        # The model's wording of InvalidOutput, with the parser's reason.
        message = f"The provided JSON output data is not valid: '{problem}'"
        raise api_error("InvalidOutput", message) from None
    return text, value


def _map_run_machine(map_run_arn: str) -> str:
    """The ARN a Map Run's child executions name as their state machine
    (``...:stateMachine:<machine>/<label>``)."""
    prefix, _, rest = map_run_arn.partition(":mapRun:")
    return f"{prefix}:stateMachine:{rest.rsplit(':', 1)[0]}"


def _map_run_counts(counts: dict[str, int]) -> dict[str, int]:
    return {"failuresNotRedrivable": 0, "pendingRedrive": 0, **counts}


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
