"""Replay: folding the pure core over a stored execution reproduces every stored snapshot.

The fixtures (``histories/*.json``, written by ``record.py``) hold every call of the core for an
execution: the events delivered, the time, and what the call produced. Replaying ``start`` and
then ``step`` for each call must give the same snapshots, commands and history events — the
property the durable runtime relies on to resume after a crash, and a guard against
non-determinism creeping into the core (clock reads, random draws, dict-order accidents).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interpreter.core.engine import start, step
from interpreter.definition.compiler import compile_state_machine

FIXTURES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_replay_reproduces_the_stored_snapshots(path: Path) -> None:
    fixture = json.loads(path.read_text(encoding="utf-8"))
    machine = compile_state_machine(fixture["definition"])
    first, *rest = fixture["calls"]
    transition = start(machine, first["snapshot"]["execution"], first["now_ms"])
    assert _json(transition.snapshot) == first["snapshot"]
    assert _json(transition.commands) == first["commands"]
    assert _json(transition.history) == first["history"]
    snapshot = transition.snapshot
    for call in rest:
        transition = step(machine, snapshot, call["events"], call["now_ms"])
        assert _json(transition.snapshot) == call["snapshot"]
        assert _json(transition.commands) == call["commands"]
        assert _json(transition.history) == call["history"]
        snapshot = transition.snapshot
    assert snapshot["status"] in ("SUCCEEDED", "FAILED")


def test_replay_from_a_stored_snapshot_resumes_mid_execution() -> None:
    # A durable runtime reloads the snapshot from storage (a fresh JSON copy) and steps on.
    fixture = json.loads(
        (Path(__file__).parent / "histories" / "map_and_parallel.json").read_text()
    )
    machine = compile_state_machine(fixture["definition"])
    calls = fixture["calls"]
    for index in range(1, len(calls)):
        reloaded = _json(calls[index - 1]["snapshot"])
        transition = step(machine, reloaded, calls[index]["events"], calls[index]["now_ms"])
        assert _json(transition.snapshot) == calls[index]["snapshot"]
        assert _json(transition.history) == calls[index]["history"]
