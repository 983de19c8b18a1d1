"""Tests of the conformance comparer (compare.py) itself.

The recorded result of every case is turned back into a plausible "actual" run (normalisation
tokens replaced by concrete values, JSON documents serialised back to text, timestamps added,
the events Parallel sorting dropped put back): it must compare equal, also after Map iterations
and Parallel branches are interleaved differently. Targeted mutations must be detected, and the
individual README rules are checked on small synthetic cases.
"""

from __future__ import annotations

import copy
import datetime
import json
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from compare import (
    _CaseRules,
    compare_case,
    format_mismatches,
    history_reverse_order,
    normalise_actual,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASES: list[dict[str, Any]] = [
    json.loads(path.read_text(encoding="utf-8")) for path in sorted(CASES_DIR.rglob("*.json"))
]
RECORDED_TIME = datetime.datetime(2024, 3, 6, 10, 29, 14, tzinfo=datetime.UTC)
ISO_VALUE = "2024-03-06T10:29:14.123Z"
NUMBERED = re.compile(r"<([A-Za-z][\w.\-]*):(\d+)>")
ITERATION_CLOSERS = {"MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"}


def _sorted_history(case: dict[str, Any]) -> bool:
    return any(not isinstance(e["id"], int) for e in case["expected"].get("history") or [])


def _has_history(case: dict[str, Any]) -> bool:
    return bool(case["expected"].get("history"))


# ---------------------------------------------------------------------------------------------
# Turning a recorded result back into an actual run.
# ---------------------------------------------------------------------------------------------


def _denormalise_strings(
    case: dict[str, Any], placeholders: dict[str, str]
) -> Callable[[str], str]:
    """Replace the recording's tokens in a string by values a real run would have produced."""
    substitutions: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
        (re.compile(r"<uuid:(\d+)>"), lambda m: str(uuid.UUID(int=int(m.group(1)) * 7919 + 1))),
        (re.compile(r"<json-input:(\d+)>"), lambda m: '{"elided":' + m.group(1) + "}"),
        (re.compile(r"(?<![\w-])date(?![\w(-])"), lambda _m: ISO_VALUE),
        (re.compile(re.escape("arn:<partition>:")), lambda _m: "arn:aws:"),
        (re.compile(re.escape("<region>")), lambda _m: "us-east-1"),
    ]
    for transformer in reversed(case["compare"]["transformers"]):
        if transformer["type"] != "regex":
            continue
        pattern, replacement = transformer["pattern"], transformer["replacement"]
        if pattern.startswith("${ref:"):
            value = "value-of-the-recorded-run"
        elif pattern.startswith("${"):
            name = "${" + pattern[2 : -len(".pattern}")] + "}"
            value = placeholders.setdefault(name, f"fixture-{len(placeholders)}")
        elif re.escape(pattern) == pattern:
            value = pattern  # a literal: what the run had before the recording replaced it
        else:
            continue  # e.g. "Request ID: [a-zA-Z0-9-]+": its replacement does not match it
        substitutions.append((re.compile(re.escape(replacement)), lambda _m, v=value: v))
    substitutions.append((NUMBERED, lambda m: f"value-{m.group(1)}-{m.group(2)}"))

    def denormalise(text: str) -> str:
        for pattern, function in substitutions:
            text = pattern.sub(function, text)
        return text

    return denormalise


def _denormalise(node: Any, fix: Callable[[str], str], key: str | None = None) -> Any:
    if isinstance(node, dict):
        return {k: _denormalise(v, fix, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_denormalise(item, fix) for item in node]
    if isinstance(node, str):
        if key is not None and "timestamp" in key.lower() and node == "timestamp":
            return 1709720954  # not an ISO date-time: the recording wrote "timestamp"
        return fix(node)
    return node


def _parseable_inside(node: Any) -> bool:
    """Whether the harness's first step would parse a string somewhere inside ``node``."""
    if isinstance(node, dict):
        for value in node.values():
            if isinstance(value, str) and value.startswith("{"):
                try:
                    json.loads(value)
                except ValueError:
                    continue
                return True
            if _parseable_inside(value):
                return True
    if isinstance(node, list):
        return any(isinstance(item, dict) and _parseable_inside(item) for item in node)
    return False


def _as_api_text(event: dict[str, Any]) -> dict[str, Any]:
    """An event's details as the API returns them: input/output/cause as JSON text."""
    out: dict[str, Any] = {}
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            details = {}
            for name, field_value in value.items():
                as_text = (name in ("input", "output") and not isinstance(field_value, str)) or (
                    isinstance(field_value, dict)
                    and (name in ("cause", "parameters") or _parseable_inside(field_value))
                )
                if as_text:
                    field_value = json.dumps(field_value, separators=(",", ":"))
                details[name] = field_value
            value = details
        out[key] = value
    return out


def _fill_sorted(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give sorted Parallel events real ids again, re-adding the bookkeeping events dropped."""
    out: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []

    def emit(event: dict[str, Any]) -> None:
        event = dict(event)
        event["id"] = len(out) + 1
        event["previousEventId"] = len(out)
        out.append(event)

    for event in events:
        if not isinstance(event["id"], int):
            pending.append(event)
            continue
        for waiting in pending:
            emit(waiting)
        pending = []
        while len(out) + 1 < event["id"]:
            emit({"type": "ParallelStateSucceeded"})
        out.append(event)
    for waiting in pending:
        emit(waiting)
    return out


def actual_from_expected(case: dict[str, Any]) -> dict[str, Any]:
    """A plausible actual run whose normalisation is the case's recorded result."""
    placeholders: dict[str, str] = {}
    fix = _denormalise_strings(case, placeholders)
    expected = _denormalise(copy.deepcopy(case["expected"]), fix)
    kind = case["kind"]
    if kind == "api_error":
        message = re.sub(
            r"^An error occurred \([^)]*\) when calling the \w+ operation: ", "", expected["cause"]
        )
        return {"status": "API_ERROR", "error": expected["error"], "message": message}
    actual: dict[str, Any] = {"status": expected["status"], "placeholders": placeholders}
    for key in ("error", "nextState", "inspectionData"):
        if key in expected:
            actual[key] = expected[key]
    if "inspectionData" in actual:
        actual["inspectionData"] = {
            k: json.dumps(v) if isinstance(v, dict) else v
            for k, v in actual["inspectionData"].items()
        }
    if "cause" in expected:
        cause = expected["cause"]
        actual["cause"] = (
            cause if isinstance(cause, str) else json.dumps(cause, separators=(",", ":"))
        )
    raw = None
    if "output_raw" in expected:
        raw = expected["output_raw"]
    elif "output" in expected:
        raw = json.dumps(expected["output"], separators=(",", ":"))
    if kind == "test_state":
        if raw is not None:
            actual["output"] = raw
    else:
        actual["output_raw"] = raw
    if "history" in expected:
        events = [_as_api_text(e) for e in expected["history"]]
        if history_reverse_order(case):
            events.reverse()
        if any(not isinstance(e["id"], int) for e in events):
            events = _fill_sorted(events)
        for event in events:
            event["timestamp"] = RECORDED_TIME
        if history_reverse_order(case):
            events.reverse()
        actual["history"] = events
    return actual


def _check(case: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    return compare_case(case, actual)


# ---------------------------------------------------------------------------------------------
# Interleaving Map iterations differently (the recorded histories run them one after another).
# ---------------------------------------------------------------------------------------------


@dataclass
class _Region:
    opener: dict[str, Any]
    blocks: list[list[Any]] = field(default_factory=list)


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {})


def _parse_blocks(events: list[dict[str, Any]]) -> list[Any]:
    """The recorded (sequential) history as nested items: events, and Map regions of blocks."""
    position = 0

    def sequence(stop: Callable[[dict[str, Any]], bool]) -> list[Any]:
        nonlocal position
        items: list[Any] = []
        while position < len(events) and not stop(events[position]):
            event = events[position]
            position += 1
            items.append(event)
            if event["type"] != "MapStateStarted":
                continue
            region = _Region(event)
            while position < len(events) and events[position]["type"] == "MapIterationStarted":
                start = events[position]
                position += 1
                key = (_details(start)["index"], _details(start)["name"])
                body = sequence(
                    lambda e, key=key: (
                        e["type"] in ITERATION_CLOSERS
                        and (_details(e).get("index"), _details(e).get("name")) == key
                    )
                )
                block = [start, *body]
                if position < len(events):
                    block.append(events[position])
                    position += 1
                region.blocks.append(block)
            items.append(region)
        return items

    return sequence(lambda _e: False)


@dataclass
class _Placement:
    lane: Any  # the block (iteration) an event belongs to, or "root"
    chain: list[tuple[int, int]]  # (region, block) pairs from the outermost inwards


def _place(
    items: list[Any], lane: Any, chain: list[tuple[int, int]], out: dict[int, _Placement]
) -> None:
    for item in items:
        if isinstance(item, _Region):
            for block in item.blocks:
                _place(block, id(block), [*chain, (id(item), id(block))], out)
        else:
            out[id(item)] = _Placement(lane, chain)


def _merge(items: list[Any], rng: random.Random) -> list[dict[str, Any]]:
    """The events in a random order that keeps each iteration's own order."""
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, _Region):
            out.append(item)
            continue
        pending = [_merge(block, rng) for block in item.blocks]
        while any(pending):
            out.append(rng.choice([p for p in pending if p]).pop(0))
    return out


def _openers(items: list[Any], out: dict[int, dict[str, Any]]) -> None:
    for item in items:
        if isinstance(item, _Region):
            out[id(item)] = item.opener
            for block in item.blocks:
                _openers(block, out)


def _crossed_region(event: _Placement, target: _Placement) -> int:
    """The region whose iterations separate two events of different iterations."""
    for mine, theirs in zip(event.chain, target.chain, strict=False):
        if mine != theirs:
            return mine[0]  # the same region (different blocks) or the outer one of ``event``
    longer = event.chain if len(event.chain) > len(target.chain) else target.chain
    return longer[min(len(event.chain), len(target.chain))][0]


def interleaved(case: dict[str, Any], seed: int) -> dict[str, Any]:
    """The case's actual run with its Map iterations interleaved at random.

    Ids are renumbered. A previousEventId to an event of the same iteration follows that
    event; one that crosses iterations (an iteration's start, a Map's end) points to the latest
    earlier event of that Map state or to its opener, which the comparer's documented rule allows.
    """
    actual = actual_from_expected(case)
    events = actual["history"]
    items = _parse_blocks(events)
    placement: dict[int, _Placement] = {}
    _place(items, "root", [], placement)
    openers: dict[int, dict[str, Any]] = {}
    _openers(items, openers)
    order = _merge(items, random.Random(seed))
    if all(a is b for a, b in zip(order, events, strict=True)):
        return actual  # the recorded order: its ids and previousEventIds stay AWS's
    by_id = {e["id"]: e for e in events}
    new_id = {id(e): n + 1 for n, e in enumerate(order)}
    result = []
    for n, event in enumerate(order):
        moved = dict(event, id=n + 1)
        if event["previousEventId"]:
            target = by_id[event["previousEventId"]]
            mine, theirs = placement[id(event)], placement[id(target)]
            if mine.lane == theirs.lane and event["type"] != "MapIterationStarted":
                moved["previousEventId"] = new_id[id(target)]
            else:
                region = _crossed_region(mine, theirs)
                inside = [
                    e
                    for e in order[:n]
                    if e is openers[region] or any(r == region for r, _ in placement[id(e)].chain)
                ]
                moved["previousEventId"] = new_id[id(inside[-1])]
        result.append(moved)
    actual["history"] = result
    return actual


MAP_CASES = [
    c
    for c in CASES
    if _has_history(c)
    and not _sorted_history(c)
    and not history_reverse_order(c)
    and sum(e["type"] == "MapIterationStarted" for e in c["expected"]["history"]) >= 2
]
SORTED_CASES = [c for c in CASES if _sorted_history(c)]


# ---------------------------------------------------------------------------------------------
# Every recorded result compares equal to itself.
# ---------------------------------------------------------------------------------------------


def test_every_recorded_result_matches_itself() -> None:
    failures = {}
    for case in CASES:
        mismatches = _check(case, actual_from_expected(case))
        if mismatches:
            failures[case["name"]] = format_mismatches(mismatches, limit=5)
    assert not failures, "\n".join(f"{name}:\n{text}" for name, text in list(failures.items())[:10])


def _parsed_event_text(case: dict[str, Any]) -> bool:
    """Whether the recording parsed non-object input/output text (a test's own transformer)."""
    return any(
        not isinstance(details.get(name, ""), str | dict)
        for event in case["expected"].get("history") or []
        for details in event.values()
        if isinstance(details, dict)
        for name in ("input", "output")
    )


def test_normalisation_reproduces_the_recording() -> None:
    """For cases without wildcards the normalised run *is* the recorded result."""
    exact = 0
    for case in CASES:
        if case["kind"] == "api_error" or _sorted_history(case):
            continue
        text = json.dumps(case["expected"])
        if NUMBERED.search(text) or any(
            t["type"] != "regex" for t in case["compare"]["transformers"]
        ):
            continue
        if any(t["pattern"].startswith("${") for t in case["compare"]["transformers"]):
            continue
        if case["compare"]["placeholder_tokens_in_expected"] or _parsed_event_text(case):
            continue
        expected = {k: v for k, v in case["expected"].items() if k != "history_event_types"}
        normalised = normalise_actual(case, actual_from_expected(case))
        if "output_raw" not in expected:
            normalised.pop("output_raw", None)
        assert normalised == expected, case["name"]
        exact += 1
    assert exact >= 850  # the filter above must leave most of the corpus in


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(MAP_CASES), seed=st.integers(0, 2**32 - 1))
def test_map_iterations_may_interleave(case: dict[str, Any], seed: int) -> None:
    actual = interleaved(case, seed)
    mismatches = _check(case, actual)
    assert not mismatches, format_mismatches(mismatches)


@settings(max_examples=30, deadline=None)
@given(case=st.sampled_from(SORTED_CASES), data=st.data())
def test_sorted_parallel_branches_match_in_any_order(
    case: dict[str, Any], data: st.DataObject
) -> None:
    actual = actual_from_expected(case)
    events = actual["history"]
    anchors = {e["id"] for e in case["expected"]["history"] if isinstance(e["id"], int)}
    spans: list[list[int]] = [[]]
    for position, event in enumerate(events):
        if event["id"] in anchors:
            spans.append([])
        else:
            spans[-1].append(position)
    for span in spans:
        shuffled = data.draw(st.permutations([events[p] for p in span]))
        for position, event in zip(span, shuffled, strict=True):
            events[position] = dict(event, id=position + 1, previousEventId=position)
    assert _check(case, actual) == []


# ---------------------------------------------------------------------------------------------
# Mutations are detected.
# ---------------------------------------------------------------------------------------------


def _renumber(events: list[dict[str, Any]], removed: int) -> list[dict[str, Any]]:
    out = []
    for event in events:
        event = dict(event)
        if event["id"] > removed:
            event["id"] -= 1
        if event["previousEventId"] >= removed:
            event["previousEventId"] = max(0, event["previousEventId"] - 1)
        out.append(event)
    return out


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "~mutated"
    return "mutated"


def _wildcard_free(case: dict[str, Any], value: Any) -> bool:
    """Whether a recorded value is compared literally (no wildcard, no token, not skipped)."""
    replacements = {t.get("replacement") for t in case["compare"]["transformers"]}
    text = json.dumps(value)
    return (
        not case["compare"]["skip_snapshot_verify_paths"]
        and not case["compare"]["placeholder_tokens_in_expected"]
        and not NUMBERED.search(text)
        and not any(isinstance(r, str) and r in text for r in replacements)
        and "stackTrace" not in text
        and "date" not in text
    )


OUTPUT_CASES = [
    c
    for c in CASES
    if c["kind"] in ("execution", "sync_execution")
    and isinstance(c["expected"].get("output"), dict)
    and "output_raw" not in c["expected"]
    and _wildcard_free(c, c["expected"]["output"])
    and _leaves(c["expected"]["output"])
    and _leaves(c["expected"]["output"])[0]
]
RUN_CASES = [c for c in CASES if c["kind"] != "api_error"]
CAUSE_CASES = [
    c
    for c in RUN_CASES
    if isinstance(c["expected"].get("cause"), str) and _wildcard_free(c, c["expected"]["cause"])
]
HISTORY_CASES = [
    c
    for c in CASES
    if _has_history(c)
    and not _sorted_history(c)
    and not history_reverse_order(c)
    and not any("events" in p for p in c["compare"]["skip_snapshot_verify_paths"])
]


@settings(max_examples=40, deadline=None)
@given(
    case=st.sampled_from(RUN_CASES),
    status=st.sampled_from(["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]),
)
def test_a_different_status_is_detected(case: dict[str, Any], status: str) -> None:
    actual = actual_from_expected(case)
    actual["status"] = status
    assert (_check(case, actual) == []) == (status == case["expected"]["status"])


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(OUTPUT_CASES), data=st.data())
def test_a_changed_output_value_is_detected(case: dict[str, Any], data: st.DataObject) -> None:
    actual = actual_from_expected(case)
    output = json.loads(actual["output_raw"])
    leaves = [p for p in _leaves(output) if not any("timestamp" in str(k).lower() for k in p)]
    if not leaves:
        return
    path = data.draw(st.sampled_from(leaves))
    _set(output, path, _changed(_get(output, path)))
    actual["output_raw"] = json.dumps(output, separators=(",", ":"))
    mismatches = _check(case, actual)
    assert any("output" in m for m in mismatches), path


@settings(max_examples=40, deadline=None)
@given(
    case=st.sampled_from(
        [
            c
            for c in RUN_CASES
            if "error" in c["expected"] and _wildcard_free(c, c["expected"]["error"])
        ]
    )
)
def test_a_changed_error_is_detected(case: dict[str, Any]) -> None:
    actual = actual_from_expected(case)
    actual["error"] = actual["error"] + "X"
    assert any(".error" in m for m in _check(case, actual))


@settings(max_examples=40, deadline=None)
@given(case=st.sampled_from(CAUSE_CASES))
def test_a_changed_cause_is_detected(case: dict[str, Any]) -> None:
    actual = actual_from_expected(case)
    actual["cause"] = actual["cause"] + " (and more)"
    assert any(".cause" in m for m in _check(case, actual))


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(HISTORY_CASES), data=st.data())
def test_a_dropped_event_is_detected(case: dict[str, Any], data: st.DataObject) -> None:
    actual = actual_from_expected(case)
    events = actual["history"]
    position = data.draw(st.integers(0, len(events) - 1))
    removed = events.pop(position)["id"]
    actual["history"] = _renumber(events, removed)
    assert _check(case, actual)


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(HISTORY_CASES), data=st.data())
def test_swapped_events_of_one_branch_are_detected(
    case: dict[str, Any], data: st.DataObject
) -> None:
    actual = actual_from_expected(case)
    if _swap_chained(actual, data):
        assert _check(case, actual)


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(HISTORY_CASES), data=st.data())
def test_a_changed_event_detail_is_detected(case: dict[str, Any], data: st.DataObject) -> None:
    actual = actual_from_expected(case)
    candidates = [
        (position, key, name)
        for position, event in enumerate(case["expected"]["history"])
        for key, details in event.items()
        if key.endswith("EventDetails") and isinstance(details, dict)
        for name, value in details.items()
        if isinstance(value, str | int | bool)
        and not isinstance(value, bool)
        and _wildcard_free(case, value)
        and name not in ("input", "output", "cause", "roleArn")
    ]
    if not candidates:
        return
    position, key, name = data.draw(st.sampled_from(candidates))
    details = dict(actual["history"][position][key])
    details[name] = _changed(details[name])
    actual["history"][position] = dict(actual["history"][position], **{key: details})
    assert _check(case, actual)


@settings(max_examples=40, deadline=None)
@given(
    case=st.sampled_from(
        [
            c
            for c in HISTORY_CASES
            if not any("previousEventId" in p for p in c["compare"]["skip_snapshot_verify_paths"])
        ]
    ),
    data=st.data(),
)
def test_a_wrong_previous_event_id_is_detected(case: dict[str, Any], data: st.DataObject) -> None:
    actual = actual_from_expected(case)
    events = actual["history"]
    chained = [i for i, e in enumerate(events) if e["previousEventId"] > 1]
    if not chained:
        return
    i = data.draw(st.sampled_from(chained))
    events[i] = dict(events[i], previousEventId=events[i]["previousEventId"] - 1)
    assert _check(case, actual)


def _swap_chained(actual: dict[str, Any], data: st.DataObject) -> bool:
    """Swap an event with the event it points to (same branch), renumbering ids by position."""
    events = actual["history"]
    position = {e["id"]: n for n, e in enumerate(events)}
    pairs = [
        (position[e["previousEventId"]], j)
        for j, e in enumerate(events)
        if e["previousEventId"] in position
        and e["type"] not in ("MapIterationStarted", *ITERATION_CLOSERS)
        and events[position[e["previousEventId"]]]["type"] != e["type"]
    ]
    if not pairs:
        return False
    i, j = data.draw(st.sampled_from(pairs))
    first, second = events[i], events[j]
    events[i], events[j] = second, first
    new_id = {id(e): n + 1 for n, e in enumerate(events)}
    old = {e["id"]: e for e in events}
    result = []
    for n, event in enumerate(events):
        if event is second:
            prev = new_id[id(old[first["previousEventId"]])] if first["previousEventId"] else 0
        elif event is first:
            prev = new_id[id(second)]
        else:
            prev = new_id[id(old[event["previousEventId"]])] if event["previousEventId"] else 0
        result.append(dict(event, id=n + 1, previousEventId=prev))
    actual["history"] = result
    return True


@settings(max_examples=30, deadline=None)
@given(case=st.sampled_from(MAP_CASES), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_breaking_an_iterations_own_order_is_detected(
    case: dict[str, Any], seed: int, data: st.DataObject
) -> None:
    actual = interleaved(case, seed)
    if _swap_chained(actual, data):
        assert _check(case, actual)


def test_non_contiguous_ids_are_detected() -> None:
    case = HISTORY_CASES[0]
    actual = actual_from_expected(case)
    actual["history"][-1] = dict(actual["history"][-1], id=actual["history"][-1]["id"] + 1)
    assert any("contiguous" in m for m in _check(case, actual))


# ---------------------------------------------------------------------------------------------
# The README rules, one by one, on small synthetic cases.
# ---------------------------------------------------------------------------------------------


def _case(expected: dict[str, Any], **compare: Any) -> dict[str, Any]:
    return {
        "name": "synthetic",
        "kind": "execution",
        "expected": expected,
        "compare": {
            "transformers": compare.get("transformers", []),
            "placeholder_tokens_in_expected": compare.get("placeholders", []),
            "skip_snapshot_verify_paths": compare.get("skip", []),
        },
        "run_context": {"account": "111111111111", "region": "us-east-1"},
    }


def _run(output: Any = None, *, raw: str | None = None, **extra: Any) -> dict[str, Any]:
    text = raw if raw is not None else json.dumps(output, separators=(",", ":"))
    return {"status": "SUCCEEDED", "output_raw": text, **extra}


def test_uuids_under_id_keys_compare_as_a_bijection() -> None:
    case = _case({"status": "SUCCEEDED", "output": {"RequestId": "<uuid:7>", "Echo": "<uuid:7>"}})
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    assert compare_case(case, _run({"RequestId": one, "Echo": one})) == []
    assert compare_case(case, _run({"RequestId": one, "Echo": two}))
    case = _case({"status": "SUCCEEDED", "output": {"AId": "<uuid:1>", "BId": "<uuid:2>"}})
    assert compare_case(case, _run({"AId": one, "BId": two})) == []
    assert compare_case(case, _run({"AId": one, "BId": one}))


def test_iso_date_times_with_a_valid_date_and_zone_become_date() -> None:
    case = _case(
        {
            "status": "SUCCEEDED",
            "output": {"a": "date", "b": "2016-12-05T25:29:29Z", "c": "at date"},
        }
    )
    good = {
        "a": "2024-02-29T23:59:59.123+00:00",
        "b": "2016-12-05T25:29:29Z",
        "c": "at 2020-01-01T00:00:00Z",
    }
    assert compare_case(case, _run(good)) == []
    assert compare_case(case, _run(dict(good, a="2023-02-29T23:59:59Z")))  # no 29 Feb in 2023
    assert compare_case(case, _run(dict(good, a="2024-02-28T23:59:59")))  # no zone designator


def test_non_iso_timestamps_become_timestamp() -> None:
    case = _case({"status": "SUCCEEDED", "output": {"EventTimestamp": "timestamp", "Other": 5}})
    assert compare_case(case, _run({"EventTimestamp": 1709720954, "Other": 5})) == []
    assert compare_case(case, _run({"EventTimestamp": "2024-03-06T10:29:14Z", "Other": 5}))


def test_account_region_and_partition_are_normalised() -> None:
    expected_arn = "arn:<partition>:states:<region>:111111111111:stateMachine:m"
    case = _case({"status": "SUCCEEDED", "output": {"arn": expected_arn}})
    case["run_context"] = {"account": "123456789012", "region": "eu-west-1"}
    assert (
        compare_case(case, _run({"arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:m"}))
        == []
    )


def test_case_regex_transformers_apply_to_the_serialised_json() -> None:
    transformers = [
        {
            "type": "regex",
            "pattern": "Request ID: [a-zA-Z0-9-]+",
            "replacement": "Request ID: <request_id>",
        }
    ]
    case = _case(
        {"status": "SUCCEEDED", "output": {"Cause": "boom (Request ID: <request_id>)"}},
        transformers=transformers,
    )
    assert compare_case(case, _run({"Cause": "boom (Request ID: 1a-2b)"})) == []
    assert compare_case(case, _run({"Cause": "bang (Request ID: 1a-2b)"}))


def test_jsonpath_and_key_value_replacements_match_anything() -> None:
    transformers = [
        {
            "type": "jsonpath",
            "jsonpath": "$..TaskToken",
            "replacement": "a_task_token",
            "replace_reference": False,
        },
        {
            "type": "key_value",
            "key": "QueueUrl",
            "replacement": "QueueUrl",
            "replace_reference": True,
        },
    ]
    case = _case(
        {
            "status": "SUCCEEDED",
            "output": {
                "TaskToken": "a_task_token",
                "QueueUrl": "<QueueUrl:1>",
                "Url": "<QueueUrl:1>",
            },
        },
        transformers=transformers,
    )
    run = {"TaskToken": 42, "QueueUrl": "https://q/1", "Url": "https://q/1"}
    assert compare_case(case, _run(run)) == []
    assert compare_case(case, _run(dict(run, Url="https://q/2")))  # the same token, two values
    assert compare_case(
        case, _run({"QueueUrl": "https://q/1", "Url": "https://q/1"})
    )  # key missing


def test_ref_regex_replacements_and_json_input_tokens_match_any_text() -> None:
    ref = "${ref:history:exec0:extract:$..output|json.X.pattern}"
    transformers = [{"type": "regex", "pattern": ref, "replacement": "generated-uuid"}]
    cause = "The JSONPath '$.x' could not be found in the input '<json-input:1>'"
    case = _case(
        {"status": "SUCCEEDED", "output": {"id": "generated-uuid", "cause": cause}},
        transformers=transformers,
    )
    run = {
        "id": "5d9b",
        "cause": "The JSONPath '$.x' could not be found in the input '{\"a\": [1]}'",
    }
    assert compare_case(case, _run(run)) == []
    assert compare_case(
        case, _run(dict(run, cause="The JSONPath '$.y' could not be found in the input '{}'"))
    )


def test_lambda_stack_traces_are_compared_by_presence_only() -> None:
    def error(trace: list[str] | None) -> str:
        doc: dict[str, Any] = {"errorMessage": "boom", "errorType": "Exception", "requestId": "r"}
        if trace is not None:
            doc["stackTrace"] = trace
        return json.dumps(doc, separators=(",", ":"))

    recorded = error(['  File "/var/task/handler.py", line 2, in handler\n'])
    nested = json.dumps({"Error": "Exception", "Cause": recorded}, separators=(",", ":"))
    case = _case({"status": "SUCCEEDED", "output": {"Cause": recorded, "Nested": nested}})
    ours = error(['  File "/home/me/handler.py", line 9, in h\n', "more\n"])
    ours_nested = json.dumps({"Error": "Exception", "Cause": ours}, separators=(",", ":"))
    assert compare_case(case, _run({"Cause": ours, "Nested": ours_nested})) == []
    assert compare_case(case, _run({"Cause": error(None), "Nested": ours_nested}))
    spaced = json.dumps(json.loads(ours))  # same document, other formatting: AWS's text differs
    assert compare_case(case, _run({"Cause": spaced, "Nested": ours_nested}))


def test_skip_snapshot_verify_paths_are_not_compared() -> None:
    history = [
        {
            "id": 1,
            "previousEventId": 0,
            "type": "ExecutionStarted",
            "executionStartedEventDetails": {"input": {}},
        },
        {
            "id": 2,
            "previousEventId": 0,
            "type": "PassStateEntered",
            "stateEnteredEventDetails": {"name": "P", "input": {}},
        },
        {
            "id": 3,
            "previousEventId": 2,
            "type": "ExecutionSucceeded",
            "executionSucceededEventDetails": {"output": {}},
        },
    ]
    case = _case(
        {"status": "SUCCEEDED", "output": {"a": 1, "Cause": "x"}, "history": history},
        skip=["$..events[1].previousEventId", "$..Cause"],
    )
    events = copy.deepcopy(history)
    for event in events:
        for details in event.values():
            if isinstance(details, dict):
                for key in ("input", "output"):
                    if key in details:
                        details[key] = "{}"
    events[1]["previousEventId"] = 1
    assert compare_case(case, _run({"a": 1, "Cause": "other"}, history=events)) == []
    events[2]["previousEventId"] = 1
    assert compare_case(case, _run({"a": 1, "Cause": "other"}, history=events))


def test_output_text_is_compared_exactly_when_it_is_not_an_object() -> None:
    case = _case({"status": "SUCCEEDED", "output": [1, 2], "output_raw": "[1,2]"})
    assert compare_case(case, _run(raw="[1,2]")) == []
    assert compare_case(case, _run(raw="[1, 2]"))
    assert compare_case(case, _run(raw="[1.0,2]"))


def test_numbers_and_booleans_keep_their_json_type() -> None:
    case = _case({"status": "SUCCEEDED", "output": {"a": 1, "b": True}})
    assert compare_case(case, _run({"a": 1, "b": True})) == []
    assert compare_case(case, _run({"a": 1.0, "b": True}))
    assert compare_case(case, _run({"a": 1, "b": 1}))


def test_unreported_placeholders_are_reported() -> None:
    transformers = [
        {"type": "regex", "pattern": "${s3_create_bucket#1.pattern}", "replacement": "bucket-name"}
    ]
    case = _case(
        {"status": "SUCCEEDED", "output": {"Bucket": "bucket-name"}}, transformers=transformers
    )
    assert (
        compare_case(
            case, _run({"Bucket": "b-123"}, placeholders={"${s3_create_bucket#1}": "b-123"})
        )
        == []
    )
    assert any("placeholder" in m for m in compare_case(case, _run({"Bucket": "b-123"})))


def test_wall_clock_dependent_values_may_be_recomputed() -> None:
    transformers = [
        {"type": "regex", "pattern": "2094-12-14T14:21:30.000Z", "replacement": "<timestamp>"}
    ]
    case = _case(
        {"status": "SUCCEEDED", "output": {"start_at": "<timestamp>"}}, transformers=transformers
    )
    later = {"start_at": "2095-01-02T03:04:05.000Z"}
    assert compare_case(case, _run(later))  # a recorded literal, normally compared exactly
    case["wall_clock_dependent"] = True
    assert compare_case(case, _run(later)) == []
    assert compare_case(case, _run({"start_at": "soon"}))


def test_reverse_order_histories_must_be_reversed() -> None:
    case = next(c for c in CASES if history_reverse_order(c))
    actual = actual_from_expected(case)
    assert compare_case(case, actual) == []
    actual["history"].reverse()
    assert any("reverse order" in m for m in compare_case(case, actual))


def test_sorted_parallel_tolerates_only_extra_parallel_events() -> None:
    case = next(c for c in SORTED_CASES if c["name"].endswith("test_parallel_state_order"))
    actual = actual_from_expected(case)
    assert compare_case(case, actual) == []
    events = actual["history"]
    dropped = next(i for i, e in enumerate(events) if e["type"] == "ParallelStateSucceeded")
    events[dropped] = dict(
        events[dropped],
        type="PassStateEntered",
        stateEnteredEventDetails={"name": "X", "input": "{}", "inputDetails": {"truncated": False}},
    )
    assert any("unexpected event" in m for m in compare_case(case, actual))
    actual = actual_from_expected(case)
    branch = next(i for i, e in enumerate(actual["history"]) if e["type"] == "PassStateExited")
    actual["history"][branch] = dict(actual["history"][branch], type="ParallelStateSucceeded")
    assert compare_case(case, actual)


@pytest.mark.parametrize(
    ("path", "location", "selected"),
    [
        ("$..redriveCount", ("describe_execution", "redriveCount"), True),
        ("$..events[4].previousEventId", ("h", "events", 4, "previousEventId"), True),
        ("$..events[4].previousEventId", ("h", "events", 3, "previousEventId"), False),
        (
            "$..events..stateEnteredEventDetails.input",
            ("h", "events", 2, "stateEnteredEventDetails", "input"),
            True,
        ),
        ("$..output.Cause", ("d", "output", "Cause"), True),
        ("$..output.Cause", ("d", "output", "x", "Cause"), False),
        ("$..SdkHttpMetadata", ("d", "output", "SdkHttpMetadata", "HttpHeaders", "Date"), True),
    ],
)
def test_skip_paths_select_what_jsonpath_selects(
    path: str, location: tuple[Any, ...], selected: bool
) -> None:
    case = _case({"status": "SUCCEEDED"}, skip=[path])
    assert _CaseRules.of(case, {}).skipped(location) is selected


def _event(event_id: int, prev: int, kind: str, **details: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"id": event_id, "previousEventId": prev, "type": kind}
    if kind.endswith("StateEntered"):
        event["stateEnteredEventDetails"] = {"name": details["name"], "input": "{}"}
    elif kind.endswith("StateExited"):
        event["stateExitedEventDetails"] = {"name": details["name"], "output": "{}"}
    elif kind.startswith("MapIteration"):
        key = kind[0].lower() + kind[1:] + "EventDetails"
        event[key] = {"index": details["index"], "name": details["name"]}
    return event


def _recorded(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    recorded = copy.deepcopy(events)
    for event in recorded:
        for details in event.values():
            if isinstance(details, dict):
                for key in ("input", "output"):
                    if key in details:
                        details[key] = {}
    return recorded


# Two branches run one after the other, as AWS records them when it does not interleave.
PARALLEL = [
    _event(1, 0, "ExecutionStarted"),
    _event(2, 0, "ParallelStateEntered", name="P"),
    _event(3, 2, "ParallelStateStarted"),
    _event(4, 3, "PassStateEntered", name="A1"),
    _event(5, 4, "PassStateExited", name="A1"),
    _event(6, 3, "PassStateEntered", name="B1"),
    _event(7, 6, "PassStateExited", name="B1"),
    _event(8, 7, "ParallelStateSucceeded"),
    _event(9, 7, "ParallelStateExited", name="P"),
    _event(10, 9, "ExecutionSucceeded"),
]


def test_parallel_branches_compare_as_a_multiset() -> None:
    case = _case({"status": "SUCCEEDED", "output": {}, "history": _recorded(PARALLEL)})
    branch_b_first = [
        _event(1, 0, "ExecutionStarted"),
        _event(2, 0, "ParallelStateEntered", name="P"),
        _event(3, 2, "ParallelStateStarted"),
        _event(4, 3, "PassStateEntered", name="B1"),
        _event(5, 3, "PassStateEntered", name="A1"),
        _event(6, 4, "PassStateExited", name="B1"),
        _event(7, 5, "PassStateExited", name="A1"),
        _event(8, 7, "ParallelStateSucceeded"),
        _event(9, 7, "ParallelStateExited", name="P"),
        _event(10, 9, "ExecutionSucceeded"),
    ]
    assert compare_case(case, _run({}, history=PARALLEL)) == []
    assert compare_case(case, _run({}, history=branch_b_first)) == []
    # A branch's own order is kept: B1 cannot exit before it is entered.
    swapped = copy.deepcopy(branch_b_first)
    swapped[3], swapped[5] = (
        dict(swapped[5], id=4, previousEventId=3),
        dict(swapped[3], id=6, previousEventId=4),
    )
    assert compare_case(case, _run({}, history=swapped))
    # Within a branch the pointer is forced: A1's exit must point at A1's entry.
    wrong = copy.deepcopy(branch_b_first)
    wrong[6]["previousEventId"] = 4
    assert compare_case(case, _run({}, history=wrong))
    # A region's closer must point into the region, not before it.
    outside = copy.deepcopy(branch_b_first)
    outside[7]["previousEventId"] = 2
    assert any("outside" in m for m in compare_case(case, _run({}, history=outside)))


def test_the_recorded_order_keeps_awss_previous_event_ids() -> None:
    case = _case({"status": "SUCCEEDED", "output": {}, "history": _recorded(PARALLEL)})
    other = copy.deepcopy(PARALLEL)
    other[8]["previousEventId"] = 8  # the Exited after the Succeeded: possible, not AWS's
    assert any("previousEventId" in m for m in compare_case(case, _run({}, history=other)))
