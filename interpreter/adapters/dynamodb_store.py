"""The durable runtime's :class:`~interpreter.runtime.ports.Store` in one DynamoDB table.

The single-table layout of DESIGN.md (``pk``/``sk``)::

    SM#<arn>        DEF                 a state machine (its current revision)
    SM#<arn>        REV#<revision id>   every revision (executions run the one they started on)
    EX#<arn>        STATE               an execution record: version, status, snapshot...
    EX#<arn>        EV#<10-digit id>    one history event
    EX#<arn>        IN#<key>            one inbox entry
    EX#<arn>        CL#<key>            who holds a task (owner, lease end)
    TT#<token>      TOKEN               task token -> execution + task key
    AC#<arn>        DEF                 an activity
    AT#<arn>        <13-digit ms>#<token>  an activity task waiting for a worker

Sparse global secondary indexes serve the queries: ``by-wake-up`` (``run_status`` = ``RUNNING``
while an execution runs, ``wake_ms``: its next timer, or never) for the sweep and for recovery;
``by-machine`` (``machine_arn``, ``start_key``) and ``by-machine-status`` (``machine_status`` =
``<machine>#<status>``, ``start_key``) for ListExecutions, one page per query at any depth
(``start_key`` = start time + ARN: executions started in the same millisecond are listed in one
order on every DynamoDB, which orders equal index keys as it likes); ``by-listing`` (``listing`` =
``SM``, ``listing_key`` = creation time + ARN) for ListStateMachines. ``template.yaml`` declares the
table with them, and ``expires_at`` as its TTL attribute: with a retention period, a finished
execution's items carry the time DynamoDB may delete them (its record: its stop time + the
retention; its history, inbox and tokens: their write time + the longest an execution runs + the
retention, a bound known when they are written).

Guarantees, as the port asks: a commit is one conditional ``PutItem`` on the record's version (the
single commit point); inbox entries and history events are written with ``attribute_not_exists``
(first write wins; an event by its id). A record, event or inbox entry over 1 KiB is stored
zlib-compressed: DynamoDB bills a write per KB, a read per 4 KB and storage per byte, JSON
shrinks three to five times, and snapshots stay well under the 400 KB item limit.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import Any, Final

from botocore.exceptions import ClientError

from interpreter.json_types import JSON
from interpreter.runtime.ports import (
    Claim,
    ExecutionRecord,
    ExecutionSummary,
    ListingPosition,
    StateMachineRecord,
)

#: ``wake_ms`` of a running execution with no timer: never due.
NEVER: Final = 9_999_999_999_999
#: Documents longer than one write unit are compressed (``benchmarks/serverless.py`` measures
#: what it saves).
_COMPRESS_ABOVE: Final = 1024
_WAKE_INDEX: Final = "by-wake-up"
_MACHINE_INDEX: Final = "by-machine"
_STATUS_INDEX: Final = "by-machine-status"
_LISTING_INDEX: Final = "by-listing"
#: The longest a Standard execution runs (one year), in seconds.
_LONGEST_EXECUTION_S: Final = 366 * 24 * 3600
#: What a listing reads of an execution item.
_SUMMARY_ATTRIBUTES: Final = (
    "pk, #name, #status, start_ms, stop_ms, machine_arn, redrive_count, redrive_ms"
)


def table_definition(name: str) -> dict[str, Any]:
    """``CreateTable`` arguments for the table this store expects (tests and local setups;
    ``template.yaml`` declares the same on AWS)."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "run_status", "AttributeType": "S"},
            {"AttributeName": "wake_ms", "AttributeType": "N"},
            {"AttributeName": "machine_arn", "AttributeType": "S"},
            {"AttributeName": "start_key", "AttributeType": "S"},
            {"AttributeName": "machine_status", "AttributeType": "S"},
            {"AttributeName": "listing", "AttributeType": "S"},
            {"AttributeName": "listing_key", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": _WAKE_INDEX,
                "KeySchema": [
                    {"AttributeName": "run_status", "KeyType": "HASH"},
                    {"AttributeName": "wake_ms", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": _MACHINE_INDEX,
                "KeySchema": [
                    {"AttributeName": "machine_arn", "KeyType": "HASH"},
                    {"AttributeName": "start_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": _STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": "machine_status", "KeyType": "HASH"},
                    {"AttributeName": "start_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": _LISTING_INDEX,
                "KeySchema": [
                    {"AttributeName": "listing", "KeyType": "HASH"},
                    {"AttributeName": "listing_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    }


def _pack(document: Mapping[str, Any]) -> dict[str, Any]:
    """A record as an item attribute: JSON text, compressed when over one write unit and
    smaller so."""
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    if len(text) > _COMPRESS_ABOVE:
        encoded = text.encode("utf-8")
        packed = zlib.compress(encoded)
        if len(packed) < len(encoded):
            return {"B": packed}
    return {"S": text}


def _unpack(attribute: Mapping[str, Any]) -> Any:
    if "B" in attribute:
        return json.loads(zlib.decompress(attribute["B"]).decode("utf-8"))
    return json.loads(attribute["S"])


def _event_key(event: Mapping[str, Any]) -> str:
    """A history event's sort key."""
    return f"EV#{int(event['id']):010d}"


def _position(item: Mapping[str, Any], keys: tuple[str, ...]) -> list[list[str]]:
    """A listing position: the index and table keys of the last item of a page."""
    return [[key, *next(iter(item[key].items()))] for key in keys]


def _start_key(position: ListingPosition) -> dict[str, Any]:
    """``ExclusiveStartKey`` from a listing position (ValueError when it is not one)."""
    if not isinstance(position, list):
        raise ValueError("not a listing position")
    start: dict[str, Any] = {}
    for entry in position:
        key, kind, value = entry
        if kind not in ("S", "N") or not isinstance(value, str):
            raise ValueError("not a listing position")
        start[str(key)] = {kind: value}
    return start


def _conditional_failure(problem: ClientError) -> bool:
    return problem.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoDbStore:
    """The store in the DynamoDB table ``table`` (a low-level boto3 ``dynamodb`` client)."""

    def __init__(self, client: Any, table: str, *, retention_s: int | None = None) -> None:
        self.client = client
        self.table = table
        #: How long finished executions are kept (None: until deleted); sets ``expires_at``.
        self.retention_s = retention_s

    def _expiry(self, after_s: float) -> dict[str, Any]:
        """The TTL attribute for an item DynamoDB may delete ``after_s`` from now (none without a
        retention period)."""
        if self.retention_s is None:
            return {}
        return {"expires_at": {"N": str(int(time.time() + after_s + self.retention_s))}}

    # ------------------------------------------------------------------ helpers

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return item

    def _put_new(self, item: dict[str, Any]) -> bool:
        """Write ``item`` unless an item with its key exists; whether it was written."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as problem:
            if _conditional_failure(problem):
                return False
            raise
        return True

    def _query(self, **arguments: Any) -> Iterator[dict[str, Any]]:
        arguments["TableName"] = self.table
        while True:
            page = self.client.query(**arguments)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return
            arguments["ExclusiveStartKey"] = start

    # ------------------------------------------------------------------ state machines

    def _machine_item(self, record: StateMachineRecord, sk: str) -> dict[str, Any]:
        item = {
            "pk": {"S": "SM#" + record.arn},
            "sk": {"S": sk},
            "created_ms": {"N": str(record.created_ms)},
            "record": _pack(asdict(record)),
        }
        if sk == "DEF":  # the current revision is the one listed
            item["listing"] = {"S": "SM"}
            item["listing_key"] = {"S": f"{record.created_ms:015d}#{record.arn}"}
        return item

    def put_state_machine(self, record: StateMachineRecord) -> bool:
        # The revision first: once DEF exists an execution may start on it, and a crash
        # between the two writes must not leave DEF naming a revision that was never written
        # (a retried create finds DEF and answers with it). A crash leaves at most an unused
        # revision item.
        self.client.put_item(
            TableName=self.table, Item=self._machine_item(record, "REV#" + record.revision_id)
        )
        return self._put_new(self._machine_item(record, "DEF"))

    def update_state_machine(self, record: StateMachineRecord) -> bool:
        # The revision first: once DEF names it, an execution may start on it.
        self.client.put_item(
            TableName=self.table, Item=self._machine_item(record, "REV#" + record.revision_id)
        )
        try:
            self.client.put_item(
                TableName=self.table,
                Item=self._machine_item(record, "DEF"),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as problem:
            if _conditional_failure(problem):
                return False
            raise
        return True

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        item = self._get("SM#" + arn, "DEF")
        return StateMachineRecord(**_unpack(item["record"])) if item else None

    def get_state_machine_revision(self, arn: str, revision_id: str) -> StateMachineRecord | None:
        item = self._get("SM#" + arn, "REV#" + revision_id)
        return StateMachineRecord(**_unpack(item["record"])) if item else None

    def list_state_machines(self) -> list[StateMachineRecord]:
        records: list[StateMachineRecord] = []
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "begins_with(pk, :machine) AND sk = :definition",
            "ExpressionAttributeValues": {":machine": {"S": "SM#"}, ":definition": {"S": "DEF"}},
        }
        while True:
            page = self.client.scan(**arguments)
            records.extend(StateMachineRecord(**_unpack(i["record"])) for i in page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
            arguments["ExclusiveStartKey"] = start
        return sorted(records, key=lambda record: (record.created_ms, record.arn))

    def list_state_machines_page(
        self, *, limit: int = 100, after: ListingPosition = None
    ) -> tuple[list[StateMachineRecord], ListingPosition]:
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": _LISTING_INDEX,
            "KeyConditionExpression": "listing = :machines",
            "ExpressionAttributeValues": {":machines": {"S": "SM"}},
            "Limit": limit + 1,
        }
        if after:
            arguments["ExclusiveStartKey"] = _start_key(after)
        items = self.client.query(**arguments).get("Items", [])
        records = [StateMachineRecord(**_unpack(item["record"])) for item in items[:limit]]
        more = len(items) > limit
        keys = ("pk", "sk", "listing", "listing_key")
        return records, (_position(items[limit - 1], keys) if more else None)

    def delete_state_machine(self, arn: str) -> None:
        self.client.delete_item(
            TableName=self.table, Key={"pk": {"S": "SM#" + arn}, "sk": {"S": "DEF"}}
        )

    # ------------------------------------------------------------------ executions

    def _execution_item(self, record: ExecutionRecord) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": {"S": "EX#" + record.arn},
            "sk": {"S": "STATE"},
            "version": {"N": str(record.version)},
            "status": {"S": record.status},
            "machine_arn": {"S": record.state_machine_arn},
            "machine_status": {"S": f"{record.state_machine_arn}#{record.status}"},
            "start_ms": {"N": str(record.start_ms)},
            "start_key": {"S": f"{record.start_ms:015d}#{record.arn}"},
            "name": {"S": record.name},
            "record": _pack(asdict(record)),
        }
        if record.redrive_count:
            item["redrive_count"] = {"N": str(record.redrive_count)}
        if record.redrive_ms is not None:
            item["redrive_ms"] = {"N": str(record.redrive_ms)}
        if record.stop_ms is not None:
            item["stop_ms"] = {"N": str(record.stop_ms)}
            item.update(self._expiry(record.stop_ms / 1000 - time.time()))
        if record.status == "RUNNING":
            # Only running executions are in the wake-up index (it is sparse).
            item["run_status"] = {"S": "RUNNING"}
            wake = record.wake_ms if record.wake_ms is not None else NEVER
            item["wake_ms"] = {"N": str(wake)}
        return item

    def create_execution(self, record: ExecutionRecord) -> bool:
        return self._put_new(self._execution_item(record))

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        item = self._get("EX#" + arn, "STATE")
        return ExecutionRecord.from_dict(_unpack(item["record"])) if item else None

    def commit(self, record: ExecutionRecord, expected_version: int) -> bool:
        item = self._execution_item(record)
        try:
            self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="version = :expected",
                ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
            )
        except ClientError as problem:
            if _conditional_failure(problem):
                return self._is_stored(item)
            raise
        return True

    def _is_stored(self, item: Mapping[str, Any]) -> bool:
        """Whether the table holds exactly this execution item: the SDK retried a commit whose
        answer was lost (a timeout, a 5xx after the write) and the retry's condition failed on
        the write it had made itself. Another worker's commit of the same version differs (its
        events carry other times); were it identical, the follow-ups are the same too."""
        stored = self.client.get_item(
            TableName=self.table,
            Key={"pk": item["pk"], "sk": item["sk"]},
            ConsistentRead=True,
        ).get("Item")
        if stored is None or stored.get("version") != item["version"]:
            return False
        return bool(_unpack(stored["record"]) == _unpack(item["record"]))

    def list_executions(self, state_machine_arn: str) -> list[ExecutionRecord]:
        keys = self._query(
            IndexName=_MACHINE_INDEX,
            KeyConditionExpression="machine_arn = :machine",
            ExpressionAttributeValues={":machine": {"S": state_machine_arn}},
            ScanIndexForward=False,
        )
        records = [self.get_execution(item["pk"]["S"][3:]) for item in keys]
        return [record for record in records if record is not None]

    def list_executions_page(
        self,
        state_machine_arn: str,
        *,
        status: str | None = None,
        redriven: bool | None = None,
        limit: int = 100,
        after: ListingPosition = None,
    ) -> tuple[list[ExecutionSummary], ListingPosition]:
        if status is None:
            index, key, value = _MACHINE_INDEX, "machine_arn", state_machine_arn
        else:
            index, key, value = _STATUS_INDEX, "machine_status", f"{state_machine_arn}#{status}"
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": f"{key} = :key",
            "ExpressionAttributeValues": {":key": {"S": value}},
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if after:
            arguments["ExclusiveStartKey"] = _start_key(after)
        position_keys = ("pk", "sk", key, "start_key")
        if redriven is None:
            keys = self.client.query(**arguments).get("Items", [])
            summaries = self._summaries([item["pk"]["S"] for item in keys[:limit]])
            more = len(keys) > limit
            return summaries, (_position(keys[limit - 1], position_keys) if more else None)
        return self._redriven_page(arguments, redriven, limit, position_keys)

    def _redriven_page(
        self, arguments: dict[str, Any], redriven: bool, limit: int, keys: tuple[str, ...]
    ) -> tuple[list[ExecutionSummary], ListingPosition]:
        """A listing page of the executions that were (or were not) redriven: the index holds
        keys only, so pages of it are read until ``limit`` entries pass the filter."""
        chosen: list[tuple[ExecutionSummary, dict[str, Any]]] = []
        while True:
            page = self.client.query(**arguments)
            items = page.get("Items", [])
            by_pk = {
                summary.arn: summary for summary in self._summaries([i["pk"]["S"] for i in items])
            }
            for item in items:
                summary = by_pk.get(item["pk"]["S"][3:])
                if summary is None or (summary.redrive_count > 0) != redriven:
                    continue
                if len(chosen) == limit:
                    last = chosen[-1][1]
                    return [entry for entry, _ in chosen], _position(last, keys)
                chosen.append((summary, item))
            start = page.get("LastEvaluatedKey")
            if not start:
                return [entry for entry, _ in chosen], None
            arguments["ExclusiveStartKey"] = start

    def _summaries(self, partition_keys: list[str]) -> list[ExecutionSummary]:
        """The listing entries of these executions, in this order (BatchGetItem, 100 a call)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(partition_keys), 100):
            pending: dict[str, Any] = {
                self.table: {
                    "Keys": [
                        {"pk": {"S": pk}, "sk": {"S": "STATE"}}
                        for pk in partition_keys[start : start + 100]
                    ],
                    "ProjectionExpression": _SUMMARY_ATTRIBUTES,
                    "ExpressionAttributeNames": {"#name": "name", "#status": "status"},
                }
            }
            while pending:
                answer = self.client.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(self.table, []):
                    found[item["pk"]["S"]] = item
                pending = answer.get("UnprocessedKeys") or {}
        summaries = []
        for pk in partition_keys:
            item = found.get(pk)
            if item is None:
                continue  # deleted between the index read and now
            if "name" not in item:  # written before listings read attributes
                record = self.get_execution(pk[3:])
                if record is not None:
                    summaries.append(
                        ExecutionSummary(
                            record.arn,
                            record.state_machine_arn,
                            record.name,
                            record.status,
                            record.start_ms,
                            record.stop_ms,
                            record.redrive_count,
                            record.redrive_ms,
                        )
                    )
                continue
            stop = item.get("stop_ms")
            redrive_ms = item.get("redrive_ms")
            summaries.append(
                ExecutionSummary(
                    pk[3:],
                    item["machine_arn"]["S"],
                    item["name"]["S"],
                    item["status"]["S"],
                    int(item["start_ms"]["N"]),
                    int(stop["N"]) if stop else None,
                    int(item.get("redrive_count", {}).get("N", "0")),
                    int(redrive_ms["N"]) if redrive_ms else None,
                )
            )
        return summaries

    def delete_finished_executions(self, stopped_before_ms: int, limit: int = 1000) -> int:
        # On AWS the table's TTL does this (expires_at); this sweep is for tables without it.
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "sk = :state AND stop_ms < :before",
            "ExpressionAttributeValues": {
                ":state": {"S": "STATE"},
                ":before": {"N": str(stopped_before_ms)},
            },
            "ProjectionExpression": "pk",
        }
        deleted = 0
        while deleted < limit:
            page = self.client.scan(**arguments)
            for item in page.get("Items", [])[: limit - deleted]:
                self._delete_partition(item["pk"]["S"])
                deleted += 1
            start = page.get("LastEvaluatedKey")
            if not start:
                break
            arguments["ExclusiveStartKey"] = start
        return deleted

    def _delete_partition(self, pk: str) -> None:
        keys = self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ProjectionExpression="pk, sk",
        )
        requests = [{"DeleteRequest": {"Key": {"pk": k["pk"], "sk": k["sk"]}}} for k in keys]
        # The record last: a sweep interrupted half-way finds the execution again.
        requests.sort(key=lambda request: request["DeleteRequest"]["Key"]["sk"]["S"] == "STATE")
        self._batch_write(requests)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start : start + 25]}
            while pending:
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}

    def _running(self, until_ms: int) -> list[str]:
        keys = self._query(
            IndexName=_WAKE_INDEX,
            KeyConditionExpression="run_status = :running AND wake_ms <= :until",
            ExpressionAttributeValues={
                ":running": {"S": "RUNNING"},
                ":until": {"N": str(until_ms)},
            },
        )
        return [item["pk"]["S"][3:] for item in keys]

    def due_executions(self, now_ms: int) -> list[str]:
        return self._running(now_ms)

    def running_executions(self) -> list[str]:
        return self._running(NEVER)

    # ------------------------------------------------------------------ history and inbox

    def append_history(self, arn: str, events: Sequence[Mapping[str, Any]]) -> None:
        # One conditional write per event: an id already written keeps its first event (the
        # follow-up of a commit may run twice; batch writes cannot be conditional). Every
        # writer writes a commit's events in id order, so when the last one is there, all are:
        # a decision's repeat of the last commit's events (in case its follow-up was cut short)
        # then costs one read instead of a write per event (a failed condition is billed as a
        # write).
        if len(events) > 1 and self._get("EX#" + arn, _event_key(events[-1])) is not None:
            return
        for event in events:
            self._put_new(
                {
                    "pk": {"S": "EX#" + arn},
                    "sk": {"S": _event_key(event)},
                    "event": _pack(dict(event)),
                    **self._expiry(_LONGEST_EXECUTION_S),
                }
            )

    def history(self, arn: str) -> list[dict[str, Any]]:
        items = self._query(
            KeyConditionExpression="pk = :execution AND begins_with(sk, :events)",
            ExpressionAttributeValues={":execution": {"S": "EX#" + arn}, ":events": {"S": "EV#"}},
            ConsistentRead=True,
        )
        return [_unpack(item["event"]) for item in items]

    def put_inbox(self, arn: str, key: str, entry: Mapping[str, JSON]) -> bool:
        item = {
            "pk": {"S": "EX#" + arn},
            "sk": {"S": "IN#" + key},
            "entry": _pack(dict(entry)),
            **self._expiry(_LONGEST_EXECUTION_S),
        }
        try:
            self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(sk)"
            )
        except ClientError as problem:
            if _conditional_failure(problem):
                return False
            raise
        return True

    def inbox(self, arn: str) -> dict[str, dict[str, JSON]]:
        items = self._query(
            KeyConditionExpression="pk = :execution AND begins_with(sk, :inbox)",
            ExpressionAttributeValues={":execution": {"S": "EX#" + arn}, ":inbox": {"S": "IN#"}},
            ConsistentRead=True,
        )
        return {item["sk"]["S"][3:]: _unpack(item["entry"]) for item in items}

    def delete_inbox(self, arn: str, keys: Sequence[str]) -> None:
        requests = [
            {"DeleteRequest": {"Key": {"pk": {"S": "EX#" + arn}, "sk": {"S": "IN#" + key}}}}
            for key in keys
        ]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table: requests[start : start + 25]}
            while pending:
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}

    def put_task_token(self, token: str, arn: str, key: str) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": "TT#" + token},
                "sk": {"S": "TOKEN"},
                "execution": {"S": arn},
                "key": {"S": key},
                **self._expiry(_LONGEST_EXECUTION_S),
            },
        )

    def task_token(self, token: str) -> tuple[str, str] | None:
        item = self._get("TT#" + token, "TOKEN")
        return (item["execution"]["S"], item["key"]["S"]) if item else None

    # ------------------------------------------------------------------ activities

    def put_activity(self, arn: str, name: str, created_ms: int) -> None:
        self._put_new(
            {
                "pk": {"S": "AC#" + arn},
                "sk": {"S": "DEF"},
                "name": {"S": name},
                "created_ms": {"N": str(created_ms)},
            }
        )

    def delete_activity(self, arn: str) -> None:
        self.client.delete_item(
            TableName=self.table, Key={"pk": {"S": "AC#" + arn}, "sk": {"S": "DEF"}}
        )

    def list_activities(self) -> list[tuple[str, str, int]]:
        found: list[tuple[str, str, int]] = []
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "begins_with(pk, :activity)",
            "ExpressionAttributeValues": {":activity": {"S": "AC#"}},
        }
        while True:
            page = self.client.scan(**arguments)
            found.extend(
                (i["pk"]["S"][3:], i["name"]["S"], int(i["created_ms"]["N"])) for i in page["Items"]
            )
            start = page.get("LastEvaluatedKey")
            if not start:
                break
            arguments["ExclusiveStartKey"] = start
        return sorted(found, key=lambda entry: (entry[2], entry[0]))

    # ------------------------------------------------------------------ task claims

    def claim_task(self, arn: str, key: str, owner: str, until_ms: int, now_ms: int) -> Claim:
        item = {
            "pk": {"S": "EX#" + arn},
            "sk": {"S": "CL#" + key},
            "owner": {"S": owner},
            "until_ms": {"N": str(until_ms)},
        }
        try:
            answer = self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(sk) OR #owner = :owner OR "
                "until_ms < :now",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":now": {"N": str(now_ms)},
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as problem:
            if _conditional_failure(problem):
                return "refused"
            raise
        previous = answer.get("Attributes") or {}
        held_by = previous.get("owner", {}).get("S")
        return "taken_over" if held_by is not None and held_by != owner else "granted"

    def task_claims(self, arn: str) -> dict[str, tuple[str, int]]:
        items = self._query(
            KeyConditionExpression="pk = :execution AND begins_with(sk, :claims)",
            ExpressionAttributeValues={":execution": {"S": "EX#" + arn}, ":claims": {"S": "CL#"}},
            ConsistentRead=True,
        )
        return {
            item["sk"]["S"][3:]: (item["owner"]["S"], int(item["until_ms"]["N"])) for item in items
        }

    def delete_task_claims(self, arn: str, keys: Sequence[str]) -> None:
        for key in keys:
            self.client.delete_item(
                TableName=self.table, Key={"pk": {"S": "EX#" + arn}, "sk": {"S": "CL#" + key}}
            )

    # ------------------------------------------------------------------ activity tasks

    def put_activity_task(
        self, activity_arn: str, token: str, input_text: str, created_ms: int
    ) -> None:
        self._put_new(
            {
                "pk": {"S": "AT#" + activity_arn},
                "sk": {"S": f"{created_ms:013d}#{token}"},
                "input": {"S": input_text},
            }
        )

    def take_activity_task(self, activity_arn: str) -> tuple[str, str] | None:
        waiting = self._query(
            KeyConditionExpression="pk = :activity",
            ExpressionAttributeValues={":activity": {"S": "AT#" + activity_arn}},
            ConsistentRead=True,
        )
        for item in waiting:
            try:
                # Whoever deletes it takes it: two workers never get the same task.
                self.client.delete_item(
                    TableName=self.table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    ConditionExpression="attribute_exists(sk)",
                )
            except ClientError as problem:
                if _conditional_failure(problem):
                    continue
                raise
            token = item["sk"]["S"].split("#", 1)[1]
            return token, item["input"]["S"]
        return None
