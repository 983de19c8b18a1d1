"""What a redrive needs of an execution that ended unsuccessfully, and how it resumes.

The redrive guide ("Redriving executions") and the RedriveExecution reference say what a redrive
runs again: the execution continues from the unsuccessful step with that step's input, and the
results of the successful steps are kept; a Parallel state reruns only the branches that failed
or were aborted, an inline Map only its failed or aborted iterations, a Distributed Map redrives
its failed child executions (its Map Run is redriven, not started again).

So when an execution ends FAILED, TIMED_OUT or ABORTED, its snapshot keeps one *halted* frame
tree (``snapshot["halted"]``) instead of dropping every frame: the frame of the top level at the
state where it stopped, and, for a Parallel or Map state that stopped with children, the state's
progress (``frame["resume"]``: the results of its successful children, its items...) with the
halted children under ``resume["halted"]`` by index, each a halted frame in turn. Nothing else is
kept: a successful child leaves only its result, a failure that a Catch or Retry handled leaves
nothing, so the tree holds at most the frames that were unsuccessful.

A halted frame is the part of a frame dict (:mod:`interpreter.core.snapshot`) that enters the
state it stopped in again: its identity, the state, its input and variables. :func:`restore`
makes it a live frame again; the Parallel and Map handlers
(:mod:`interpreter.core.fanout`) find ``resume`` when they run and continue instead of starting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from interpreter.core import snapshot as S

#: The most times a Map Run may be redriven (the Map Run redrive guide: a hard limit; past it the
#: redrive fails with ``States.Runtime``).
MAX_MAP_RUN_REDRIVES: Final = 1000
MAP_RUN_REDRIVE_LIMIT_CAUSE: Final = (
    f"The Map Run has already been redriven {MAX_MAP_RUN_REDRIVES} times, the most it may be."
)
#: What a halted frame keeps of a frame: who it is, where it stopped, with what; and the
#: members it has only when they hold something (the rest a restored frame starts afresh).
_IDENTITY: Final = ("id", "parent", "scope", "index", "state", "input")
_KEPT: Final = (
    "vars",
    "var_sizes",
    "silent",
    "isolated",
    "verbatim",
    "run_input",
    "resume",
)
#: Members of a Parallel or Map state's progress that name work in flight: a resumed state
#: starts that work again, so they are not kept.
_IN_FLIGHT: Final = ("reading", "writing", "failure", "running")


def halt(frames: Mapping[str, S.Frame], frame: S.Frame) -> S.Frame:
    """``frame`` as a halted frame: what it needs to enter its state again (its identity, the
    state, its input and variables), and, when it is a Parallel or Map state with children
    running, its progress with each running child halted (recursively). ``frames`` are the live
    frames; nothing live is changed. Kept small: a Map may hold thousands of them."""
    halted = {key: frame[key] for key in _IDENTITY}
    halted.update((key, frame[key]) for key in _KEPT if frame.get(key))
    if "run_input" in halted and halted["run_input"] == frame["input"]:
        del halted["run_input"]  # restore() puts it back
    data = frame.get("data")
    if frame["phase"] == S.CHILDREN and data is not None:
        halted.pop("resume", None)
        resume = progress(data)
        if resume is not None:
            live = data["children"] if data["kind"] == "parallel" else data["running"]
            children = resume["halted"]
            for child_id in live:
                child = frames.get(child_id)
                if child is not None:
                    children[str(child["index"])] = halt(frames, child)
            halted["resume"] = resume
    return halted


def progress(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a Parallel or Map state keeps of its progress for a redrive: its data without the
    work in flight, with ``halted`` (the children to run again, by index). None when nothing is
    worth keeping: a Map still reading its items starts over."""
    if "reading" in data:
        return None
    kept = {key: value for key, value in data.items() if key not in _IN_FLIGHT}
    kept["halted"] = dict(data.get("halted") or {})
    return kept


def restore(halted: S.Frame, cursor: int) -> S.Frame:
    """A halted frame made live again: it enters its state anew (retry counters start over)
    and its first event points at ``cursor``."""
    frame = S.new_frame(
        halted["id"],
        halted["parent"],
        halted["scope"],
        halted["state"],
        halted["input"],
        cursor,
        halted["index"],
    )
    for key in _KEPT:
        if key in halted:
            frame[key] = halted[key]
    if frame.get("isolated") and "run_input" not in frame:
        frame["run_input"] = frame["input"]
    return frame


def variable_bytes(halted: Mapping[str, Any]) -> int:
    """The size of the variables a halted frame tree holds (they count again once resumed)."""
    total = int(sum((halted.get("var_sizes") or {}).values()))
    resume = halted.get("resume")
    if resume is not None:
        total += sum(variable_bytes(child) for child in resume["halted"].values())
    return total
