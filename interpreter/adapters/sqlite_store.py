"""A durable :class:`~interpreter.runtime.ports.Store` in one SQLite file (``asl serve --state``).

State machines (with every revision), executions, history, inboxes, task tokens and activities
live in the file, so a local endpoint that stops — cleanly or not — resumes its executions when
it starts again (:meth:`~interpreter.runtime.durable.DurableRuntime.recover`). It keeps the
store's guarantees the way the DynamoDB table of DESIGN.md does: a commit is a compare-and-set
on the record's version, an inbox key and a history event id are written once.

SQLite comes with Python: no dependency. One connection is shared by the endpoint's threads
under a lock; every write is its own transaction.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from interpreter.json_types import JSON
from interpreter.runtime.ports import ExecutionRecord, StateMachineRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state_machines (
    arn TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revisions (
    arn TEXT NOT NULL, revision_id TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (arn, revision_id));
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY, state_machine_arn TEXT NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL, wake_ms INTEGER, start_ms INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (state_machine_arn);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status, wake_ms);
CREATE TABLE IF NOT EXISTS history (
    arn TEXT NOT NULL, id INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (arn, id));
CREATE TABLE IF NOT EXISTS inbox (
    arn TEXT NOT NULL, key TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (arn, key));
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, arn TEXT NOT NULL, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activities (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL);
"""


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _machine(text: str) -> StateMachineRecord:
    return StateMachineRecord(**json.loads(text))


def _execution(text: str) -> ExecutionRecord:
    return ExecutionRecord(**json.loads(text))


#: Every table of the schema (what :meth:`SqliteStore.clear` empties).
_TABLES = (
    "state_machines",
    "revisions",
    "executions",
    "history",
    "inbox",
    "tokens",
    "activities",
)


class SqliteStore:
    """The store of a deployment in the SQLite file ``path`` (created when missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def clear(self) -> None:
        """Forget everything (a reset between tests)."""
        with self._transaction() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are ours

    def close(self) -> None:
        """Close the file (the store cannot be used afterwards)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *parameters: Any) -> Any:
        with self._lock:
            return self._db.execute(sql, parameters).fetchone()

    def _all(self, sql: str, *parameters: Any) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    # ------------------------------------------------------------------ state machines

    def put_state_machine(self, record: StateMachineRecord) -> bool:
        text = _text(dataclasses.asdict(record))
        with self._transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO state_machines VALUES (?, ?, ?)",
                (record.arn, record.created_ms, text),
            ).rowcount
            if inserted:
                db.execute(
                    "INSERT OR REPLACE INTO revisions VALUES (?, ?, ?)",
                    (record.arn, record.revision_id, text),
                )
        return bool(inserted)

    def update_state_machine(self, record: StateMachineRecord) -> bool:
        text = _text(dataclasses.asdict(record))
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE state_machines SET record = ? WHERE arn = ?", (text, record.arn)
            ).rowcount
            if updated:
                db.execute(
                    "INSERT OR REPLACE INTO revisions VALUES (?, ?, ?)",
                    (record.arn, record.revision_id, text),
                )
        return bool(updated)

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        row = self._one("SELECT record FROM state_machines WHERE arn = ?", arn)
        return _machine(row[0]) if row else None

    def get_state_machine_revision(self, arn: str, revision_id: str) -> StateMachineRecord | None:
        row = self._one(
            "SELECT record FROM revisions WHERE arn = ? AND revision_id = ?", arn, revision_id
        )
        return _machine(row[0]) if row else None

    def list_state_machines(self) -> list[StateMachineRecord]:
        rows = self._all("SELECT record FROM state_machines ORDER BY created_ms, arn")
        return [_machine(row[0]) for row in rows]

    def delete_state_machine(self, arn: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM state_machines WHERE arn = ?", (arn,))

    # ------------------------------------------------------------------ executions

    def create_execution(self, record: ExecutionRecord) -> bool:
        with self._transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO executions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.arn,
                    record.state_machine_arn,
                    record.version,
                    record.status,
                    record.wake_ms,
                    record.start_ms,
                    _text(dataclasses.asdict(record)),
                ),
            ).rowcount
        return bool(inserted)

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        row = self._one("SELECT record FROM executions WHERE arn = ?", arn)
        return _execution(row[0]) if row else None

    def commit(self, record: ExecutionRecord, expected_version: int) -> bool:
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE executions SET version = ?, status = ?, wake_ms = ?, record = ? "
                "WHERE arn = ? AND version = ?",
                (
                    record.version,
                    record.status,
                    record.wake_ms,
                    _text(dataclasses.asdict(record)),
                    record.arn,
                    expected_version,
                ),
            ).rowcount
        return bool(updated)

    def list_executions(self, state_machine_arn: str) -> list[ExecutionRecord]:
        rows = self._all(
            "SELECT record FROM executions WHERE state_machine_arn = ? ORDER BY start_ms DESC",
            state_machine_arn,
        )
        return [_execution(row[0]) for row in rows]

    def due_executions(self, now_ms: int) -> list[str]:
        rows = self._all(
            "SELECT arn FROM executions WHERE status = 'RUNNING' AND wake_ms <= ?", now_ms
        )
        return [row[0] for row in rows]

    def running_executions(self) -> list[str]:
        rows = self._all("SELECT arn FROM executions WHERE status = 'RUNNING' ORDER BY start_ms")
        return [row[0] for row in rows]

    # ------------------------------------------------------------------ history and inbox

    def append_history(self, arn: str, events: Sequence[Mapping[str, Any]]) -> None:
        if not events:
            return
        with self._transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO history VALUES (?, ?, ?)",
                [(arn, int(event["id"]), _text(dict(event))) for event in events],
            )

    def history(self, arn: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT event FROM history WHERE arn = ? ORDER BY id", arn)
        return [json.loads(row[0]) for row in rows]

    def put_inbox(self, arn: str, key: str, entry: Mapping[str, JSON]) -> bool:
        with self._transaction() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO inbox VALUES (?, ?, ?)", (arn, key, _text(dict(entry)))
            ).rowcount
        return bool(inserted)

    def inbox(self, arn: str) -> dict[str, dict[str, JSON]]:
        rows = self._all("SELECT key, entry FROM inbox WHERE arn = ?", arn)
        return {key: json.loads(entry) for key, entry in rows}

    def delete_inbox(self, arn: str, keys: Sequence[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM inbox WHERE arn = ? AND key = ?", [(arn, k) for k in keys])

    def put_task_token(self, token: str, arn: str, key: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)", (token, arn, key))

    def task_token(self, token: str) -> tuple[str, str] | None:
        row = self._one("SELECT arn, key FROM tokens WHERE token = ?", token)
        return (row[0], row[1]) if row else None

    # ------------------------------------------------------------------ activities

    def put_activity(self, arn: str, name: str, created_ms: int) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO activities VALUES (?, ?, ?)", (arn, name, created_ms))

    def delete_activity(self, arn: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM activities WHERE arn = ?", (arn,))

    def list_activities(self) -> list[tuple[str, str, int]]:
        rows = self._all("SELECT arn, name, created_ms FROM activities ORDER BY created_ms, arn")
        return [(row[0], row[1], int(row[2])) for row in rows]
