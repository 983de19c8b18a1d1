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
from interpreter.runtime.ports import (
    Claim,
    ExecutionRecord,
    ExecutionSummary,
    ListingPosition,
    StateMachineRecord,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state_machines (
    arn TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revisions (
    arn TEXT NOT NULL, revision_id TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (arn, revision_id));
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY, state_machine_arn TEXT NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL, wake_ms INTEGER, start_ms INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status, wake_ms);
CREATE TABLE IF NOT EXISTS history (
    arn TEXT NOT NULL, id INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (arn, id));
CREATE TABLE IF NOT EXISTS inbox (
    arn TEXT NOT NULL, key TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (arn, key));
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, arn TEXT NOT NULL, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activities (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS claims (
    arn TEXT NOT NULL, key TEXT NOT NULL, owner TEXT NOT NULL, until_ms INTEGER NOT NULL,
    PRIMARY KEY (arn, key));
CREATE TABLE IF NOT EXISTS activity_tasks (
    activity_arn TEXT NOT NULL, created_ms INTEGER NOT NULL, token TEXT NOT NULL,
    input_text TEXT NOT NULL, PRIMARY KEY (activity_arn, token));
CREATE INDEX IF NOT EXISTS activity_tasks_by_age ON activity_tasks (activity_arn, created_ms);
CREATE INDEX IF NOT EXISTS state_machines_by_creation ON state_machines (created_ms, arn);
"""
#: Indexes that serve the listings (a page is one index range scan, at any depth) and retention.
#: Created after the columns they need, which files of earlier versions lack.
_INDEXES = """
DROP INDEX IF EXISTS executions_by_machine;
CREATE INDEX IF NOT EXISTS executions_by_machine_start
    ON executions (state_machine_arn, start_ms, arn);
CREATE INDEX IF NOT EXISTS executions_by_machine_status
    ON executions (state_machine_arn, status, start_ms, arn);
CREATE INDEX IF NOT EXISTS executions_by_stop ON executions (stop_ms) WHERE stop_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS tokens_by_execution ON tokens (arn);
"""
#: Columns added since the first version of the file: (name, type).
_ADDED_COLUMNS = (
    ("name", "TEXT"),
    ("stop_ms", "INTEGER"),
    ("redrive_count", "INTEGER"),
    ("redrive_ms", "INTEGER"),
)
#: What a listing reads of an execution.
_SUMMARY = (
    "arn, state_machine_arn, name, status, start_ms, stop_ms, COALESCE(redrive_count, 0), "
    "redrive_ms"
)


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _machine(text: str) -> StateMachineRecord:
    return StateMachineRecord(**json.loads(text))


def _execution(text: str) -> ExecutionRecord:
    return ExecutionRecord.from_dict(json.loads(text))


#: Every table of the schema (what :meth:`SqliteStore.clear` empties).
_TABLES = (
    "state_machines",
    "revisions",
    "executions",
    "history",
    "inbox",
    "tokens",
    "activities",
    "claims",
    "activity_tasks",
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
        present = {row[1] for row in self._db.execute("PRAGMA table_info(executions)")}
        for column, kind in _ADDED_COLUMNS:
            if column not in present:
                self._db.execute(f"ALTER TABLE executions ADD COLUMN {column} {kind}")
                # The column names are this module's constants, never input.
                self._db.execute(
                    f"UPDATE executions SET {column} = json_extract(record, '$.{column}')"  # noqa: S608
                )
        self._db.executescript(_INDEXES)

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
                "INSERT OR IGNORE INTO executions (arn, state_machine_arn, version, status, "
                "wake_ms, start_ms, record, name, stop_ms, redrive_count, redrive_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.arn,
                    record.state_machine_arn,
                    record.version,
                    record.status,
                    record.wake_ms,
                    record.start_ms,
                    _text(dataclasses.asdict(record)),
                    record.name,
                    record.stop_ms,
                    record.redrive_count,
                    record.redrive_ms,
                ),
            ).rowcount
        return bool(inserted)

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        row = self._one("SELECT record FROM executions WHERE arn = ?", arn)
        return _execution(row[0]) if row else None

    def commit(self, record: ExecutionRecord, expected_version: int) -> bool:
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE executions SET version = ?, status = ?, wake_ms = ?, record = ?, "
                "stop_ms = ?, redrive_count = ?, redrive_ms = ? WHERE arn = ? AND version = ?",
                (
                    record.version,
                    record.status,
                    record.wake_ms,
                    _text(dataclasses.asdict(record)),
                    record.stop_ms,
                    record.redrive_count,
                    record.redrive_ms,
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

    def list_executions_page(
        self,
        state_machine_arn: str,
        *,
        status: str | None = None,
        redriven: bool | None = None,
        limit: int = 100,
        after: ListingPosition = None,
    ) -> tuple[list[ExecutionSummary], ListingPosition]:
        where = ["state_machine_arn = ?"]
        parameters: list[Any] = [state_machine_arn]
        if status is not None:
            where.append("status = ?")
            parameters.append(status)
        if redriven is not None:
            where.append(
                "COALESCE(redrive_count, 0) > 0" if redriven else "COALESCE(redrive_count, 0) = 0"
            )
        if after:
            start_ms, arn = int(after[0]), str(after[1])
            where.append("(start_ms, arn) < (?, ?)")
            parameters.extend([start_ms, arn])
        rows = self._all(
            f"SELECT {_SUMMARY} FROM executions WHERE {' AND '.join(where)} "  # noqa: S608
            "ORDER BY start_ms DESC, arn DESC LIMIT ?",
            *parameters,
            limit + 1,
        )
        summaries = [ExecutionSummary(*row) for row in rows[:limit]]
        more = len(rows) > limit
        last = summaries[-1] if summaries else None
        return summaries, ([last.start_ms, last.arn] if more and last else None)

    def list_state_machines_page(
        self, *, limit: int = 100, after: ListingPosition = None
    ) -> tuple[list[StateMachineRecord], ListingPosition]:
        if after:
            rows = self._all(
                "SELECT created_ms, arn, record FROM state_machines "
                "WHERE (created_ms, arn) > (?, ?) ORDER BY created_ms, arn LIMIT ?",
                int(after[0]),
                str(after[1]),
                limit + 1,
            )
        else:
            rows = self._all(
                "SELECT created_ms, arn, record FROM state_machines "
                "ORDER BY created_ms, arn LIMIT ?",
                limit + 1,
            )
        records = [_machine(row[2]) for row in rows[:limit]]
        more = len(rows) > limit
        return records, ([rows[limit - 1][0], rows[limit - 1][1]] if more else None)

    def delete_finished_executions(self, stopped_before_ms: int, limit: int = 1000) -> int:
        with self._transaction() as db:
            arns = [
                row[0]
                for row in db.execute(
                    "SELECT arn FROM executions WHERE stop_ms IS NOT NULL AND stop_ms < ? "
                    "AND status != 'RUNNING' ORDER BY stop_ms LIMIT ?",
                    (stopped_before_ms, limit),
                )
            ]
            for table in ("history", "inbox", "claims", "tokens", "executions"):
                db.executemany(f"DELETE FROM {table} WHERE arn = ?", [(a,) for a in arns])  # noqa: S608
        return len(arns)

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

    # ------------------------------------------------------------------ task claims

    def claim_task(self, arn: str, key: str, owner: str, until_ms: int, now_ms: int) -> Claim:
        with self._transaction() as db:
            held = db.execute(
                "SELECT owner, until_ms FROM claims WHERE arn = ? AND key = ?", (arn, key)
            ).fetchone()
            if held is not None and held[0] != owner and held[1] >= now_ms:
                return "refused"
            db.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)", (arn, key, owner, until_ms)
            )
        return "taken_over" if held is not None and held[0] != owner else "granted"

    def task_claims(self, arn: str) -> dict[str, tuple[str, int]]:
        rows = self._all("SELECT key, owner, until_ms FROM claims WHERE arn = ?", arn)
        return {row[0]: (row[1], int(row[2])) for row in rows}

    def delete_task_claims(self, arn: str, keys: Sequence[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM claims WHERE arn = ? AND key = ?", [(arn, k) for k in keys])

    # ------------------------------------------------------------------ activity tasks

    def put_activity_task(
        self, activity_arn: str, token: str, input_text: str, created_ms: int
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO activity_tasks VALUES (?, ?, ?, ?)",
                (activity_arn, created_ms, token, input_text),
            )

    def take_activity_task(self, activity_arn: str) -> tuple[str, str] | None:
        with self._transaction() as db:
            row = db.execute(
                "SELECT token, input_text FROM activity_tasks WHERE activity_arn = ? "
                "ORDER BY created_ms, token LIMIT 1",
                (activity_arn,),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "DELETE FROM activity_tasks WHERE activity_arn = ? AND token = ?",
                (activity_arn, row[0]),
            )
        return row[0], row[1]
