"""Distributed Map's S3 ``ItemReader`` and ``ResultWriter``, over a boto3 S3 client.

The engine evaluates the ``ItemReader``/``ResultWriter`` fields (paths, JSONata, ``MaxItemsPath``)
and hands the evaluated specification here; these functions do the I/O and return either the
result or an :class:`ItemReaderFailure` (an ASL error and cause, data not exceptions).

``read_items(reader, s3)``
    ``reader`` is ``{"Resource": <arn>, "Parameters": {...}, "ReaderConfig": {...}}`` (``Arguments``
    is accepted for ``Parameters``). Resources:

    * ``arn:aws:states:::s3:getObject`` with ``ReaderConfig.InputType``:
      ``JSON`` (the object is a JSON array: its elements are the items; anything else fails with
      ``States.ItemReaderFailed`` "Attempting to map over non-iterable node."), ``JSONL`` (one JSON
      value per line), ``CSV`` (each row an object of strings keyed by the headers: the first
      row with ``CSVHeaderLocation`` ``FIRST_ROW``, ``CSVHeaders`` with ``GIVEN``; duplicate
      headers fail with "CSV headers cannot contain duplicates."; fields beyond the headers are
      dropped, missing trailing fields are empty strings; ``CSVDelimiter`` ``COMMA`` (default),
      ``PIPE``, ``SEMICOLON``, ``SPACE`` or ``TAB``);
    * ``arn:aws:states:::s3:listObjectsV2`` (``Bucket``, optional ``Prefix``): one item per object,
      ``{"Etag", "Key", "LastModified" (epoch seconds), "Size", "StorageClass"}``, every page.

    ``ReaderConfig.MaxItems`` caps the number of items (0 or absent: no cap; a CSV header row is
    not an item).

``write_results(writer, s3, map_run_arn, results)``
    ``writer`` is ``{"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket",
    "Prefix"}, "WriterConfig": {"OutputType"}}``; ``results`` holds the entries to export by
    category, ``{"SUCCEEDED": [...], "FAILED": [...], "PENDING": [...]}`` (the engine builds the
    entries: execution records, or bare outputs under a COMPACT/FLATTEN transformation). Writes
    ``<Prefix>/<map run id>/SUCCEEDED_0.json`` (and ``FAILED_0.json``, ``PENDING_0.json`` for
    categories that have entries) and ``manifest.json``, which lists every category (an empty one
    as ``[]``), and returns ``ResultWriterDetails``: ``{"Bucket": ..., "Key": <manifest key>}``.
    With ``OutputType`` ``JSONL`` a file holds one entry per line instead of one JSON array (the
    file names keep ``.json``: AWS's documentation shows no other). AWS starts a new file past
    5 GB; local runs never get near that, so there is one file per category.

An S3 error (no such bucket or key...) fails the reader or writer with ``States.ItemReaderFailed``
or ``States.ResultWriterFailed`` and S3's message as the cause.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

from interpreter.core.history import to_json_text
from interpreter.json_types import JSON, TooDeeplyNestedError, parse_json_bounded
from interpreter.limits import MAX_INPUT_DEPTH

READER_FAILED: Final = "States.ItemReaderFailed"
WRITER_FAILED: Final = "States.ResultWriterFailed"

#: Deeper items are refused by this interpreter (a local limit: see MAX_INPUT_DEPTH).
_TOO_DEEP: Final = f"An item is nested more than {MAX_INPUT_DEPTH} levels deep"

GET_OBJECT: Final = "arn:aws:states:::s3:getObject"
LIST_OBJECTS_V2: Final = "arn:aws:states:::s3:listObjectsV2"
PUT_OBJECT: Final = "arn:aws:states:::s3:putObject"

_DELIMITERS: Final[Mapping[str, str]] = {
    "COMMA": ",",
    "PIPE": "|",
    "SEMICOLON": ";",
    "SPACE": " ",
    "TAB": "\t",
}
_NOT_ITERABLE: Final = "Attempting to map over non-iterable node."


@dataclass(frozen=True, slots=True)
class ItemReaderFailure:
    """The reader or writer failed: the Map run fails with this error and cause."""

    error: str
    cause: str


def _parameters(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    parameters = spec.get("Parameters", spec.get("Arguments"))
    return parameters if isinstance(parameters, dict) else {}


def _s3_message(problem: ClientError) -> str:
    error = problem.response.get("Error", {})
    return str(error.get("Message") or error.get("Code") or problem)


def _max_items(config: Mapping[str, Any]) -> int | None:
    value = config.get("MaxItems")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def read_items(reader: Mapping[str, Any], s3: Any) -> list[JSON] | ItemReaderFailure:
    """The items an evaluated ``ItemReader`` yields (see the module docstring)."""
    resource = reader.get("Resource")
    parameters = _parameters(reader)
    config = reader.get("ReaderConfig")
    config = config if isinstance(config, dict) else {}
    limit = _max_items(config)
    requested = config.get("MaxItems")
    if isinstance(requested, (int, float)) and not isinstance(requested, bool) and requested < 0:
        # AWS fails the Map Run (MapRunFailed) rather than the state's evaluation.
        return ItemReaderFailure(READER_FAILED, "field MaxItems must be positive")
    try:
        if resource == LIST_OBJECTS_V2:
            return _take(_listed_objects(s3, parameters), limit)
        if resource != GET_OBJECT:
            return ItemReaderFailure(READER_FAILED, f"Unsupported ItemReader resource: {resource}")
        body = s3.get_object(Bucket=parameters.get("Bucket"), Key=parameters.get("Key"))["Body"]
        text = body.read().decode("utf-8")
    except ClientError as problem:
        return ItemReaderFailure(READER_FAILED, _s3_message(problem))
    input_type = config.get("InputType", "JSON")
    if input_type == "JSON":
        return _json_items(text, limit)
    if input_type == "JSONL":
        return _jsonl_items(text, limit)
    if input_type == "CSV":
        return _csv_items(text, config, limit)
    return ItemReaderFailure(READER_FAILED, f"Unsupported InputType: {input_type}")


def _take(items: Iterator[JSON], limit: int | None) -> list[JSON]:
    taken: list[JSON] = []
    for item in items:
        if limit is not None and len(taken) >= limit:
            break
        taken.append(item)
    return taken


def _json_items(text: str, limit: int | None) -> list[JSON] | ItemReaderFailure:
    try:
        # Each item becomes an input: nested at most as deep as an execution input may be.
        document = parse_json_bounded(text, MAX_INPUT_DEPTH + 1)
    except TooDeeplyNestedError:
        return ItemReaderFailure(READER_FAILED, _TOO_DEEP)
    except (ValueError, RecursionError) as problem:
        return ItemReaderFailure(READER_FAILED, f"Invalid JSON in the item source: {problem}")
    if not isinstance(document, list):
        return ItemReaderFailure(READER_FAILED, _NOT_ITERABLE)
    return document if limit is None else document[:limit]


def _jsonl_items(text: str, limit: int | None) -> list[JSON] | ItemReaderFailure:
    items: list[JSON] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if limit is not None and len(items) >= limit:
            break
        if not line.strip():
            continue
        try:
            items.append(parse_json_bounded(line, MAX_INPUT_DEPTH))
        except TooDeeplyNestedError:
            return ItemReaderFailure(READER_FAILED, f"Line {number}: {_TOO_DEEP}")
        except (ValueError, RecursionError) as problem:
            return ItemReaderFailure(READER_FAILED, f"Invalid JSON on line {number}: {problem}")
    return items


def _csv_items(
    text: str, config: Mapping[str, Any], limit: int | None
) -> list[JSON] | ItemReaderFailure:
    delimiter = _DELIMITERS.get(str(config.get("CSVDelimiter", "COMMA")), ",")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    if config.get("CSVHeaderLocation", "FIRST_ROW") == "GIVEN":
        given = config.get("CSVHeaders")
        headers = [str(h) for h in given] if isinstance(given, list) else []
    else:
        headers = next(rows, [])
    if len(set(headers)) != len(headers):
        return ItemReaderFailure(READER_FAILED, "CSV headers cannot contain duplicates.")
    items: list[JSON] = []
    for row in rows:
        if limit is not None and len(items) >= limit:
            break
        padded = row + [""] * (len(headers) - len(row))
        items.append(dict(zip(headers, padded, strict=False)))
    return items


def _epoch_seconds(value: Any) -> JSON:
    if isinstance(value, datetime.datetime):
        return int(value.timestamp())
    result: JSON = value
    return result


def _listed_objects(s3: Any, parameters: Mapping[str, Any]) -> Iterator[JSON]:
    arguments = {"Bucket": parameters.get("Bucket")}
    if isinstance(parameters.get("Prefix"), str):
        arguments["Prefix"] = parameters["Prefix"]
    while True:
        page = s3.list_objects_v2(**arguments)
        for entry in page.get("Contents", []):
            yield {
                "Etag": entry.get("ETag"),
                "Key": entry.get("Key"),
                "LastModified": _epoch_seconds(entry.get("LastModified")),
                "Size": entry.get("Size"),
                "StorageClass": entry.get("StorageClass", "STANDARD"),
            }
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return
        arguments["ContinuationToken"] = token


_RESULT_CATEGORIES: Final = ("SUCCEEDED", "FAILED", "PENDING")


def write_results(
    writer: Mapping[str, Any],
    s3: Any,
    map_run_arn: str,
    results: Mapping[str, Sequence[JSON]],
) -> dict[str, JSON] | ItemReaderFailure:
    """Write a Map run's results to S3; returns ``ResultWriterDetails``."""
    if writer.get("Resource", PUT_OBJECT) != PUT_OBJECT:
        return ItemReaderFailure(
            WRITER_FAILED, f"Unsupported ResultWriter resource: {writer.get('Resource')}"
        )
    parameters = _parameters(writer)
    bucket = parameters.get("Bucket")
    prefix = str(parameters.get("Prefix") or "").strip("/")
    config = writer.get("WriterConfig")
    lines = isinstance(config, Mapping) and config.get("OutputType") == "JSONL"
    run_id = map_run_arn.rsplit(":", 1)[-1]
    folder = f"{prefix}/{run_id}" if prefix else run_id
    files: dict[str, JSON] = {}
    try:
        for category in _RESULT_CATEGORIES:
            entries = list(results.get(category) or [])
            listed: list[JSON] = []
            if entries:
                key = f"{folder}/{category}_0.json"
                if lines:
                    text = "".join(to_json_text(entry) + "\n" for entry in entries)
                else:
                    text = to_json_text(entries)
                body = text.encode("utf-8")
                s3.put_object(Bucket=bucket, Key=key, Body=body)
                listed.append({"Key": key, "Size": len(body)})
            files[category] = listed
        manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files}
        manifest_key = f"{folder}/manifest.json"
        s3.put_object(Bucket=bucket, Key=manifest_key, Body=to_json_text(manifest).encode("utf-8"))
    except ClientError as problem:
        return ItemReaderFailure(WRITER_FAILED, _s3_message(problem))
    return {"Bucket": bucket, "Key": manifest_key}
