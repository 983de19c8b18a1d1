"""What the serverless deployment's calls cost: DynamoDB capacity units, SQS requests, Lambda
time, by AWS's billing rules, and the list prices that turn them into dollars.

The meter wraps the boto3 clients the handlers use (:class:`MeteredClient`) and charges each call
to the execution whose work made it (the innermost :class:`Meter` scope). It computes what AWS
would bill from the calls' own arguments and answers, because moto reports no sizes (its
``ConsumedCapacity`` is a constant):

* DynamoDB (on-demand): a write is ``ceil(item size / 1 KB)`` write request units — of the larger
  of the old and the new item for a put that replaces one — and a write whose condition fails
  costs the same; every global secondary index whose entry the write puts, changes or removes
  costs one more write per 1 KB of index entry (two when the entry's index key changes: a
  delete and a put); a strongly consistent read is ``ceil(size / 4 KB)`` read units (half for
  an eventually consistent one; at least one unit, or half, even when nothing is found); a
  Query reads the summed size of the items it returns (full items, or index entries on an
  index), rounded up to 4 KB. Item sizes follow DynamoDB's rules (attribute names count;
  numbers one byte per two significant digits plus one; lists and maps three bytes plus one per
  element). The meter keeps a copy of every item written, so it knows an item's old size and
  index entries.
* SQS: every API call is a request, and each 64 KB of a call's payload another one.
* Lambda: a request per invocation; duration is the CPU time the handler used on this machine,
  scaled to the vCPU share Lambda gives the function's memory (1,769 MB is one vCPU), plus the
  time it waits for DynamoDB, SQS and the Task functions it calls (modelled latencies: no AWS
  endpoint is reached here), rounded up to the millisecond per invocation.
* CloudWatch Logs: the bytes a handler prints (its EMF metrics) and Lambda's START / END /
  REPORT lines.

Prices (:data:`PRICES`) are AWS's public list prices for us-east-1; :func:`price` turns an
execution's usage into dollars, beside Step Functions Standard and Express for the same work.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

KB = 1024
#: A Lambda function gets one vCPU at 1,769 MB, and a share proportional to its memory below.
ONE_VCPU_MB = 1769
#: START, END and REPORT lines Lambda writes for every invocation (their usual length).
PLATFORM_LOG_BYTES = 260


# ---------------------------------------------------------------------------------------------
# Prices


@dataclass(frozen=True, slots=True)
class Prices:
    """List prices in US dollars (pay-as-you-go, no free tier, first volume tier)."""

    region: str = "us-east-1"
    #: When these prices were read (AWS's pricing pages, through the sources in docs/scale.md).
    as_of: str = "2026-12-04"
    dynamodb_per_million_write_units: float = 0.625  # on-demand WRU, Standard table class
    dynamodb_per_million_read_units: float = 0.125  # on-demand RRU
    dynamodb_storage_per_gb_month: float = 0.25  # Standard table class
    dynamodb_backup_per_gb_month: float = 0.20  # point-in-time recovery (template enables it)
    sqs_per_million_requests: float = 0.40  # Standard queue
    lambda_per_gb_second: float = 0.0000133334  # arm64, first tier
    lambda_per_million_requests: float = 0.20
    logs_per_gb_ingested: float = 0.50  # CloudWatch Logs, Standard class
    standard_per_transition: float = 0.025 / 1000  # Step Functions Standard
    express_per_million_requests: float = 1.00  # Step Functions Express
    express_per_gb_second: float = 0.00001667  # Express duration, first 1,000 GB-hours


PRICES = Prices()


@dataclass(frozen=True, slots=True)
class Latency:
    """The modelled wait of one call from a Lambda function in the same region (milliseconds):
    none of these is measured here; they are typical single-digit-millisecond figures."""

    dynamodb_ms: float = 4.0
    sqs_ms: float = 6.0
    #: A synchronous Invoke of a warm Task function (its own run time is the same under Step
    #: Functions and is not counted).
    lambda_invoke_ms: float = 12.0


# ---------------------------------------------------------------------------------------------
# DynamoDB's size rules


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "")
    mantissa = digits.split("e")[0].split("E")[0].strip("0") or "0"
    return math.ceil(len(mantissa) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """The size DynamoDB counts for one attribute value (its name not included)."""
    ((kind, content),) = value.items()
    if kind == "S":
        return len(str(content).encode("utf-8"))
    if kind == "N":
        return _number_size(str(content))
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(item.encode("utf-8")) for item in content)
    if kind == "NS":
        return sum(_number_size(item) for item in content)
    if kind == "BS":
        return sum(len(item) for item in content)
    if kind == "L":
        return 3 + sum(1 + value_size(item) for item in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(v) for name, v in content.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    """An item's size by DynamoDB's rules: attribute names and values."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    """Write request units for an item of ``size`` bytes (at least one)."""
    return max(1, math.ceil(size / KB))


def read_units(size: int, consistent: bool) -> float:
    """Read request units for ``size`` bytes read (at least one, or half)."""
    units = max(1, math.ceil(size / (4 * KB)))
    return float(units) if consistent else units / 2


@dataclass(frozen=True, slots=True)
class Index:
    """A global secondary index: its key attributes and projection."""

    name: str
    hash_key: str
    range_key: str
    keys_only: bool


def indexes_of(definition: Mapping[str, Any]) -> list[Index]:
    """The global secondary indexes of a ``CreateTable`` definition."""
    found = []
    for index in definition.get("GlobalSecondaryIndexes", []):
        keys = {entry["KeyType"]: entry["AttributeName"] for entry in index["KeySchema"]}
        keys_only = index["Projection"]["ProjectionType"] == "KEYS_ONLY"
        found.append(Index(index["IndexName"], keys["HASH"], keys["RANGE"], keys_only))
    return found


def _kind(sk: str) -> str:
    """What an item is, from its sort key (the store's layout)."""
    for prefix, kind in (
        ("STATE", "execution record"),
        ("EV#", "history event"),
        ("IN#", "inbox entry"),
        ("CL#", "task claim"),
        ("REV#", "state machine"),
        ("DEF", "state machine"),
        ("TOKEN", "task token"),
    ):
        if sk.startswith(prefix):
            return kind
    return "other"


# ---------------------------------------------------------------------------------------------
# The meter


@dataclass(slots=True)
class _Scope:
    """Charges collected while one piece of work runs."""

    owner: str | None = None
    usage: Counter[str] = field(default_factory=Counter)
    latency_ms: float = 0.0
    cpu_s: float = 0.0
    #: Message scopes of an invocation (the worker's batch).
    parts: list[_Scope] = field(default_factory=list)
    #: Owners of an invocation without message scopes (the API: the execution it started).
    owners: list[str] = field(default_factory=list)
    #: A message scope's message kind.
    kind: str = ""


class Meter:
    """Charges metered calls to owners (execution ARNs; ``idle``, ``setup``)."""

    def __init__(
        self,
        *,
        table: Mapping[str, Any],
        latency: Latency | None = None,
        memory_mb: int = 512,
    ) -> None:
        self.latency = latency or Latency()
        self.memory_mb = memory_mb
        self.cpu_factor = ONE_VCPU_MB / memory_mb
        self.indexes = indexes_of(table)
        self.ledger: dict[str, Counter[str]] = defaultdict(Counter)
        #: What messages of each kind used (``decide``, ``task``...), over all owners.
        self.kinds: dict[str, Counter[str]] = defaultdict(Counter)
        #: Every item written, by (pk, sk): old sizes and index entries.
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self._stack: list[_Scope] = []
        #: CPU seconds the meter itself used (taken out of the handlers' time).
        self.overhead_s = 0.0

    # ------------------------------------------------------------------ scopes

    def charge(self, key: str, amount: float, latency_ms: float = 0.0) -> None:
        """Add ``amount`` of ``key`` to the current scope (or to ``unscoped``)."""
        if not self._stack:
            self.ledger["unscoped"][key] += amount
            return
        scope = self._stack[-1]
        scope.usage[key] += amount
        scope.latency_ms += latency_ms

    @contextmanager
    def scope(self) -> Iterator[_Scope]:
        """Collect charges; the caller hands them to owners with :meth:`distribute`."""
        scope = _Scope()
        self._stack.append(scope)
        try:
            yield scope
        finally:
            self._stack.pop()

    def distribute(self, scope: _Scope, owners: Sequence[str]) -> None:
        """Share a scope's charges equally among ``owners`` (one share per entry)."""
        if not owners:
            owners = ["idle"]
        share = 1 / len(owners)
        for owner in owners:
            for key, amount in scope.usage.items():
                self.ledger[owner][key] += amount * share

    @contextmanager
    def invocation(self, function: str) -> Iterator[_Scope]:
        """One invocation of a Lambda function: its request, duration and log bytes, charged to
        the owners of its message scopes (or of ``scope.owners``), equally for what no message
        scope took."""
        scope = _Scope()
        self._stack.append(scope)
        cpu_before, overhead_before = time.process_time(), self.overhead_s
        try:
            yield scope
        finally:
            self._stack.pop()
            scope.cpu_s = time.process_time() - cpu_before - (self.overhead_s - overhead_before)
            self._settle(function, scope)

    @contextmanager
    def message(self, owner: str, kind: str = "") -> Iterator[None]:
        """The part of an invocation that works for one message of ``owner`` (its ``kind`` is
        tallied in :attr:`kinds` too)."""
        part = _Scope(owner=owner, kind=kind)
        self._stack.append(part)
        cpu_before, overhead_before = time.process_time(), self.overhead_s
        try:
            yield
        finally:
            self._stack.pop()
            part.cpu_s = time.process_time() - cpu_before - (self.overhead_s - overhead_before)
            if self._stack:
                self._stack[-1].parts.append(part)

    def _settle(self, function: str, scope: _Scope) -> None:
        def modelled_ms(part: _Scope) -> float:
            return part.cpu_s * 1000 * self.cpu_factor + part.latency_ms

        parts_ms = sum(modelled_ms(part) for part in scope.parts)
        own_cpu = scope.cpu_s - sum(part.cpu_s for part in scope.parts)
        own_ms = own_cpu * 1000 * self.cpu_factor + scope.latency_ms
        billed_ms = max(1, math.ceil(parts_ms + own_ms))
        owners = [part.owner for part in scope.parts if part.owner] or scope.owners or ["idle"]
        for part in scope.parts:
            ledger = self.ledger[part.owner or "idle"]
            ledger.update(part.usage)
            ledger[f"lambda_ms|{function}"] += modelled_ms(part)
            ledger[f"cpu_ms|{function}"] += part.cpu_s * 1000
            ledger[f"wait_ms|{function}"] += part.latency_ms
            ledger[f"messages|{function}"] += 1
            if part.kind:
                tally = self.kinds[part.kind]
                tally.update(part.usage)
                tally["messages"] += 1
                tally[f"lambda_ms|{function}"] += modelled_ms(part)
        share = 1 / len(owners)
        rest = dict(scope.usage)
        rest[f"lambda_ms|{function}"] = billed_ms - parts_ms
        rest[f"cpu_ms|{function}"] = own_cpu * 1000
        rest[f"wait_ms|{function}"] = scope.latency_ms
        rest[f"lambda_requests|{function}"] = 1
        rest["logs_bytes|platform"] = PLATFORM_LOG_BYTES
        for owner in owners:
            ledger = self.ledger[owner]
            for key, amount in rest.items():
                ledger[key] += amount * share

    # ------------------------------------------------------------------ calls

    def record(
        self, service: str, operation: str, request: Mapping[str, Any], answer: Any, failed: bool
    ) -> None:
        """Charge one call (``answer``: the response, or the ClientError it raised)."""
        started = time.process_time()
        try:
            if service == "dynamodb":
                self._dynamodb(operation, request, answer, failed)
            elif service == "sqs":
                self._sqs(operation, request, answer)
        finally:
            self.overhead_s += time.process_time() - started

    def _dynamodb(
        self, operation: str, request: Mapping[str, Any], answer: Any, failed: bool
    ) -> None:
        latency = self.latency.dynamodb_ms
        if operation in ("create_table", "describe_table", "get_waiter", "update_time_to_live"):
            return
        self.charge("dynamodb_calls", 1, latency)
        if operation == "get_item":
            key = _key(request["Key"])
            self._read(_kind(key[1]), item_size(self.items.get(key)), request)
        elif operation == "put_item":
            self._put(request["Item"], succeeded=not failed)
        elif operation == "delete_item":
            self._delete(_key(request["Key"]), succeeded=not failed)
        elif operation == "query":
            self._query(request, answer)
        elif operation == "batch_write_item":
            for requests in request["RequestItems"].values():
                for entry in requests:
                    if "PutRequest" in entry:
                        self._put(entry["PutRequest"]["Item"], succeeded=True)
                    else:
                        self._delete(_key(entry["DeleteRequest"]["Key"]), succeeded=True)
        elif operation == "batch_get_item":
            for table in request["RequestItems"].values():
                for key in table["Keys"]:
                    found = _key(key)
                    self._read(_kind(found[1]), item_size(self.items.get(found)), table)
        elif operation == "scan":
            # Not on any execution's path: every item the table holds is read.
            total = sum(item_size(item) for item in self.items.values())
            self.charge("rru|scan", read_units(total, bool(request.get("ConsistentRead"))))
        else:
            raise NotImplementedError(f"no metering rule for dynamodb.{operation}")

    def _read(self, kind: str, size: int, request: Mapping[str, Any]) -> None:
        self.charge(f"rru|{kind}", read_units(size, bool(request.get("ConsistentRead"))))
        self.charge("read_bytes", size)

    def _put(self, item: Mapping[str, Any], *, succeeded: bool) -> None:
        key = _key(item)
        old = self.items.get(key)
        kind = _kind(key[1]) if succeeded else f"{_kind(key[1])} (condition failed)"
        self.charge(f"wru|{kind}", write_units(max(item_size(item), item_size(old))))
        self.charge(f"puts|{kind}", 1)
        self.charge("written_bytes", item_size(item))
        if succeeded:
            self._index_writes(old, item)
            self.items[key] = dict(item)

    def _delete(self, key: tuple[str, str], *, succeeded: bool) -> None:
        old = self.items.get(key)
        kind = f"{_kind(key[1])} delete" + ("" if succeeded else " (condition failed)")
        self.charge(f"wru|{kind}", write_units(item_size(old)))
        if succeeded and old is not None:
            self._index_writes(old, None)
            del self.items[key]

    def _entry(self, index: Index, item: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not item or index.hash_key not in item or index.range_key not in item:
            return None
        if not index.keys_only:
            return dict(item)
        names = ("pk", "sk", index.hash_key, index.range_key)
        return {name: item[name] for name in names}

    def _index_writes(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        for index in self.indexes:
            before, after = self._entry(index, old), self._entry(index, new)
            if before == after:
                continue
            label = f"gsi_wru|{index.name}"
            if before is None or after is None:
                self.charge(label, write_units(item_size(before or after)))
            elif any(before[k] != after[k] for k in (index.hash_key, index.range_key)):
                self.charge(label, write_units(item_size(before)) + write_units(item_size(after)))
            else:
                self.charge(label, write_units(item_size(after)))

    def _query(self, request: Mapping[str, Any], answer: Any) -> None:
        index_name = request.get("IndexName")
        if "FilterExpression" in request:
            raise NotImplementedError("a filtered Query: the items read are not known")
        total = 0
        kinds: set[str] = set()
        for returned in answer.get("Items", []):
            key = _key(returned)
            kinds.add(_kind(key[1]))
            stored = self.items.get(key)
            if index_name is None:
                total += item_size(stored)
            else:
                index = next(i for i in self.indexes if i.name == index_name)
                total += item_size(self._entry(index, stored))
        label = f"index {index_name}" if index_name else "/".join(sorted(kinds)) or "nothing"
        self.charge(f"rru|query {label}", read_units(total, bool(request.get("ConsistentRead"))))
        self.charge("read_bytes", total)

    def _sqs(self, operation: str, request: Mapping[str, Any], answer: Any) -> None:
        latency = self.latency.sqs_ms
        if operation == "send_message":
            payload = len(request["MessageBody"].encode("utf-8"))
            payload += _attributes_size(request.get("MessageAttributes") or {})
            self.charge("sqs_requests|send", _chunks(payload), latency)
        elif operation == "send_message_batch":
            payload = sum(
                len(entry["MessageBody"].encode("utf-8"))
                + _attributes_size(entry.get("MessageAttributes") or {})
                for entry in request["Entries"]
            )
            self.charge("sqs_requests|send", _chunks(payload), latency)
        elif operation == "receive_message":
            messages = answer.get("Messages", []) if isinstance(answer, dict) else []
            payload = sum(len(m.get("Body", "").encode("utf-8")) for m in messages)
            self.charge("sqs_requests|receive", _chunks(payload))
        elif operation in (
            "delete_message",
            "delete_message_batch",
            "change_message_visibility",
            "change_message_visibility_batch",
        ):
            self.charge(f"sqs_requests|{operation}", 1, latency)
        elif operation in ("get_queue_attributes", "get_queue_url", "create_queue"):
            self.charge("sqs_requests|admin", 1)
        else:
            raise NotImplementedError(f"no metering rule for sqs.{operation}")
        self.charge("sqs_calls", 1)

    # ------------------------------------------------------------------ storage

    def stored_bytes(self, owner_of: Callable[[str], str | None]) -> dict[str, float]:
        """Bytes each owner keeps in the table now: items (100 bytes of overhead each, as
        DynamoDB bills storage) and their index entries (keys + 100 bytes)."""
        stored: dict[str, float] = defaultdict(float)
        for (pk, _), item in self.items.items():
            owner = owner_of(pk)
            if owner is None:
                continue
            stored[owner] += item_size(item) + 100
            for index in self.indexes:
                entry = self._entry(index, item)
                if entry is not None:
                    stored[owner] += item_size(entry) + 100
        return stored


def _key(item: Mapping[str, Any]) -> tuple[str, str]:
    return (item["pk"]["S"], item["sk"]["S"])


def _chunks(payload: int) -> int:
    """SQS bills each 64 KB of a request's payload as one request."""
    return max(1, math.ceil(payload / (64 * KB)))


def _attributes_size(attributes: Mapping[str, Any]) -> int:
    size = 0
    for name, value in attributes.items():
        size += len(name.encode("utf-8")) + len(str(value.get("DataType", "")).encode("utf-8"))
        size += len(str(value.get("StringValue", "")).encode("utf-8"))
        size += len(value.get("BinaryValue", b""))
    return size


class MeteredClient:
    """A boto3 client whose calls are charged to the meter (everything else passes through)."""

    def __init__(self, client: Any, service: str, meter: Meter) -> None:
        self._client = client
        self._service = service
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith("_") or name in ("exceptions", "meta") or not callable(attribute):
            return attribute

        def call(**request: Any) -> Any:
            try:
                answer = attribute(**request)
            except ClientError as problem:
                code = problem.response.get("Error", {}).get("Code", "")
                conditional = code == "ConditionalCheckFailedException"
                self._meter.record(self._service, name, request, problem.response, conditional)
                raise
            self._meter.record(self._service, name, request, answer, False)
            return answer

        return call


class CountingStream:
    """A text stream that only counts what is written to it, into the meter's current scope."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def write(self, text: str) -> int:
        self.meter.charge("logs_bytes|function", len(text.encode("utf-8")))
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""


# ---------------------------------------------------------------------------------------------
# Pricing


def total(usage: Mapping[str, float], prefix: str) -> float:
    """The sum of every ``prefix|...`` entry of a usage counter."""
    return sum(amount for key, amount in usage.items() if key.split("|", 1)[0] == prefix)


@dataclass(frozen=True, slots=True)
class Costs:
    """The dollars of one execution's usage, line by line."""

    dynamodb_writes: float
    dynamodb_reads: float
    dynamodb_storage: float
    sqs: float
    lambda_duration: float
    lambda_requests: float
    logs: float

    @property
    def total(self) -> float:
        """All lines."""
        return (
            self.dynamodb_writes
            + self.dynamodb_reads
            + self.dynamodb_storage
            + self.sqs
            + self.lambda_duration
            + self.lambda_requests
            + self.logs
        )

    def lines(self) -> dict[str, float]:
        """Each line by name, and the total."""
        return {
            "DynamoDB writes": self.dynamodb_writes,
            "DynamoDB reads": self.dynamodb_reads,
            "DynamoDB storage": self.dynamodb_storage,
            "SQS": self.sqs,
            "Lambda duration": self.lambda_duration,
            "Lambda requests": self.lambda_requests,
            "CloudWatch Logs": self.logs,
            "total": self.total,
        }


def price(
    usage: Mapping[str, float],
    *,
    memory_mb: int,
    retention_days: float,
    prices: Prices = PRICES,
) -> Costs:
    """The cost of one execution's usage (``stored_bytes`` kept for ``retention_days``)."""
    write_units = total(usage, "wru") + total(usage, "gsi_wru")
    read_units = total(usage, "rru")
    gb_months = usage.get("stored_bytes", 0.0) / 1e9 * (retention_days / 30.4375)
    lambda_seconds = total(usage, "lambda_ms") / 1000
    return Costs(
        dynamodb_writes=write_units * prices.dynamodb_per_million_write_units / 1e6,
        dynamodb_reads=read_units * prices.dynamodb_per_million_read_units / 1e6,
        dynamodb_storage=gb_months
        * (prices.dynamodb_storage_per_gb_month + prices.dynamodb_backup_per_gb_month),
        sqs=total(usage, "sqs_requests") * prices.sqs_per_million_requests / 1e6,
        lambda_duration=lambda_seconds * memory_mb / 1024 * prices.lambda_per_gb_second,
        lambda_requests=total(usage, "lambda_requests") * prices.lambda_per_million_requests / 1e6,
        logs=total(usage, "logs_bytes") / 1e9 * prices.logs_per_gb_ingested,
    )


def standard_cost(transitions: float, prices: Prices = PRICES) -> float:
    """Step Functions Standard: per state transition (retries included)."""
    return transitions * prices.standard_per_transition


def express_cost(duration_s: float, memory_mb: int = 64, prices: Prices = PRICES) -> float:
    """Step Functions Express: a request, and its duration (rounded up to 100 ms) at its memory
    (64 MB chunks; 64 MB for small definitions and payloads)."""
    billed_s = math.ceil(round(duration_s * 10, 6)) / 10
    return prices.express_per_million_requests / 1e6 + (
        billed_s * memory_mb / 1024 * prices.express_per_gb_second
    )
