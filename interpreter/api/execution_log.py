"""Execution logs: a state machine's ``loggingConfiguration`` put to work.

AWS writes an execution's history events to the CloudWatch Logs log group of the state machine's
logging configuration, filtered by its level, one JSON record per event::

    {"id": "3", "type": "ExecutionFailed", "details": {"error": "...", "cause": "..."},
     "previous_event_id": "2", "event_timestamp": "1717...", "execution_arn": "arn:...",
     "redrive_count": "0"}

``details`` is the event's details, without its payloads (``input``, ``output``...) unless
``includeExecutionData`` is true. Levels (the recorded AWS runs agree): ``ALL`` every event;
``ERROR`` the events that report a failure (``...Failed``, ``...TimedOut``, ``...Aborted``) and
``FailStateEntered``; ``FATAL`` only the execution's own ``ExecutionFailed``, ``ExecutionAborted``
and ``ExecutionTimedOut``; ``OFF`` nothing.

:class:`ExecutionLog` listens to the durable runtime's committed history and sends the records to
a sink: :class:`CloudWatchLogsSink` (``asl serve --aws`` / ``--endpoint-url``: the log group
itself) or :class:`StreamSink` (``asl serve --log-executions``: standard error).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any, Protocol

from interpreter.runtime.ports import ExecutionRecord, StateMachineRecord, Store

_FATAL = frozenset({"ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"})
_ERROR_SUFFIXES = ("Failed", "TimedOut", "Aborted")
#: Members of an event's details that carry execution data.
_DATA = frozenset({"input", "inputDetails", "output", "outputDetails", "parameters"})


def logged(level: str, event_type: str) -> bool:
    """Whether a logging ``level`` logs events of ``event_type``."""
    if level == "ALL":
        return True
    if level == "ERROR":
        return event_type.endswith(_ERROR_SUFFIXES) or event_type == "FailStateEntered"
    if level == "FATAL":
        return event_type in _FATAL
    return False


def log_record(
    event: Mapping[str, Any], execution_arn: str, *, include_data: bool, redrive_count: int = 0
) -> dict[str, Any]:
    """One history event as AWS's execution log writes it."""
    details: dict[str, Any] = {}
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            details = {
                name: item for name, item in value.items() if include_data or name not in _DATA
            }
            break
    return {
        "id": str(event["id"]),
        "type": event["type"],
        "details": details,
        "previous_event_id": str(event.get("previousEventId", 0)),
        "event_timestamp": str(event["timestamp"]),
        "execution_arn": execution_arn,
        "redrive_count": str(redrive_count),
    }


class LogSink(Protocol):
    """Where execution log records go."""

    def write(self, log_group_arn: str, stream: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Write ``records`` (in order) to ``stream`` of the log group."""
        ...


class StreamSink:
    """Writes each record as one JSON line to a text stream (standard error by default)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        import sys

        self.stream = stream if stream is not None else sys.stderr
        self._lock = threading.Lock()

    def write(self, log_group_arn: str, stream: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Write the records, one line each."""
        del log_group_arn, stream
        text = "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in records)
        with self._lock:
            self.stream.write(text)
            self.stream.flush()


class CloudWatchLogsSink:
    """Writes records to CloudWatch Logs (a boto3 ``logs`` client: AWS, moto, LocalStack)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._streams: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def log_group_exists(self, log_group_arn: str) -> bool:
        """Whether the log group of ``log_group_arn`` exists (logging configurations name one)."""
        name = log_group_name(log_group_arn)
        answer = self.client.describe_log_groups(logGroupNamePrefix=name)
        return any(group.get("logGroupName") == name for group in answer.get("logGroups", []))

    def write(self, log_group_arn: str, stream: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Put the records into the stream (created on first use)."""
        group = log_group_name(log_group_arn)
        with self._lock:
            if (group, stream) not in self._streams:
                exists = self.client.exceptions.ResourceAlreadyExistsException
                with contextlib.suppress(exists):
                    self.client.create_log_stream(logGroupName=group, logStreamName=stream)
                self._streams.add((group, stream))
        now = int(time.time() * 1000)
        self.client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[
                {
                    "timestamp": int(record.get("event_timestamp") or now),
                    "message": json.dumps(record, separators=(",", ":")),
                }
                for record in records
            ],
        )


def log_group_name(log_group_arn: str) -> str:
    """``arn:aws:logs:<region>:<account>:log-group:<name>:*`` -> ``<name>``."""
    parts = log_group_arn.split(":")
    return parts[6] if len(parts) > 6 else log_group_arn


class ExecutionLog:
    """A history listener of the durable runtime: logs what each execution's state machine
    asks for, to ``sink``. The configuration is the one of the revision the execution runs
    (revisions never change, so it is read once per revision)."""

    def __init__(self, store: Store, sink: LogSink) -> None:
        self.store = store
        self.sink = sink
        self._configurations: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, record: ExecutionRecord, events: Sequence[Mapping[str, Any]]) -> None:
        configuration = self._configuration(record)
        level = configuration.get("level", "OFF")
        if level == "OFF" or not configuration.get("destinations"):
            return
        include = bool(configuration.get("includeExecutionData"))
        records = [
            log_record(event, record.arn, include_data=include, redrive_count=record.redrive_count)
            for event in events
            if logged(level, str(event.get("type")))
        ]
        if records:
            group = configuration["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"]
            self.sink.write(group, _stream_name(record), records)

    def _configuration(self, record: ExecutionRecord) -> dict[str, Any]:
        key = (record.state_machine_arn, record.state_machine_revision)
        with self._lock:
            known = self._configurations.get(key)
        if known is not None:
            return known
        machine: StateMachineRecord | None = None
        if record.state_machine_revision:
            machine = self.store.get_state_machine_revision(*key)
        if machine is None:
            machine = self.store.get_state_machine(record.state_machine_arn)
        configuration = dict(machine.logging_configuration) if machine is not None else {}
        with self._lock:
            self._configurations[key] = configuration
        return configuration


def _stream_name(record: ExecutionRecord) -> str:
    """One log stream per execution, named after its state machine and start."""
    day = time.strftime("%Y-%m-%d", time.gmtime(record.start_ms / 1000))
    machine = record.state_machine_arn.rsplit(":", 1)[-1]
    return f"states/{machine}/{day}/{record.name}"
