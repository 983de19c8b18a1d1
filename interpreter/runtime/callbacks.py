"""Task tokens the in-process runner's executions wait on, and the callbacks that answer them.

In ``asl run`` and ``StateMachine.run`` a ``.waitForTaskToken`` Task can be answered only from
inside the same process: a child execution started by ``states:startExecution.waitForTaskToken``
that calls ``SendTaskSuccess`` (``aws-sdk:sfn:sendTaskSuccess``) with the token it was given.
The runner tells the board which token each callback task waits on (:meth:`CallbackBoard.expect`);
the in-process Step Functions hands the child's callback to :meth:`CallbackBoard.answer`, which
puts the event in the waiting execution's inbox with the time it was sent. The runner delivers
what its inbox holds after each task it carries out, so a child that answers while its parent's
Task is still starting it is delivered after that Task's ``TaskSubmitted``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from interpreter.core import messages
from interpreter.core.messages import Event

#: What :meth:`CallbackBoard.answer` says: delivered, a token it never saw, or one whose task
#: was answered already.
Answer = Literal["delivered", "unknown", "answered"]


@dataclass(slots=True)
class _Waiting:
    key: str
    inbox: list[tuple[int, Event]]


class CallbackBoard:
    """The callback tasks of one runner's executions, by token (thread-safe)."""

    def __init__(self) -> None:
        self._waiting: dict[str, _Waiting] = {}
        self._answered: set[str] = set()
        self._lock = threading.Lock()

    def expect(self, token: str, key: str, inbox: list[tuple[int, Event]]) -> None:
        """Task ``key`` waits on ``token``; its answers go to ``inbox`` as ``(time, event)``."""
        with self._lock:
            self._waiting[token] = _Waiting(key, inbox)

    def knows(self, token: str) -> bool:
        """Whether a task of this runner waits (or waited) on ``token``."""
        with self._lock:
            return token in self._waiting or token in self._answered

    def answer(self, token: str, event: Mapping[str, Any], at_ms: int) -> Answer:
        """Deliver SendTaskSuccess (``{"type": "task_succeeded", "output"}``), SendTaskFailure
        (``task_failed`` with ``error`` and ``cause``) or SendTaskHeartbeat (``task_heartbeat``)
        sent at ``at_ms``."""
        with self._lock:
            waiting = self._waiting.get(token)
            if waiting is None:
                return "answered" if token in self._answered else "unknown"
            entry = messages.parse_event({**event, "key": waiting.key})
            if entry["type"] != "task_heartbeat":
                del self._waiting[token]
                self._answered.add(token)
            waiting.inbox.append((at_ms, entry))
            return "delivered"

    def forget(self, tokens: Iterable[str]) -> None:
        """An execution ended: its tokens are answered no more."""
        with self._lock:
            for token in tokens:
                self._waiting.pop(token, None)
                self._answered.discard(token)
