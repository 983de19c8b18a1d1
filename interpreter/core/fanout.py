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

A redrive (:mod:`interpreter.core.redrive`) enters a Parallel or Map state again with what it kept
(``frame["resume"]``): the state starts (``ParallelStateStarted``, ``MapStateStarted``, a
Distributed Map's ``MapRunRedriven`` in place of ``MapRunStarted``) and runs only its halted
children, each from the state where it stopped, then the children it never started; the results
of the others stand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interpreter import arns
from interpreter.core import errors as E
from interpreter.core import redrive as R
from interpreter.core import snapshot as S
from interpreter.core.context import item_source
from interpreter.core.errors import Failure
from interpreter.core.history import to_json_text
from interpreter.core.messages import ItemsRead, MapRunUpdated, ResultsWritten
from interpreter.core.surface import BLOCK, CONTINUE, Outcome, StepperSurface
from interpreter.core.timefmt import iso_from_ms
from interpreter.core.tolerance import threshold_set, tolerated
from interpreter.definition import model as M
from interpreter.json_types import JSON
from interpreter.limits import utf8_size
from interpreter.query.errors import QueryRuntimeError


def _child_id(frame: S.Frame, index: int) -> str:
    # The parent's entered-event id and retry count make the id unique within the execution.
    return f"{frame['id']}.{frame['entered']}.{frame['retries']}.{index}"


# ---------------------------------------------------------------------- Parallel


def start_parallel(stepper: StepperSurface, frame: S.Frame, state: M.ParallelState) -> Outcome:
    """Evaluate the branches' input and start every branch (a redriven one: its halted
    branches)."""
    resume = frame.pop("resume", None)
    if resume is not None:
        return _resume_parallel(stepper, frame, state, resume)
    branch_input = stepper.flow.parallel_input(frame, state)
    stepper.emit(frame, "ParallelStateStarted")
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
        stepper.schedule(child)
    return BLOCK


def _resume_parallel(
    stepper: StepperSurface, frame: S.Frame, state: M.ParallelState, resume: dict[str, Any]
) -> Outcome:
    stepper.emit(frame, "ParallelStateStarted")
    halted: dict[str, S.Frame] = resume.pop("halted")
    resume["remaining"] = len(halted)
    frame["phase"] = S.CHILDREN
    frame["data"] = resume
    for index in sorted(halted, key=int):
        _install(stepper, frame, halted[index], frame["cursor"])
    if not halted:
        _complete_parallel(stepper, frame, state)
        return CONTINUE
    return BLOCK


def _install(stepper: StepperSurface, parent: S.Frame, halted: S.Frame, cursor: int) -> S.Frame:
    """A halted child of ``parent`` made live and runnable."""
    child = R.restore(halted, cursor)
    child["parent"] = parent["id"]
    stepper.frames[child["id"]] = child
    stepper.schedule(child)
    return child


def _complete_parallel(stepper: StepperSurface, frame: S.Frame, state: Any) -> None:
    data = frame["data"]
    stepper.emit(frame, "ParallelStateSucceeded", advance=False)
    results = data["results"]
    # AWS joins the branches' output texts as they are: "[" + ",".join(...) + "]".
    texts = [
        stepper.text_of(child_id, result)
        for child_id, result in zip(data["children"], results, strict=True)
    ]
    stepper.remember_text(frame["id"], results, "[" + ",".join(texts) + "]")
    _finish_fanout(stepper, frame, state, results)


# ---------------------------------------------------------------------- Map


def start_map(stepper: StepperSurface, frame: S.Frame, state: M.MapState) -> Outcome:
    """Evaluate the items (or ask the ItemReader for them) and start the first iterations (a
    redriven Map: its halted iterations, then those it never started)."""
    resume = frame.pop("resume", None)
    if resume is not None:
        return _resume_map(stepper, frame, state, resume)
    reader_request = None
    if state.item_reader is not None:
        reader_request = stepper.flow.item_reader_request(frame, state)
        items, effective, max_concurrency = stepper.flow.map_items(frame, state, read_items=[])
    else:
        items, effective, max_concurrency = stepper.flow.map_items(frame, state)
    distributed = state.processor_mode == "DISTRIBUTED"
    writer = state.result_writer if distributed else None
    writer_request = None
    if writer is not None and writer.resource is not None:
        writer_request = stepper.flow.result_writer_request(frame, state)
    count = len(items)
    # With an ItemReader the items are not known yet: AWS reports a length of 0.
    stepper.emit(frame, "MapStateStarted", "mapStateStartedEventDetails", {"length": count})
    tolerated_count, tolerated_percentage = stepper.flow.map_tolerance(frame, state, effective)
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
    if reader_request is not None:
        # $$.Map.Item.Source: the S3 URI read (items from the state's input need no entry).
        data["item_source"] = item_source(reader_request)
    if writer is not None:
        # The child executions' records, by index, for the ResultWriter's export.
        data["records"] = {}
        data["writer"] = writer_request
    frame["phase"] = S.CHILDREN
    frame["data"] = data
    if distributed:
        run_arn = _map_run_arn(stepper, frame, state)
        data["map_run_arn"] = run_arn
        stepper.emit(frame, "MapRunStarted", "mapRunStartedEventDetails", {"mapRunArn": run_arn})
        # What DescribeMapRun and ListMapRuns report; counts follow the run.
        stepper.snap.setdefault("map_runs", {})[run_arn] = {
            "state": state.name,
            "start_ms": stepper.now_ms,
            "stop_ms": None,
            "status": "RUNNING",
            "max_concurrency": max_concurrency,
            "tolerated_count": tolerated_count,
            "tolerated_percentage": tolerated_percentage,
            "executions": dict(_NO_COUNTS),
            "items": dict(_NO_COUNTS),
        }
    if reader_request is not None:
        key = stepper.task_key(frame) + "/items"
        data["reading"] = key
        stepper.waits[key] = frame["id"]
        stepper.commands.append(
            {"type": "read_items", "key": key, "reader": reader_request, "frame": frame["id"]}
        )
        return BLOCK
    return _launch_first(stepper, frame, state)


_NO_COUNTS: dict[str, int] = {
    "pending": 0,
    "running": 0,
    "succeeded": 0,
    "failed": 0,
    "timedOut": 0,
    "aborted": 0,
    "total": 0,
    "resultsWritten": 0,
    "pendingRedrive": 0,
}


def _resume_map(
    stepper: StepperSurface, frame: S.Frame, state: M.MapState, resume: dict[str, Any]
) -> Outcome:
    """Run a redriven Map's halted iterations again, then the ones it never started."""
    run = _map_run(stepper, resume)
    if run is not None and run.get("redrive_count", 0) >= R.MAX_MAP_RUN_REDRIVES:
        frame["resume"] = resume  # the execution stays redrivable as it was
        return Outcome("fail", Failure(E.RUNTIME, R.MAP_RUN_REDRIVE_LIMIT_CAUSE))
    # With an ItemReader the length is not known when the state starts: AWS reports 0.
    length = 0 if "item_source" in resume else len(resume["items"])
    stepper.emit(frame, "MapStateStarted", "mapStateStartedEventDetails", {"length": length})
    halted: dict[str, S.Frame] = resume["halted"]
    resume["redo"] = sorted(int(index) for index in halted)
    resume["running"] = []
    resume["failed"] = 0
    resume["done"] = resume["next"] - len(halted)
    frame["phase"] = S.CHILDREN
    frame["data"] = resume
    if run is not None:
        _redrive_run(stepper, frame, resume, run)
    if not resume["redo"] and resume["next"] >= len(resume["items"]):
        _complete_map(stepper, frame, state)
        return CONTINUE
    _fill_slots(stepper, frame, state, frame["cursor"])
    return BLOCK if frame["phase"] == S.CHILDREN else CONTINUE


def _redrive_run(
    stepper: StepperSurface, frame: S.Frame, data: dict[str, Any], run: dict[str, Any]
) -> None:
    """The Map Run of a redriven Distributed Map runs again: ``MapRunRedriven``, and its counts
    show the halted child executions waiting for their redrive."""
    run["redrive_count"] = run.get("redrive_count", 0) + 1
    run["redrive_ms"] = stepper.now_ms
    run["status"] = "RUNNING"
    run["stop_ms"] = None
    redo = data["redo"]
    halted_items = sum(_weight(data, index) for index in redo)
    for counts, pending_redrive in ((run["executions"], len(redo)), (run["items"], halted_items)):
        counts["pendingRedrive"] = pending_redrive
        counts["failed"] = counts["timedOut"] = counts["aborted"] = counts["running"] = 0
        counts["pending"] = counts["total"] - counts["succeeded"] - counts["pendingRedrive"]
    details = {"mapRunArn": data["map_run_arn"], "redriveCount": run["redrive_count"]}
    stepper.emit(frame, "MapRunRedriven", "mapRunRedrivenEventDetails", details)


def update_map_run(stepper: StepperSurface, event: MapRunUpdated) -> None:
    """UpdateMapRun: a running Distributed Map takes its new limits; they hold for the
    iterations it starts from now on (more concurrency starts more at once)."""
    for frame in list(stepper.frames.values()):
        data = frame["data"]
        if frame["phase"] != S.CHILDREN or data is None or data["kind"] != "map":
            continue
        if data.get("map_run_arn") != event["map_run_arn"]:
            continue
        limits: dict[str, Any] = {}
        if "max_concurrency" in event:
            limits["max_concurrency"] = data["max"] = event["max_concurrency"]
        if "tolerated_count" in event:
            limits["tolerated_count"] = data["tolerated_count"] = event["tolerated_count"]
        if "tolerated_percentage" in event:
            percentage = event["tolerated_percentage"]
            limits["tolerated_percentage"] = data["tolerated_percentage"] = percentage
        run = _map_run(stepper, data)
        if run is not None:
            run.update(limits)
        if "reading" not in data and "writing" not in data:
            state = stepper.state_of(frame)
            assert isinstance(state, M.MapState)
            _fill_slots(stepper, frame, state, frame["cursor"])
        return


def _map_run(stepper: StepperSurface, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Map Run record of a Distributed Map's frame data (None for an inline Map)."""
    arn = data.get("map_run_arn")
    runs = stepper.snap.get("map_runs") or {}
    return runs.get(arn) if arn is not None else None


def _weight(data: Mapping[str, Any], index: int) -> int:
    """How many items iteration ``index`` holds (a batch holds several)."""
    item = data["items"][index]
    return len(item["Items"]) if data.get("batched") and isinstance(item, dict) else 1


def _count(run: dict[str, Any] | None, data: Mapping[str, Any], index: int, moves: str) -> None:
    """Move one child execution (and its items) in the run's counts, ``"from>to"``."""
    if run is None:
        return
    source, _, target = moves.partition(">")
    for counts, amount in ((run["executions"], 1), (run["items"], _weight(data, index))):
        if source:
            counts[source] -= amount
        counts[target] += amount


def _launch_first(stepper: StepperSurface, frame: S.Frame, state: M.MapState) -> Outcome:
    data = frame["data"]
    if state.item_batcher is not None:
        try:
            _batch_items(stepper, frame, state)
        except QueryRuntimeError as problem:
            frame["phase"] = S.ENTER
            frame["data"] = None
            stepper.fail_state(frame, state, stepper.query_failure(frame, state, problem))
            return CONTINUE
    count = len(data["items"])
    run = _map_run(stepper, data)
    if run is not None:
        for index in range(count):
            _count(run, data, index, ">pending")
            _count(run, data, index, ">total")
    if count == 0:
        _complete_map(stepper, frame, state)
        return CONTINUE
    max_concurrency = data["max"]
    slots = count if max_concurrency <= 0 else min(count, max_concurrency)
    launch_prev = frame["cursor"]
    for _ in range(slots):
        if not _launch_iteration(stepper, frame, state, launch_prev):
            return CONTINUE
    return BLOCK


def _batch_items(stepper: StepperSurface, frame: S.Frame, state: M.MapState) -> None:
    """Group the items (each through the ItemSelector first) into the ItemBatcher's batches:
    each child execution gets ``{"BatchInput": ..., "Items": [...]}``, no more items than
    MaxItemsPerBatch and, serialised, no more bytes than MaxInputBytesPerBatch (an item too
    large for any batch travels alone)."""
    data = frame["data"]
    flow = stepper.flow
    max_items, max_bytes, batch_input = flow.batching(frame, state, data["effective"])
    head: dict[str, JSON] = {} if batch_input is None else {"BatchInput": batch_input}
    empty_size = utf8_size(to_json_text({**head, "Items": []}))
    batches: list[JSON] = []
    current: list[JSON] = []
    current_size = empty_size
    for index, item in enumerate(data["items"]):
        selected = flow.map_item_input(frame, state, data["effective"], index, item)
        item_size = utf8_size(to_json_text(selected))
        extra = item_size + 1 if current else item_size  # the comma between items
        full = max_items is not None and len(current) >= max_items
        if current and (full or current_size + extra > max_bytes):
            batches.append({**head, "Items": current})
            current, current_size, extra = [], empty_size, item_size
        current.append(selected)
        current_size += extra
    if current:
        batches.append({**head, "Items": current})
    # Tolerated failures count items, not batches.
    data["item_count"] = len(data["items"])
    data["items"] = batches
    data["results"] = [None] * len(batches)
    data["batched"] = True


def items_read(stepper: StepperSurface, frame: S.Frame, event: ItemsRead) -> None:
    """The ItemReader answered: run the Map over its items, or fail it."""
    data = frame["data"]
    stepper.waits.pop(data.pop("reading"), None)
    state = stepper.state_of(frame)
    assert isinstance(state, M.MapState)
    if event.get("error") is not None:
        failure = Failure(event.get("error"), event.get("cause"))
        # Nothing was read: a redrive enters the Map state afresh.
        _map_failed(stepper, frame, state, failure, map_run=data["distributed"], keep=False)
        return
    items = list(event.get("items") or [])
    data["items"] = items
    data["results"] = [None] * len(items)
    if _launch_first(stepper, frame, state).kind != "block":
        stepper.schedule(frame)


def _map_failed(
    stepper: StepperSurface,
    frame: S.Frame,
    state: M.MapState,
    failure: Failure,
    *,
    map_run: bool,
    keep: bool = True,
) -> None:
    """End a Map state waiting on its reader or writer with ``failure`` (``MapRunFailed`` first
    for a Distributed Map's run); with ``keep``, its progress stays for a redrive."""
    data = frame["data"]
    if map_run:
        details = {"error": failure.error}
        if failure.cause is not None:
            details["cause"] = failure.cause
        stepper.emit(frame, "MapRunFailed", "mapRunFailedEventDetails", details)
        _finish_run(stepper, data, "FAILED")
    _fail_keeping_progress(stepper, frame, state, failure, data if keep else None)
    stepper.schedule(frame)


def _fail_keeping_progress(
    stepper: StepperSurface,
    frame: S.Frame,
    state: Any,
    failure: Failure,
    data: dict[str, Any] | None,
) -> None:
    """Fail a Parallel or Map state; what it achieved stays for a redrive (the failure routing
    drops it if a Retry or a Catch takes the failure)."""
    frame["phase"] = S.ENTER
    frame["data"] = None
    resume = R.progress(data) if data is not None else None
    if resume is not None:
        frame["resume"] = resume
    stepper.fail_state(frame, state, failure)


def _finish_run(stepper: StepperSurface, data: Mapping[str, Any] | None, status: str) -> None:
    run = _map_run(stepper, data) if data is not None else None
    if run is not None:
        run["status"] = status
        run["stop_ms"] = stepper.now_ms


def _map_run_arn(stepper: StepperSurface, frame: S.Frame, state: M.MapState) -> str:
    execution = stepper.execution
    new_uuid = stepper.uuid_source(frame)
    # Without a Label, AWS names the run with a generated id.
    label = state.label or new_uuid()
    run_id = new_uuid()
    region, account = execution["region"], execution["account"]
    return arns.map_run_arn(region, account, execution["state_machine_name"], label, run_id)


def _launch_iteration(
    stepper: StepperSurface, frame: S.Frame, state: M.MapState, prev: int
) -> bool:
    """Start the next iteration (a halted one of a redriven Map first); False if building its
    input failed the Map state."""
    data = frame["data"]
    if data.get("redo"):
        _relaunch_iteration(stepper, frame, state, prev)
        return True
    index = data["next"]
    data["next"] = index + 1
    item = data["items"][index]
    try:
        if data.get("batched"):
            item_input = item  # the ItemSelector has run on each item of the batch
        else:
            item_input = stepper.flow.map_item_input(frame, state, data["effective"], index, item)
    except QueryRuntimeError as problem:
        _abort_children(stepper, frame, prev)
        data["next"] = index  # a redrive starts this iteration again
        failure = stepper.query_failure(frame, state, problem)
        _fail_keeping_progress(stepper, frame, state, failure, data)
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
        # What its execution record needs (ResultWriter, a tolerated failure's result).
        child["started_ms"] = stepper.now_ms
        child["run_input"] = item_input
    elif frame.get("silent"):
        child["silent"] = True
    stepper.frames[child_id] = child
    data["running"].append(child_id)
    _count(_map_run(stepper, data), data, index, "pending>running")
    stepper.emit(
        child,
        "MapIterationStarted",
        "mapIterationStartedEventDetails",
        {"index": index, "name": state.name},
    )
    stepper.schedule(child)
    return True


def _relaunch_iteration(
    stepper: StepperSurface, frame: S.Frame, state: M.MapState, prev: int
) -> None:
    """Run a halted iteration of a redriven Map again, from the state where it stopped."""
    data = frame["data"]
    index = data["redo"].pop(0)
    child = _install(stepper, frame, data["halted"].pop(str(index)), prev)
    if data["distributed"]:
        child["started_ms"] = stepper.now_ms
    data["running"].append(child["id"])
    _count(_map_run(stepper, data), data, index, "pendingRedrive>running")
    stepper.emit(
        child,
        "MapIterationStarted",
        "mapIterationStartedEventDetails",
        {"index": index, "name": state.name},
    )


def _fill_slots(stepper: StepperSurface, frame: S.Frame, state: M.MapState, prev: int) -> None:
    """Start iterations while the Map has work left and free slots under its MaxConcurrency."""
    data = frame["data"]
    total = len(data["items"])
    while frame["phase"] == S.CHILDREN and (data.get("redo") or data["next"] < total):
        if 0 < data["max"] <= len(data["running"]):
            return
        if not _launch_iteration(stepper, frame, state, prev):
            return


def _complete_map(stepper: StepperSurface, frame: S.Frame, state: M.MapState) -> None:
    data = frame["data"]
    if data.get("writer") is not None:
        _write_results(stepper, frame, state, None)
        return
    if data["distributed"]:
        stepper.emit(frame, "MapRunSucceeded")
        _finish_run(stepper, data, "SUCCEEDED")
    stepper.emit(frame, "MapStateSucceeded", advance=False)
    result: JSON = data["results"]
    if "records" in data:
        # A ResultWriter with only a WriterConfig: the transformed results are the output.
        result = _transformed_results(state, data)
    _finish_fanout(stepper, frame, state, result)


# ---------------------------------------------------------------------- ResultWriter


def _execution_record(
    stepper: StepperSurface,
    parent: S.Frame,
    child: S.Frame,
    status: str,
    output: JSON = None,
    failure: Failure | None = None,
) -> dict[str, JSON]:
    """A child execution of a Distributed Map as the ResultWriter exports it (DescribeExecution's
    fields, keys in AWS's sorted order; Input and Output as JSON text)."""
    data = parent["data"]
    state = stepper.state_of(parent)
    assert isinstance(state, M.MapState)
    index = child["index"]
    name = stepper.uuid_source(parent, f"|execution|{index}")()
    # arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<run id>
    prefix, _, rest = str(data["map_run_arn"]).partition(":mapRun:")
    machine_and_label = rest.rsplit(":", 1)[0]
    kind = "express" if state.execution_type == "EXPRESS" else "execution"
    record: dict[str, JSON] = {}
    if failure is not None:
        if failure.cause is not None:
            record["Cause"] = failure.cause
        record["Error"] = failure.error
    record["ExecutionArn"] = f"{prefix}:{kind}:{machine_and_label}:{name}"
    record["Input"] = to_json_text(child.get("run_input"))
    record["InputDetails"] = {"Included": True}
    record["Name"] = name
    if status == "SUCCEEDED":
        record["Output"] = to_json_text(output)
    record["OutputDetails"] = {"Included": True}
    record["RedriveCount"] = 0
    if status == "SUCCEEDED":
        record["RedriveStatus"] = "NOT_REDRIVABLE"
        record["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    else:
        record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
    record["StartDate"] = iso_from_ms(int(child.get("started_ms") or stepper.now_ms))
    record["StateMachineArn"] = f"{prefix}:stateMachine:{machine_and_label}"
    record["Status"] = status
    record["StopDate"] = iso_from_ms(stepper.now_ms)
    return record


def _transformation(state: M.MapState) -> str:
    writer = state.result_writer
    assert writer is not None
    if writer.transformation is not None:
        return writer.transformation
    # NONE when exporting to S3 without a WriterConfig; COMPACT is the default otherwise.
    return "NONE" if writer.resource is not None else "COMPACT"


def _transformed_results(state: M.MapState, data: Mapping[str, Any]) -> list[JSON]:
    """The succeeded children's results under the WriterConfig's Transformation, in item order;
    a failed child's entry is its execution record whatever the transformation."""
    transformation = _transformation(state)
    records = data["records"]
    entries: list[JSON] = []
    for index, output in enumerate(data["results"]):
        record = records.get(str(index))
        if record is None:
            continue
        if record["Status"] != "SUCCEEDED" or transformation == "NONE":
            entries.append(record)
        elif transformation == "FLATTEN" and isinstance(output, list):
            entries.extend(output)
        else:
            entries.append(output)
    return entries


def _write_results(
    stepper: StepperSurface, frame: S.Frame, state: M.MapState, failure: Failure | None
) -> None:
    """Ask the runtime to export the Map run's results; the Map waits for the answer.

    The items a failed run never started are not listed: AWS puts them in ``PENDING_0.json``,
    but their record's shape is not documented.
    """
    data = frame["data"]
    transformation = _transformation(state)
    records = data["records"]
    succeeded: list[JSON] = []
    failed: list[JSON] = []
    for index, output in enumerate(data["results"]):
        record = records.get(str(index))
        if record is None:
            continue
        if record["Status"] != "SUCCEEDED":
            failed.append(record)
        elif transformation == "NONE":
            succeeded.append(record)
        elif transformation == "FLATTEN" and isinstance(output, list):
            succeeded.extend(output)
        else:
            succeeded.append(output)
    key = stepper.task_key(frame) + "/results"
    data["writing"] = key
    if failure is not None:
        data["failure"] = {"error": failure.error, "cause": failure.cause}
    stepper.waits[key] = frame["id"]
    stepper.commands.append(
        {
            "type": "write_results",
            "key": key,
            "writer": data["writer"],
            "map_run_arn": data["map_run_arn"],
            "results": {"SUCCEEDED": succeeded, "FAILED": failed, "PENDING": []},
            "frame": frame["id"],
        }
    )


def results_written(stepper: StepperSurface, frame: S.Frame, event: ResultsWritten) -> None:
    """The ResultWriter answered: the Map succeeds with where the results are, or fails."""
    data = frame["data"]
    stepper.waits.pop(data.pop("writing"), None)
    state = stepper.state_of(frame)
    assert isinstance(state, M.MapState)
    failed = data.get("failure")
    if failed is None and event.get("error") is not None:
        failed = {"error": event.get("error"), "cause": event.get("cause")}
    if failed is not None:
        failure = Failure(failed["error"], failed.get("cause"))
        _map_failed(stepper, frame, state, failure, map_run=True)
        return
    stepper.emit(frame, "MapRunSucceeded")
    _finish_run(stepper, data, "SUCCEEDED")
    run = _map_run(stepper, data)
    if run is not None:
        for counts in (run["executions"], run["items"]):
            counts["resultsWritten"] = counts["succeeded"] + counts["failed"]
    stepper.emit(frame, "MapStateSucceeded", advance=False)
    result = {"MapRunArn": data["map_run_arn"], "ResultWriterDetails": event.get("details")}
    _finish_fanout(stepper, frame, state, result)


def _finish_fanout(stepper: StepperSurface, frame: S.Frame, state: Any, result: JSON) -> None:
    data = frame["data"]
    frame["phase"] = S.ENTER
    frame["data"] = None
    try:
        output, assigned = stepper.flow.state_result(frame, state, frame["input"], result)
    except QueryRuntimeError as problem:
        # Every child succeeded: a redrive keeps their results and processes them again.
        failure = stepper.query_failure(frame, state, problem)
        _fail_keeping_progress(stepper, frame, state, failure, data)
        stepper.schedule(frame)
        return
    stepper.exit_state(frame, state, output, assigned)
    stepper.schedule(frame)


# ---------------------------------------------------------------------- children ending


def child_succeeded(stepper: StepperSurface, child: S.Frame, output: JSON) -> None:
    """A branch or iteration reached its end with ``output``."""
    parent = stepper.frames[child["parent"]]
    data = parent["data"]
    state = stepper.state_of(parent)
    index = child["index"]
    _drop_frame(stepper, child)
    if data["kind"] == "parallel":
        data["results"][index] = output
        data["remaining"] -= 1
        parent["cursor"] = child["cursor"]
        if data["remaining"] == 0:
            _complete_parallel(stepper, parent, state)
        return
    data["results"][index] = output
    data["done"] += 1
    data["running"].remove(child["id"])
    _count(_map_run(stepper, data), data, index, "running>succeeded")
    if "records" in data:
        data["records"][str(index)] = _execution_record(
            stepper, parent, child, "SUCCEEDED", output=output
        )
    succeeded_id = _iteration_event(stepper, parent, child, "MapIterationSucceeded", state)
    _after_iteration(stepper, parent, state, child, succeeded_id)


def _iteration_event(
    stepper: StepperSurface, parent: S.Frame, child: S.Frame, event_type: str, state: M.State
) -> int:
    key = event_type[0].lower() + event_type[1:] + "EventDetails"
    details = {"index": child["index"], "name": state.name}
    return stepper.emit(child, event_type, key, details, advance=False)


def _after_iteration(
    stepper: StepperSurface, parent: S.Frame, state: Any, child: S.Frame, last_event_id: int
) -> None:
    data = parent["data"]
    if data["next"] < len(data["items"]) or data.get("redo"):
        if 0 < data["max"] == len(data["running"]) + 1:
            _launch_iteration(stepper, parent, state, child["cursor"])  # the slot it freed
        else:  # UpdateMapRun changed MaxConcurrency since
            _fill_slots(stepper, parent, state, child["cursor"])
        return
    if not data["running"]:
        parent["cursor"] = last_event_id if last_event_id else child["cursor"]
        _complete_map(stepper, parent, state)


def child_failed(stepper: StepperSurface, child: S.Frame, failure: Failure) -> None:
    """A branch or iteration failed: fail the Parallel/Map state (unless the Map tolerates it).
    The failed child is kept, halted, for a redrive of the state."""
    parent = stepper.frames[child["parent"]]
    data = parent["data"]
    state = stepper.state_of(parent)
    data.setdefault("halted", {})[str(child["index"])] = R.halt(stepper.frames, child)
    _drop_frame(stepper, child)
    if data["kind"] == "map":
        data["running"].remove(child["id"])
        _count(_map_run(stepper, data), data, child["index"], "running>failed")
        batch = data["items"][child["index"]] if data.get("batched") else None
        # Tolerated failures count items: a failed batch counts each of its items.
        data["failed"] += len(batch["Items"]) if isinstance(batch, dict) else 1
        failed_id = _iteration_event(stepper, parent, child, "MapIterationFailed", state)
        if data["distributed"]:
            record = _execution_record(stepper, parent, child, "FAILED", failure=failure)
            if "records" in data:
                data["records"][str(child["index"])] = record
        if _tolerated(data):
            data["done"] += 1
            if data["distributed"]:
                # A failed child execution's result is its execution record (AWS's COMPACT
                # results keep failures unchanged).
                data["results"][child["index"]] = record
            _after_iteration(stepper, parent, state, child, failed_id)
            return
        if (
            threshold_set(data["tolerated_count"], data["tolerated_percentage"])
            and data["distributed"]
        ):
            failure = Failure(
                E.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            )
    elif isinstance(stepper.state_of(child), M.TaskState) and not child.get("silent"):
        # AWS records the failed Task of a branch as aborted when the branch takes the
        # Parallel state down with it.
        stepper.history.add("TaskStateAborted", child["cursor"])
    _abort_children(stepper, parent, child["cursor"])
    parent["cursor"] = child["cursor"]
    if data.get("writer") is not None:
        # The results written so far are exported before the run fails.
        assert isinstance(state, M.MapState)
        _write_results(stepper, parent, state, failure)
        return
    if data.get("distributed"):
        stepper.emit(
            parent,
            "MapRunFailed",
            "mapRunFailedEventDetails",
            {"error": failure.error, "cause": failure.cause}
            if failure.cause
            else {"error": failure.error},
        )
        _finish_run(stepper, data, "FAILED")
    _fail_keeping_progress(stepper, parent, state, failure, data)
    stepper.schedule(parent)


def _tolerated(data: dict[str, Any]) -> bool:
    """Whether the Map's failures so far stay within its tolerated failure threshold (items
    count, not batches)."""
    total = data.get("item_count", len(data["items"]))
    return tolerated(data["failed"], total, data["tolerated_count"], data["tolerated_percentage"])


def _abort_children(stepper: StepperSurface, parent: S.Frame, prev: int) -> None:
    """Stop every running child of ``parent``; each aborted state is recorded, and the child is
    kept, halted, for a redrive."""
    data = parent["data"]
    if data is None:
        return
    running = data["children"] if data["kind"] == "parallel" else list(data["running"])
    halted = data.setdefault("halted", {})
    for child_id in running:
        child = stepper.frames.get(child_id)
        if child is None:
            continue
        halted[str(child["index"])] = R.halt(stepper.frames, child)
        if child["phase"] != S.ENTER and child["entered"] and not child.get("silent"):
            child_state = stepper.state_of(child)
            stepper.history.add(child_state.type + "StateAborted", prev)
        if "records" in data:
            data["records"][str(child["index"])] = _execution_record(
                stepper, parent, child, "ABORTED"
            )
        if data["kind"] == "map":
            _count(_map_run(stepper, data), data, child["index"], "running>aborted")
        if data["kind"] == "map" and not child.get("silent"):
            stepper.history.add(
                "MapIterationAborted",
                prev,
                "mapIterationAbortedEventDetails",
                {"index": child["index"], "name": stepper.state_of(parent).name},
            )
        _drop_frame(stepper, child)
    if data["kind"] == "map":
        data["running"] = []


def _drop_frame(stepper: StepperSurface, frame: S.Frame) -> None:
    """Remove a frame and everything below it; their pending keys go stale."""
    frame_id = frame["id"]
    stepper.frames.pop(frame_id, None)
    stepper.forget_frame(frame)
    data = frame.get("data")
    if frame["phase"] == S.CHILDREN and data is not None:
        children = data["children"] if data["kind"] == "parallel" else data["running"]
        for child_id in list(children):
            child = stepper.frames.get(child_id)
            if child is not None:
                _drop_frame(stepper, child)
    stepper.release_waits(frame)
