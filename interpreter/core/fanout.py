"""Parallel branches and Map iterations: child frames, their completion, and their failure.

A Parallel or Map state puts its frame in the ``children`` phase and starts child frames. Their
progress is kept in the parent frame's ``data``; results land in ``data["results"]`` by index, so
the order of completion never changes the output. A Map with ``MaxConcurrency: 1`` starts the next
iteration only when the previous one ends: iterations are strictly sequential, and the snapshot
holds only the running ones, so 10,000 items cost 10,000 small steps, not 10,000 frames.

``previousEventId`` bookkeeping follows the recorded AWS histories: an iteration's first event
points at the event that launched it (``MapStateStarted``, or the last event of the iteration whose
end freed its slot); ``MapIterationSucceeded``/``Failed`` point at the iteration's last event;
``MapStateSucceeded`` at the last ``MapIterationSucceeded``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from interpreter.core import errors as E
from interpreter.core import snapshot as S
from interpreter.core.errors import Failure
from interpreter.definition import model as M
from interpreter.json_types import JSON
from interpreter.query.errors import QueryRuntimeError

if TYPE_CHECKING:
    from interpreter.core.engine import _Outcome, _Stepper


def _outcome(kind: str) -> _Outcome:
    from interpreter.core.engine import _Outcome

    return _Outcome(kind)


def _child_id(frame: S.Frame, index: int) -> str:
    # The parent's entered-event id and retry count make the id unique within the execution.
    return f"{frame['id']}.{frame['entered']}.{frame['retries']}.{index}"


# ---------------------------------------------------------------------- Parallel


def start_parallel(stepper: _Stepper, frame: S.Frame, state: M.ParallelState) -> _Outcome:
    """Evaluate the branches' input and start every branch."""
    branch_input = stepper.flow.parallel_input(frame, state)
    stepper._emit(frame, "ParallelStateStarted")
    count = len(state.branches)
    frame["phase"] = S.CHILDREN
    frame["data"] = {
        "kind": "parallel",
        "results": [None] * count,
        "remaining": count,
        "children": [],
    }
    for index, branch in enumerate(state.branches):
        child_id = _child_id(frame, index)
        child = S.new_frame(
            child_id,
            frame["id"],
            [*frame["scope"], state.name, index],
            branch.start_at,
            branch_input,
            frame["cursor"],
            index,
        )
        if frame.get("silent"):
            child["silent"] = True
        if frame.get("verbatim") and branch_input is frame["input"]:
            child["verbatim"] = True
        stepper.frames[child_id] = child
        frame["data"]["children"].append(child_id)
        stepper._schedule(child)
    return _outcome("block")


# ---------------------------------------------------------------------- Map


def start_map(stepper: _Stepper, frame: S.Frame, state: M.MapState) -> _Outcome:
    """Evaluate the items (or ask the ItemReader for them) and start the first iterations."""
    reader_request = None
    if state.item_reader is not None:
        reader_request = stepper.flow.item_reader_request(frame, state)
        items, effective, max_concurrency = stepper.flow.map_items(frame, state, read_items=[])
    else:
        items, effective, max_concurrency = stepper.flow.map_items(frame, state)
    count = len(items)
    # With an ItemReader the items are not known yet: AWS reports a length of 0.
    stepper._emit(frame, "MapStateStarted", "mapStateStartedEventDetails", {"length": count})
    tolerated_count, tolerated_percentage = stepper.flow.map_tolerance(frame, state, effective)
    distributed = state.processor_mode == "DISTRIBUTED"
    data: dict[str, Any] = {
        "kind": "map",
        "items": items,
        "effective": effective,
        "results": [None] * count,
        "next": 0,
        "running": [],
        "done": 0,
        "failed": 0,
        "max": max_concurrency,
        "tolerated_count": tolerated_count,
        "tolerated_percentage": tolerated_percentage,
        "distributed": distributed,
    }
    frame["phase"] = S.CHILDREN
    frame["data"] = data
    if distributed:
        run_arn = _map_run_arn(stepper, frame, state)
        data["map_run_arn"] = run_arn
        stepper._emit(frame, "MapRunStarted", "mapRunStartedEventDetails", {"mapRunArn": run_arn})
    if reader_request is not None:
        key = stepper.task_key(frame) + "/items"
        data["reading"] = key
        stepper.waits[key] = frame["id"]
        stepper.commands.append(
            {"type": "read_items", "key": key, "reader": reader_request, "frame": frame["id"]}
        )
        return _outcome("block")
    return _launch_first(stepper, frame, state)


def _launch_first(stepper: _Stepper, frame: S.Frame, state: M.MapState) -> _Outcome:
    data = frame["data"]
    count = len(data["items"])
    if count == 0:
        _complete_map(stepper, frame, state)
        return _outcome("next")
    max_concurrency = data["max"]
    slots = count if max_concurrency <= 0 else min(count, max_concurrency)
    launch_prev = frame["cursor"]
    for _ in range(slots):
        if not _launch_iteration(stepper, frame, state, launch_prev):
            return _outcome("next")
    return _outcome("block")


def items_read(stepper: _Stepper, frame: S.Frame, event: Mapping[str, Any]) -> None:
    """The ItemReader answered: run the Map over its items, or fail it."""
    data = frame["data"]
    stepper.waits.pop(data.pop("reading"), None)
    state = stepper._state(frame)
    assert isinstance(state, M.MapState)
    if event.get("error") is not None:
        failure = Failure(event.get("error"), event.get("cause"))
        if data["distributed"]:
            details = {"error": failure.error}
            if failure.cause is not None:
                details["cause"] = failure.cause
            stepper._emit(frame, "MapRunFailed", "mapRunFailedEventDetails", details)
        frame["phase"] = S.ENTER
        frame["data"] = None
        stepper._fail_state(frame, state, failure)
        stepper._schedule(frame)
        return
    items = list(event.get("items") or [])
    data["items"] = items
    data["results"] = [None] * len(items)
    if _launch_first(stepper, frame, state).kind != "block":
        stepper._schedule(frame)


def _map_run_arn(stepper: _Stepper, frame: S.Frame, state: M.MapState) -> str:
    execution = stepper.execution
    new_uuid = stepper.uuid_source(frame)
    # Without a Label, AWS names the run with a generated id.
    label = state.label or new_uuid()
    run_id = new_uuid()
    return (
        f"arn:aws:states:{execution['region']}:{execution['account']}:mapRun:"
        f"{execution['state_machine_name']}/{label}:{run_id}"
    )


def _launch_iteration(stepper: _Stepper, frame: S.Frame, state: M.MapState, prev: int) -> bool:
    """Start the next iteration; False if building its input failed the Map state."""
    data = frame["data"]
    index = data["next"]
    data["next"] = index + 1
    item = data["items"][index]
    try:
        item_input = stepper.flow.map_item_input(frame, state, data["effective"], index, item)
    except QueryRuntimeError as problem:
        _abort_children(stepper, frame, prev)
        frame["phase"] = S.ENTER
        frame["data"] = None
        stepper._fail_state(frame, state, stepper._query_failure(frame, state, problem))
        return False
    assert state.processor is not None
    child_id = _child_id(frame, index)
    child = S.new_frame(
        child_id,
        frame["id"],
        [*frame["scope"], state.name, -1],
        state.processor.start_at,
        item_input,
        prev,
        index,
    )
    if data["distributed"]:
        # A Distributed Map's iterations are child executions: their events are not in this
        # history, and they cannot read the variables of the scopes around the Map.
        child["silent"] = True
        child["isolated"] = True
    elif frame.get("silent"):
        child["silent"] = True
    stepper.frames[child_id] = child
    data["running"].append(child_id)
    stepper._emit(
        child,
        "MapIterationStarted",
        "mapIterationStartedEventDetails",
        {"index": index, "name": state.name},
    )
    stepper._schedule(child)
    return True


def _complete_map(stepper: _Stepper, frame: S.Frame, state: M.MapState) -> None:
    data = frame["data"]
    if data["distributed"]:
        stepper._emit(frame, "MapRunSucceeded")
    stepper._emit(frame, "MapStateSucceeded", advance=False)
    _finish_fanout(stepper, frame, state, data["results"])


def _finish_fanout(stepper: _Stepper, frame: S.Frame, state: Any, results: list[JSON]) -> None:
    frame["phase"] = S.ENTER
    frame["data"] = None
    try:
        output, assigned = stepper.flow.state_result(frame, state, frame["input"], results)
    except QueryRuntimeError as problem:
        stepper._fail_state(frame, state, stepper._query_failure(frame, state, problem))
        stepper._schedule(frame)
        return
    stepper._exit_state(frame, state, output, assigned)
    stepper._schedule(frame)


# ---------------------------------------------------------------------- children ending


def child_succeeded(stepper: _Stepper, child: S.Frame, output: JSON) -> None:
    """A branch or iteration reached its end with ``output``."""
    parent = stepper.frames[child["parent"]]
    data = parent["data"]
    state = stepper._state(parent)
    index = child["index"]
    _drop_frame(stepper, child)
    if data["kind"] == "parallel":
        data["results"][index] = output
        data["remaining"] -= 1
        parent["cursor"] = child["cursor"]
        if data["remaining"] == 0:
            stepper._emit(parent, "ParallelStateSucceeded", advance=False)
            results = data["results"]
            # AWS joins the branches' output texts as they are: "[" + ",".join(...) + "]".
            texts = [
                stepper.text_of(child_id, result)
                for child_id, result in zip(data["children"], results, strict=True)
            ]
            stepper.cache.texts[parent["id"]] = (results, "[" + ",".join(texts) + "]")
            _finish_fanout(stepper, parent, state, results)
        return
    data["results"][index] = output
    data["done"] += 1
    data["running"].remove(child["id"])
    succeeded_id = _iteration_event(stepper, parent, child, "MapIterationSucceeded", state)
    _after_iteration(stepper, parent, state, child, succeeded_id)


def _iteration_event(
    stepper: _Stepper, parent: S.Frame, child: S.Frame, event_type: str, state: M.State
) -> int:
    key = event_type[0].lower() + event_type[1:] + "EventDetails"
    details = {"index": child["index"], "name": state.name}
    return stepper._emit(child, event_type, key, details, advance=False)


def _after_iteration(
    stepper: _Stepper, parent: S.Frame, state: Any, child: S.Frame, last_event_id: int
) -> None:
    data = parent["data"]
    total = len(data["items"])
    if data["next"] < total:
        _launch_iteration(stepper, parent, state, child["cursor"])
        return
    if not data["running"]:
        parent["cursor"] = last_event_id if last_event_id else child["cursor"]
        _complete_map(stepper, parent, state)


def child_failed(stepper: _Stepper, child: S.Frame, failure: Failure) -> None:
    """A branch or iteration failed: fail the Parallel/Map state (unless the Map tolerates it)."""
    parent = stepper.frames[child["parent"]]
    data = parent["data"]
    state = stepper._state(parent)
    _drop_frame(stepper, child)
    if data["kind"] == "map":
        data["running"].remove(child["id"])
        data["failed"] += 1
        failed_id = _iteration_event(stepper, parent, child, "MapIterationFailed", state)
        if _tolerated(data):
            data["done"] += 1
            _after_iteration(stepper, parent, state, child, failed_id)
            return
        tolerance_set = (
            data["tolerated_count"] is not None or data["tolerated_percentage"] is not None
        )
        if tolerance_set and data["distributed"]:
            failure = Failure(
                E.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            )
    elif isinstance(stepper._state(child), M.TaskState) and not child.get("silent"):
        # AWS records the failed Task of a branch as aborted when the branch takes the
        # Parallel state down with it.
        stepper.history.add("TaskStateAborted", child["cursor"])
    _abort_children(stepper, parent, child["cursor"])
    parent["cursor"] = child["cursor"]
    if data.get("distributed"):
        stepper._emit(
            parent,
            "MapRunFailed",
            "mapRunFailedEventDetails",
            {"error": failure.error, "cause": failure.cause}
            if failure.cause
            else {"error": failure.error},
        )
    parent["phase"] = S.ENTER
    parent["data"] = None
    stepper._fail_state(parent, state, failure)
    stepper._schedule(parent)


def _tolerated(data: dict[str, Any]) -> bool:
    count = data["tolerated_count"]
    percentage = data["tolerated_percentage"]
    failed = data["failed"]
    if count is not None and failed <= count:
        return True
    total = len(data["items"])
    return percentage is not None and total > 0 and failed * 100 <= percentage * total


def _abort_children(stepper: _Stepper, parent: S.Frame, prev: int) -> None:
    """Stop every running child of ``parent``; each aborted state is recorded."""
    data = parent["data"]
    if data is None:
        return
    running = data["children"] if data["kind"] == "parallel" else list(data["running"])
    for child_id in running:
        child = stepper.frames.get(child_id)
        if child is None:
            continue
        if child["phase"] != S.ENTER and child["entered"] and not child.get("silent"):
            child_state = stepper._state(child)
            stepper.history.add(child_state.type + "StateAborted", prev)
        if data["kind"] == "map" and not child.get("silent"):
            stepper.history.add(
                "MapIterationAborted",
                prev,
                "mapIterationAbortedEventDetails",
                {"index": child["index"], "name": stepper._state(parent).name},
            )
        _drop_frame(stepper, child)
    if data["kind"] == "map":
        data["running"] = []


def _drop_frame(stepper: _Stepper, frame: S.Frame) -> None:
    """Remove a frame and everything below it; their pending keys go stale."""
    frame_id = frame["id"]
    stepper.frames.pop(frame_id, None)
    stepper.forget_variables(frame)
    stepper.cache.variables.pop(frame_id, None)
    data = frame.get("data")
    if frame["phase"] == S.CHILDREN and data is not None:
        children = data["children"] if data["kind"] == "parallel" else data["running"]
        for child_id in list(children):
            child = stepper.frames.get(child_id)
            if child is not None:
                _drop_frame(stepper, child)
    stepper.release_waits(frame)
