"""The stepper's public surface: what the state handlers outside the engine may use.

:class:`interpreter.core.engine.Stepper` advances the frames of one execution for one call of
``start``/``step``. Parallel and Map states (:mod:`interpreter.core.fanout`) start child frames,
collect their ends and route their failures through the stepper — through this protocol only,
so the fan-out module depends on a contract, not on the engine module (no import cycle), and
everything it may touch is listed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from interpreter.core import snapshot as S
from interpreter.core.dataflow import DataFlow
from interpreter.core.errors import Failure
from interpreter.core.history import HistoryWriter
from interpreter.core.messages import Command
from interpreter.definition import model as M
from interpreter.json_types import JSON
from interpreter.query.errors import QueryRuntimeError


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a state's work ended: move on (``next``), stop advancing this frame (``block``), or
    fail it with ``failure``."""

    kind: Literal["next", "block", "fail"]
    failure: Failure | None = None


CONTINUE = Outcome("next")
BLOCK = Outcome("block")


class StepperSurface(Protocol):
    """What a state handler may read and call while the stepper advances an execution."""

    #: The data flow of the state being run (inputs, templates, results).
    flow: DataFlow
    #: The execution's frames by id (the snapshot's).
    frames: dict[str, S.Frame]
    #: Pending keys (task results, timers, reader and writer answers) -> waiting frame id.
    waits: dict[str, str]
    #: The commands this call produces.
    commands: list[Command]
    #: The whole snapshot (for the Map Run records it keeps).
    snap: S.Snapshot
    #: This call's time.
    now_ms: int
    history: HistoryWriter
    #: The execution's identity (``arn``, ``region``, ``account``, ``state_machine_name``...).
    execution: Mapping[str, Any]

    def emit(
        self,
        frame: S.Frame,
        event_type: str,
        details_key: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        advance: bool = True,
    ) -> int:
        """Record an event of ``frame`` (nothing for a silent frame); returns its id (0 if
        none). ``advance`` moves the frame's cursor to it."""
        ...

    def state_of(self, frame: S.Frame) -> M.State:
        """The state ``frame`` is in."""
        ...

    def schedule(self, frame: S.Frame) -> None:
        """Mark ``frame`` runnable."""
        ...

    def fail_state(self, frame: S.Frame, state: M.State, failure: Failure) -> None:
        """Route a state's failure through Retry, then Catch, then fail the frame."""
        ...

    def query_failure(self, frame: S.Frame, state: M.State, problem: QueryRuntimeError) -> Failure:
        """The failure a query error stands for (recording ``EvaluationFailed`` where AWS
        does)."""
        ...

    def exit_state(
        self, frame: S.Frame, state: M.State, output: JSON, assigned: Mapping[str, JSON] | None
    ) -> None:
        """Record the state's exit, apply its assignments and move to its next state."""
        ...

    def text_of(self, frame_id: str, value: JSON) -> str:
        """``value`` as compact JSON text (remembered per frame)."""
        ...

    def remember_text(self, frame_id: str, value: JSON, text: str) -> None:
        """Remember that ``value`` of ``frame_id`` serialises as ``text``."""
        ...

    def uuid_source(self, frame: S.Frame, salt: str = "") -> Callable[[], str]:
        """Deterministic UUIDs for the current state entry of ``frame``."""
        ...

    def task_key(self, frame: S.Frame) -> str:
        """The idempotency key of ``frame``'s current attempt."""
        ...

    def forget_frame(self, frame: S.Frame) -> None:
        """``frame`` ended: drop its variables and what is cached about it."""
        ...

    def release_waits(self, frame: S.Frame) -> None:
        """Forget whatever ``frame`` waits for (its results and timers become stale)."""
        ...
