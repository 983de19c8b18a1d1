"""What local Lambda handlers print and log, captured per invocation and shown on stderr.

On AWS a function's output goes to its CloudWatch log stream between Lambda's ``START``,
``END`` and ``REPORT`` lines; locally, :func:`capture` routes everything one invocation writes
to ``sys.stdout`` or ``sys.stderr`` — and the records of the ``logging`` module, formatted as
Lambda's Python runtime formats them — to the process's standard error, each line prefixed with
the function's name::

    [ChargeCard] START RequestId: 5b7c... Version: $LATEST
    [ChargeCard] charging 10.00 EUR
    [ChargeCard] [INFO]  2025-01-01T12:00:00.123Z  5b7c...  charge accepted
    [ChargeCard] END RequestId: 5b7c...
    [ChargeCard] REPORT RequestId: 5b7c...  Duration: 3.12 ms  Billed Duration: 4 ms  ...

So a handler's ``print()`` never reaches standard output, where ``asl run`` writes the
execution's output (``--json`` stays parseable). Capture is per thread of control (a context
variable), so concurrent invocations in ``asl serve``'s workers keep their lines apart and
output of other threads passes through untouched. While any invocation runs, ``sys.stdout`` and
``sys.stderr`` are thin routers around the streams they replaced, restored when the last
invocation ends.

:func:`configure` chooses what is shown: ``full`` (default), ``output`` (the function's own
lines, no START/END/REPORT) or ``off``, and where (a stream; default: standard error).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
import math
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

MODES: Final = ("full", "output", "off")


@dataclass(slots=True)
class _Settings:
    mode: str = "full"
    #: None: the standard error stream of the moment (so a test's capture sees the lines).
    stream: TextIO | None = None


_settings = _Settings()


def configure(mode: str = "full", stream: TextIO | None = None) -> None:
    """Choose what handler output is shown (``full``, ``output``, ``off``) and where."""
    if mode not in MODES:
        raise ValueError(f"handler output mode must be one of {', '.join(MODES)}")
    _settings.mode = mode
    _settings.stream = stream


@dataclass(slots=True)
class Invocation:
    """One invocation's capture: its function, request id, and a partial last line."""

    function: str
    request_id: str
    memory_mb: int = 128
    #: Lines the function wrote, in order (what a ``LogType: Tail`` result shows).
    lines: list[str] = field(default_factory=list)
    _partial: str = ""

    def write(self, text: str) -> None:
        """Take text as a stream would; complete lines are shown at once."""
        text = self._partial + text
        *complete, self._partial = text.split("\n")
        for line in complete:
            self.line(line)

    def line(self, text: str, *, own: bool = True) -> None:
        """Show one line (``own``: the function's; else Lambda's START/END/REPORT)."""
        if own:
            self.lines.append(text)
        mode = _settings.mode
        if mode == "off" or (mode == "output" and not own):
            return
        stream = _settings.stream or _real_stderr()
        try:
            stream.write(f"[{self.function}] {text}\n")
            stream.flush()
        except (OSError, ValueError):  # a closed stream: the line is lost, never the run
            pass

    def close(self) -> None:
        """Show a last line without its newline."""
        if self._partial:
            self.line(self._partial)
            self._partial = ""


_current: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar(
    "asl_handler_invocation", default=None
)


class _Router:
    """Stands in for ``sys.stdout``/``sys.stderr``: an invocation's writes go to its capture,
    every other write to the stream it replaced."""

    def __init__(self, wrapped: TextIO) -> None:
        self.wrapped = wrapped

    def write(self, text: str) -> int:
        invocation = _current.get()
        if invocation is None:
            return self.wrapped.write(text)
        invocation.write(text)
        return len(text)

    def flush(self) -> None:
        if _current.get() is None:
            self.wrapped.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


class _LambdaLogHandler(logging.Handler):
    """Formats an invocation's log records as Lambda's Python runtime does; records of other
    threads go where they would have gone without it."""

    def emit(self, record: logging.LogRecord) -> None:
        invocation = _current.get()
        if invocation is None:
            _as_if_absent(record, self)
            return
        moment = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        for line in f"[{record.levelname}]\t{stamp}\t{invocation.request_id}\t{message}".split(
            "\n"
        ):
            invocation.line(line)


def _as_if_absent(record: logging.LogRecord, ours: logging.Handler) -> None:
    """What logging does with a record when no handler but ``ours`` is configured: Python's
    last-resort handler (WARNING and above to standard error)."""
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        if any(handler is not ours for handler in logger.handlers):
            return
        logger = logger.parent if logger.propagate else None
    last_resort = logging.lastResort
    if last_resort is not None and record.levelno >= last_resort.level:
        last_resort.handle(record)


_lock = threading.Lock()
_active = 0
_routers: dict[str, _Router] = {}
_log_handler = _LambdaLogHandler()


def _install() -> None:
    global _active
    with _lock:
        _active += 1
        if _active > 1:
            return
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, _Router):
                router = _Router(stream)
                _routers[name] = router
                setattr(sys, name, router)
        logging.getLogger().addHandler(_log_handler)


def _uninstall() -> None:
    global _active
    with _lock:
        _active -= 1
        if _active > 0:
            return
        logging.getLogger().removeHandler(_log_handler)
        for name, router in _routers.items():
            # Someone who replaced the stream meanwhile (a test's capture) keeps theirs.
            if getattr(sys, name) is router:
                setattr(sys, name, router.wrapped)
        _routers.clear()


def _real_stderr() -> TextIO:
    stream = sys.stderr
    while isinstance(stream, _Router):
        stream = stream.wrapped
    return stream


@contextlib.contextmanager
def capture(function: str, request_id: str, *, memory_mb: int = 128) -> Iterator[Invocation]:
    """Capture what the code in the ``with`` block writes, framed by START and END lines.

    The caller reports the duration with :func:`report` after the block.
    """
    invocation = Invocation(function, request_id, memory_mb)
    invocation.line(f"START RequestId: {request_id} Version: $LATEST", own=False)
    _install()
    token = _current.set(invocation)
    try:
        yield invocation
    finally:
        _current.reset(token)
        _uninstall()
        invocation.close()
        invocation.line(f"END RequestId: {request_id}", own=False)


def report(invocation: Invocation, duration_seconds: float) -> None:
    """Lambda's REPORT line: the duration, the billed duration and the memory size."""
    duration_ms = duration_seconds * 1000
    invocation.line(
        f"REPORT RequestId: {invocation.request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, math.ceil(duration_ms))} ms\t"
        f"Memory Size: {invocation.memory_mb} MB",
        own=False,
    )


def elapsed_since(started: float) -> float:
    """Seconds since ``started`` (a :func:`time.perf_counter` reading)."""
    return time.perf_counter() - started
