"""Compare an actual run of a conformance case with what real AWS recorded.

The cases (``cases/<group>/<case>.json``, see ``CASES_README.md``) hold AWS's results *after* the
recording harness normalised them. This module does two things:

``normalise_actual(case, actual)``
    applies the same normalisation to an actual result, so that it looks like ``case["expected"]``.
    It replays the recording harness step by step, because the order of the steps decides the
    outcome (a regex applied to the serialised JSON sees escaped text; a value replaced in place
    is invisible to later reference replacements; ...). The steps, in the order the harness ran
    them (README "How to compare", rules 1-4):

    0. every string value under an object key that starts with ``{`` and parses as JSON is
       replaced by the parsed document (the harness did this first; that is why ``input`` of an
       event is an object in ``expected`` but ``"[1]"`` stays a string). Strings inside a parsed
       document, and strings that are list items, stay strings;
    1. the Step Functions test fixture's own transformers (present in every recording, not
       listed in ``compare.transformers``): HTTP ``Date``/``X-Amzn-Trace-Id`` headers under
       ``SdkHttpMetadata`` and ``<json-input:N>`` for a JSON document quoted inside a ``cause``;
       then the case's ``compare.transformers`` in order (rule 1); then the map-run ARN parts,
       which the recording derived from the run itself (``<MapRunArnPart0_Nidx>``, ...);
    2. the account id, the region and ``arn:aws:`` (rule 3), UUIDs under keys ending in ``id``
       (``<uuid:N>``) and ISO-8601 date-times with a zone (``date``) (rules 2 and 4);
    3. values of keys containing ``timestamp`` that are not ISO date-times become ``timestamp``
       (rule 2).

    Replacements that work on the serialised JSON ("regex" and "reference" replacements) are
    collected in that order and applied last, to ``json.dumps`` of each section, exactly as the
    harness did.

``compare_case(case, actual)``
    returns human-readable mismatches (an empty list means the run conforms). Status, output,
    error and cause are compared exactly after normalisation; the history event by event, with
    the branches of Parallel states and the iterations of Map states compared as multisets that
    keep each branch's own order. Every tolerance is documented where it is implemented and
    cites the README rule that grants it.

Every tolerance, and the README rule behind it (each is also commented where it is coded):

* wildcards — the replacement of a ``jsonpath``/``key_value`` transformer matches any value; the
  replacement of a ``${ref:`` regex and ``<json-input:N>`` match any text (README "Three more
  marks"); placeholder tokens the replay cannot produce (the recording used transformers the
  case does not list, e.g. ``<resource:1>``) are wildcards too (README "or treat these tokens as
  wildcards"). Numbered tokens (``<uuid:3>``, ``<task_token:1>``, ...) were numbered over the
  whole recorded test, so they are compared as a bijection (same token, same value; different
  tokens, different values), and ``<uuid:N>`` also accepts a raw UUID there;
* a Lambda error document's ``stackTrace`` is compared by presence only (README);
* ``skip_snapshot_verify_paths`` are not compared (README);
* Parallel branches and Map iterations may interleave: they are compared as a multiset that
  keeps each branch's own order (README). Ids and previousEventIds are then compared exactly if
  the run interleaved as AWS did, and structurally otherwise (``_compare_previous_ids``);
* ``sfn_parallel_events_sort``: sorted branch events as a multiset between the events that kept
  their ids; extra ``Parallel*`` events allowed (README);
* ``wall_clock_dependent``: a transformer that names a literal date-time matches any date-time
  (README "compare loosely"); everything else is exact;
* recording artefacts, not tolerances of behaviour: an event's input/output that the recording
  parsed from non-object JSON text is compared as a value (``_json_text_field``); an api_error's
  recorded ``str(ClientError)`` is compared without botocore's prefix.

The shape of ``actual`` (what ``runner.run_case`` returns) is documented on ``compare_case``.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "compare_case",
    "format_mismatches",
    "history_reverse_order",
    "normalise_actual",
]

JSONish = Any

# --------------------------------------------------------------------------------------------
# Patterns the recording harness used (facts about how ``expected`` was produced).
# --------------------------------------------------------------------------------------------

# A UUID at the *start* of a value under a key ending in "id" marks the whole value (README 2).
_UUID_PREFIX = re.compile(
    r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}"
)
_UUID_TEXT = r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}"

# An ISO-8601 date-time *with a zone designator* and a valid calendar date (README 4). The
# recording validated day-of-month and leap years and hours 00-23, which is why an invalid
# "2016-12-05T25:29:29Z" survives in the recorded causes: this pattern must reject it too.
_MONTH_DAY = (
    r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"  # any month, days 01-28
    r"|(?:0[13-9]|1[0-2])-(?:29|30)"  # months with a 29th and 30th
    r"|(?:0[13578]|1[02])-31)"  # months with a 31st
)
_LEAP_DAY = (
    r"(?:[1-9]\d(?:0[48]|[2468][048]|[13579][26])"  # leap years not ending in 00
    r"|(?:[2468][048]|[13579][26])00)-02-29"  # leap centuries
)
_ISO_DATETIME = re.compile(
    r"(?:[1-9]\d{3}-" + _MONTH_DAY + r"|" + _LEAP_DAY + r")"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?"
    r"(?:Z|[+-][01]\d:?(?:[0-5]\d)?)"
)
# Keys whose non-ISO values the harness replaced by "timestamp" (README 2).
_TIMESTAMP_KEY = re.compile(r"^.*timestamp.*$", re.IGNORECASE)
_TIMESTAMP_EXTRA_KEYS = frozenset({"creationTime", "ingestionTime"})

# A JSON document quoted inside a ``cause`` ("... could not be found in the input '{...}'").
_QUOTED_JSON_IN_CAUSE = re.compile(r".*'({.*})'")

# Any date-time-looking text, used only for wall-clock-dependent cases (see _CaseRules).
_LOOSE_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}(?::?\d{2})?)?"

# Reference tokens the harness numbered by first appearance: <uuid:3>, <task_token:1>, ...
_NUMBERED_TOKEN = re.compile(r"<([A-Za-z][\w.\-]*):(\d+)>")

# Tokens produced by the default normalisation (never wildcards: we reproduce them exactly).
_DEFAULT_TOKENS = frozenset({"111111111111", "<partition>", "<region>", "date", "date(embedded)"})

_DEFAULT_ACCOUNT = "111111111111"
_DEFAULT_REGION = "us-east-1"

_PARALLEL_CLOSERS = frozenset(
    {"ParallelStateSucceeded", "ParallelStateFailed", "ParallelStateAborted"}
)
_MAP_CLOSERS = frozenset({"MapStateSucceeded", "MapStateFailed", "MapStateAborted"})
_ITERATION_CLOSERS = frozenset(
    {"MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"}
)

# The sections of the recorded snapshot, by case kind. The section names matter only for
# skip paths and JSONPath transformers, which all start with "$.." in the corpus.
_SECTION = {
    "execution": "describe_execution",
    "sync_execution": "start_sync_execution",
    "test_state": "test_state",
    "api_error": "api_error",
}
_HISTORY_SECTION = "get_execution_history"


# --------------------------------------------------------------------------------------------
# The JSONPath subset used by skip_snapshot_verify_paths and jsonpath transformers.
# --------------------------------------------------------------------------------------------

_ANY_INDEX = -1
_STEP = re.compile(r"(\.\.|\.)([^.\[\]]+)|\[(\d+|\*)\]")


@dataclass(frozen=True, slots=True)
class _Step:
    descend: bool  # ".." (any depth, including the current node's children) or "." / "[i]"
    key: str | int  # a field name, a list index, or _ANY_INDEX for "[*]"


@dataclass(frozen=True, slots=True)
class _JsonPath:
    """A compiled ``$..a.b[3]``-style path (the subset the corpus uses)."""

    text: str
    steps: tuple[_Step, ...]

    @classmethod
    def parse(cls, text: str) -> _JsonPath:
        if not text.startswith("$"):
            raise ValueError(f"unsupported JSONPath {text!r}")
        steps: list[_Step] = []
        pos = 1
        while pos < len(text):
            m = _STEP.match(text, pos)
            if m is None:
                raise ValueError(f"unsupported JSONPath {text!r}")
            if m.group(1):
                steps.append(_Step(descend=m.group(1) == "..", key=m.group(2)))
            else:
                index = m.group(3)
                steps.append(_Step(False, _ANY_INDEX if index == "*" else int(index)))
            pos = m.end()
        return cls(text, tuple(steps))

    def matches(self, path: Sequence[str | int], *, prefix: bool = False) -> bool:
        """Whether ``path`` (keys and indices from the document root) is selected.

        With ``prefix``, also true when an ancestor of ``path`` is selected (a skipped node
        takes its whole subtree with it).
        """
        return self._match(0, path, 0, prefix)

    def _match(self, i: int, path: Sequence[str | int], j: int, prefix: bool) -> bool:
        if i == len(self.steps):
            return prefix or j == len(path)
        step = self.steps[i]
        if step.descend:
            return any(
                _key_matches(step.key, path[k]) and self._match(i + 1, path, k + 1, prefix)
                for k in range(j, len(path))
            )
        return (
            j < len(path)
            and _key_matches(step.key, path[j])
            and self._match(i + 1, path, j + 1, prefix)
        )

    def locate(self, doc: JSONish) -> list[tuple[JSONish, str | int]]:
        """(container, key) of every node the path selects."""
        found: list[tuple[JSONish, str | int]] = []
        self._locate(doc, 0, None, None, found)
        return found

    def _locate(
        self,
        node: JSONish,
        i: int,
        container: JSONish,
        key: str | int | None,
        found: list[tuple[JSONish, str | int]],
    ) -> None:
        if i == len(self.steps):
            if key is not None:
                found.append((container, key))
            return
        step = self.steps[i]
        children = _descendants(node) if step.descend else _children(node)
        for parent, child_key, child in children:
            if _key_matches(step.key, child_key):
                self._locate(child, i + 1, parent, child_key, found)

    @property
    def last_key(self) -> str | int | None:
        """The key the selected node has (None for "$")."""
        return self.steps[-1].key if self.steps else None

    @property
    def field_names(self) -> frozenset[str]:
        """Object keys that must all occur in a document for the path to select anything."""
        return frozenset(step.key for step in self.steps if isinstance(step.key, str))


def _object_keys(node: JSONish) -> set[str]:
    """Every object key that occurs anywhere in ``node``."""
    keys: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            keys.update(current)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return keys


def _children(node: JSONish) -> list[tuple[JSONish, str | int, JSONish]]:
    if isinstance(node, dict):
        return [(node, key, value) for key, value in node.items()]
    if isinstance(node, list):
        return [(node, index, value) for index, value in enumerate(node)]
    return []


def _descendants(node: JSONish) -> list[tuple[JSONish, str | int, JSONish]]:
    """Every (container, key, value) below ``node``, depth first, in document order."""
    out: list[tuple[JSONish, str | int, JSONish]] = []
    stack = list(reversed(_children(node)))
    while stack:
        entry = stack.pop()
        out.append(entry)
        stack.extend(reversed(_children(entry[2])))
    return out


def _key_matches(step_key: str | int, key: str | int) -> bool:
    if isinstance(step_key, str):
        return isinstance(key, str) and key == step_key
    if step_key == _ANY_INDEX:
        return isinstance(key, int)
    return isinstance(key, int) and key == step_key


def _walk(
    node: JSONish, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], JSONish, str | int]]:
    if isinstance(node, dict):
        for key in list(node):
            sub = (*path, key)
            yield sub, node, key
            yield from _walk(node[key], sub)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            sub = (*path, index)
            yield sub, node, index
            yield from _walk(item, sub)


# --------------------------------------------------------------------------------------------
# Normalisation: a replay of the recording harness.
# --------------------------------------------------------------------------------------------


class _Replacements:
    """Replacements applied to the serialised JSON, in registration order."""

    def __init__(self) -> None:
        self.functions: list[Callable[[str], str]] = []
        self._referenced: set[str] = set()
        self._counters: dict[str, int] = {}

    def regex(self, pattern: re.Pattern[str], replacement: str) -> None:
        self.functions.append(lambda text: pattern.sub(lambda _m: replacement, text))

    def reference(self, value: JSONish, name: str) -> None:
        """Replace every occurrence of ``value`` by ``<name:N>``, N counted per name.

        A value is registered once, whichever transformer meets it first (the harness kept one
        cache for all reference replacements). Only strings can be referenced.
        """
        if not isinstance(value, str):
            return
        if '"' in value:
            # The replacement runs on the serialised JSON, where quotes are escaped.
            value = value.replace('"', '\\"')
        if value in self._referenced:
            return
        self._referenced.add(value)
        number = self._counters.get(name, 1)
        self._counters[name] = number + 1
        token = f"<{name}:{number}>"
        self.functions.append(lambda text: text.replace(value, token))

    def apply(self, text: str) -> str:
        for function in self.functions:
            text = function(text)
        return text


def _sorted_keys(node: JSONish) -> JSONish:
    # The harness sorted object keys before anything else; the order decides how <uuid:N>
    # tokens are numbered (we compare those numbers as a bijection, so this is for fidelity).
    if isinstance(node, dict):
        return {key: _sorted_keys(node[key]) for key in sorted(node)}
    if isinstance(node, list):
        return [_sorted_keys(item) for item in node]
    return node


def _parse_json_values(node: dict[str, JSONish]) -> None:
    """Step 0: parse string values under object keys that start with ``{``.

    Recurses into objects and into objects that are list items; does not recurse into the
    parsed documents, and leaves strings that are list items alone, as the harness did.
    """
    for key, value in node.items():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _parse_json_values(item)
        if isinstance(value, dict):
            _parse_json_values(value)
        if isinstance(value, str) and value.startswith("{"):
            with contextlib.suppress(ValueError):
                node[key] = json.loads(value)


def _key_value(
    node: dict[str, JSONish],
    match: Callable[[str, JSONish], str | None],
    on_match: Callable[[dict[str, JSONish], str, JSONish, str], None],
) -> None:
    """Visit key/value pairs as the harness's key-value transformer did.

    A matched value is not descended into; lists are searched only for object items.
    """
    for key, value in list(node.items()):
        found = match(key, value)
        if found is not None:
            on_match(node, key, value, found)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _key_value(item, match, on_match)
        elif isinstance(value, dict):
            _key_value(value, match, on_match)


def _json_input_in_cause(key: str, value: JSONish) -> str | None:
    if key != "cause" or not isinstance(value, str):
        return None
    m = _QUOTED_JSON_IN_CAUSE.match(value)
    if m is None:
        return None
    try:
        json.loads(m.group(1))
    except ValueError:
        return None
    return m.group(1)


def _uuid_under_id_key(key: str, value: JSONish) -> str | None:
    if isinstance(value, str) and key.lower().endswith("id") and _UUID_PREFIX.match(value):
        return value
    return None


def _non_iso_timestamp(key: str, value: JSONish) -> str | None:
    if (_TIMESTAMP_KEY.match(key) or key in _TIMESTAMP_EXTRA_KEYS) and not _ISO_DATETIME.match(
        _python_str(value)
    ):
        return _python_str(value)
    return None


def _python_str(value: JSONish) -> str:
    # The harness tested str(value) of the Python object; JSON literals print like Python's.
    return str(value)


# Fixed transformers of the Step Functions test fixture (present in every recording).
_SFN_HEADER_PATHS = (
    ("$..SdkHttpMetadata.AllHttpHeaders.Date", "date"),
    ("$..SdkHttpMetadata.AllHttpHeaders.X-Amzn-Trace-Id", "X-Amzn-Trace-Id"),
    ("$..SdkHttpMetadata.HttpHeaders.Date", "date"),
    ("$..SdkHttpMetadata.HttpHeaders.X-Amzn-Trace-Id", "X-Amzn-Trace-Id"),
)
_SFN_HEADER_JSONPATHS = tuple((_JsonPath.parse(p), r) for p, r in _SFN_HEADER_PATHS)


@dataclass(slots=True)
class _Transformer:
    """One entry of ``compare.transformers``, compiled."""

    type: str
    replacement: str = ""
    pattern: re.Pattern[str] | None = None
    jsonpath: _JsonPath | None = None
    key: str | None = None
    reference: bool = False
    unresolved: str | None = None  # a "${name.pattern}" placeholder the runner did not report


def _placeholder_pattern(
    pattern: str, placeholders: dict[str, str], wall_clock: bool
) -> tuple[re.Pattern[str] | None, str | None]:
    """Compile a regex transformer's pattern; ``${...}`` names fixtures or recorded values."""
    if pattern.startswith("${ref:"):
        # README: it stood for a value of the recorded run; its replacement is a wildcard.
        return None, None
    if pattern.startswith("${") and pattern.endswith(".pattern}"):
        name = "${" + pattern[2 : -len(".pattern}")] + "}"
        value = placeholders.get(name)
        if value is None:
            return None, name
        return re.compile(re.escape(value)), None
    if wall_clock and re.fullmatch(_LOOSE_DATETIME, pattern.replace("\\.", ".")):
        # Wall-clock-dependent case: the recorded value was computed from the time of the
        # recording (README "wall_clock_dependent: compare loosely"). The only loosening we
        # make: a transformer that names such a literal date-time matches any date-time, so
        # a runner that recomputes the value from its own clock is normalised the same way.
        return re.compile(_LOOSE_DATETIME), None
    return re.compile(pattern), None


def _compile_transformers(
    case: dict[str, JSONish], placeholders: dict[str, str]
) -> list[_Transformer]:
    wall_clock = bool(case.get("wall_clock_dependent"))
    compiled: list[_Transformer] = []
    for spec in case.get("compare", {}).get("transformers", []):
        kind = spec["type"]
        if kind == "regex":
            pattern, unresolved = _placeholder_pattern(spec["pattern"], placeholders, wall_clock)
            compiled.append(
                _Transformer("regex", spec["replacement"], pattern=pattern, unresolved=unresolved)
            )
        elif kind == "jsonpath":
            compiled.append(
                _Transformer(
                    "jsonpath",
                    spec["replacement"],
                    jsonpath=_JsonPath.parse(spec["jsonpath"]),
                    reference=bool(spec.get("replace_reference", True)),
                )
            )
        elif kind == "key_value":
            compiled.append(
                _Transformer(
                    "key_value",
                    spec["replacement"],
                    key=spec["key"],
                    reference=bool(spec.get("replace_reference", True)),
                )
            )
        elif kind == "sfn_parallel_events_sort":
            # Not a value normalisation: compare_case honours it when matching the history.
            continue
        else:
            raise ValueError(f"unknown transformer type {kind!r} in case {case.get('name')}")
    return compiled


def _map_run_arns(doc: JSONish) -> list[str]:
    arns: list[str] = []
    for path, container, key in _walk(doc, ()):
        if key == "mapRunArn" and len(path) >= 2 and isinstance(container[key], str):
            arn = container[key]
            if arn not in arns:
                arns.append(arn)
    return arns


def _normalise_document(
    case: dict[str, JSONish], doc: dict[str, JSONish], placeholders: dict[str, str]
) -> dict[str, JSONish]:
    """Replay the recording harness over ``doc`` (``{section: response}``)."""
    doc = _sorted_keys(doc)  # a new structure: the caller's document is not modified
    _parse_json_values(doc)
    keys = _object_keys(doc)
    replacements = _Replacements()

    # 1a. The Step Functions fixture's transformers.
    for path, replacement in _SFN_HEADER_JSONPATHS:
        if path.field_names <= keys:
            for container, key in path.locate(doc):
                container[key] = replacement
    _key_value(
        doc,
        _json_input_in_cause,
        lambda _n, _k, _v, found: replacements.reference(found, "json-input"),
    )

    # 1b. The case's transformers, in order (README rule 1).
    for transformer in _compile_transformers(case, placeholders):
        if transformer.jsonpath is None or transformer.jsonpath.field_names <= keys:
            _apply_transformer(transformer, doc, replacements)

    # 1c. Map-run ARN parts: the recording derived a regex from each run's ARN
    #     (".../<label or uuid>:<uuid>"), numbered in order of appearance.
    for index, arn in enumerate(_map_run_arns(doc) if "mapRunArn" in keys else []):
        parts = arn.rsplit("/", 1)[-1].split(":")
        if len(parts) == 2:
            replacements.regex(re.compile(re.escape(parts[1])), f"<MapRunArnPart1_{index}idx>")
            if _UUID_PREFIX.match(parts[0]):
                replacements.regex(re.compile(re.escape(parts[0])), f"<MapRunArnPart0_{index}idx>")

    # 2. Account, region, partition (README rule 3), then UUIDs (rule 2) and dates (rule 4).
    run = case.get("run_context") or {}
    account = run.get("account") or _DEFAULT_ACCOUNT
    region = run.get("region") or _DEFAULT_REGION
    replacements.regex(re.compile(re.escape(account)), "1" * 12)
    replacements.regex(re.compile(re.escape(region)), "<region>")
    replacements.regex(re.compile(re.escape("arn:aws:")), "arn:<partition>:")
    _key_value(
        doc,
        _uuid_under_id_key,
        lambda _n, _k, _v, found: replacements.reference(found, "uuid"),
    )
    replacements.regex(_ISO_DATETIME, "date")

    # 3. Non-ISO timestamps, replaced in place (README rule 2).
    def _to_timestamp(node: dict[str, JSONish], key: str, _value: JSONish, _found: str) -> None:
        node[key] = "timestamp"

    _key_value(doc, _non_iso_timestamp, _to_timestamp)

    # Serialised replacements last; keys sorted, as in the recorded results (README).
    return {
        section: _sorted_keys(json.loads(replacements.apply(json.dumps(value, default=str))))
        for section, value in doc.items()
    }


def _apply_transformer(
    transformer: _Transformer, doc: dict[str, JSONish], replacements: _Replacements
) -> None:
    if transformer.type == "regex":
        if transformer.pattern is not None:
            replacements.regex(transformer.pattern, transformer.replacement)
        return
    if transformer.type == "jsonpath":
        assert transformer.jsonpath is not None
        for container, key in transformer.jsonpath.locate(doc):
            if transformer.reference:
                replacements.reference(container[key], transformer.replacement)
            else:
                container[key] = transformer.replacement
        return
    wanted = transformer.key

    def _match(key: str, value: JSONish) -> str | None:
        if key == wanted and value is not None and value != "":
            return value  # type: ignore[no-any-return]
        return None

    def _on_match(node: dict[str, JSONish], key: str, value: JSONish, found: str) -> None:
        if transformer.reference:
            replacements.reference(found, transformer.replacement)
        else:
            node[key] = transformer.replacement

    _key_value(doc, _match, _on_match)


def _strip_timestamps(events: Sequence[dict[str, JSONish]]) -> list[dict[str, JSONish]]:
    return [{k: v for k, v in event.items() if k != "timestamp"} for event in events]


def _actual_document(case: dict[str, JSONish], actual: dict[str, JSONish]) -> dict[str, JSONish]:
    kind = case.get("kind", "execution")
    section = _SECTION.get(kind, "describe_execution")
    if kind == "api_error":
        body = {"error": actual.get("error"), "message": actual.get("message")}
        return {section: body}
    body: dict[str, JSONish] = {}
    if actual.get("status") is not None:
        body["status"] = actual["status"]
    raw = _raw_output(kind, actual)
    if raw is not None:
        body["output"] = raw
    for key in ("error", "cause", "nextState", "inspectionData"):
        if actual.get(key) is not None:
            body[key] = actual[key]
    doc: dict[str, JSONish] = {section: body}
    if kind in ("execution",) and actual.get("history") is not None:
        doc[_HISTORY_SECTION] = {"events": _strip_timestamps(actual["history"])}
    return doc


def _raw_output(kind: str, actual: dict[str, JSONish]) -> str | None:
    if actual.get("output_raw") is not None:
        return str(actual["output_raw"])
    if kind == "test_state" and isinstance(actual.get("output"), str):
        # TestState returns its output as JSON text, like DescribeExecution.
        return str(actual["output"])
    if actual.get("output") is None:
        return None
    return json.dumps(actual["output"], separators=(",", ":"))


def normalise_actual(case: dict[str, JSONish], actual: dict[str, JSONish]) -> dict[str, JSONish]:
    """Normalise an actual result the way AWS's recorded results were normalised.

    Returns a dict shaped like ``case["expected"]``: ``status``, ``output`` (parsed; with
    ``output_raw`` when the output is not a JSON object), ``error``, ``cause``, ``history``
    (events without ``timestamp``), and for TestState ``nextState`` and ``inspectionData``.
    Keys the run did not produce are absent.
    """
    placeholders = dict(actual.get("placeholders") or {})
    doc = _normalise_document(case, _actual_document(case, actual), placeholders)
    kind = case.get("kind", "execution")
    body = doc[_SECTION.get(kind, "describe_execution")]
    result: dict[str, JSONish] = {}
    if kind == "api_error":
        result["status"] = actual.get("status")
        result["error"] = body.get("error")
        result["cause"] = body.get("message")
        return result
    for key in ("status", "error", "cause", "nextState", "inspectionData"):
        if key in body:
            result[key] = body[key]
    if "output" in body:
        output = body["output"]
        if isinstance(output, str):
            # Not an object: keep the text, as the case's output_raw does.
            result["output_raw"] = output
            try:
                result["output"] = json.loads(output)
            except ValueError:
                result["output"] = output
        else:
            result["output"] = output
    if _HISTORY_SECTION in doc:
        result["history"] = doc[_HISTORY_SECTION]["events"]
    return result


# --------------------------------------------------------------------------------------------
# Comparison rules derived from the case.
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _CaseRules:
    """What in ``expected`` is a wildcard, and what is not compared at all."""

    full_wildcards: frozenset[str]
    free_tokens: tuple[str, ...]
    skip_paths: tuple[_JsonPath, ...]
    unresolved_placeholders: tuple[str, ...]
    token_finder: re.Pattern[str]

    @classmethod
    def of(cls, case: dict[str, JSONish], placeholders: dict[str, str]) -> _CaseRules:
        compare = case.get("compare", {})
        full: set[str] = set()
        free: set[str] = set()
        applied_replacements: list[str] = []
        unresolved: list[str] = []
        for transformer in _compile_transformers(case, placeholders):
            if transformer.type in ("jsonpath", "key_value") and not transformer.reference:
                # README: "a jsonpath or key_value transformer wrote its replacement over
                # whatever AWS returned there: that expected value matches anything".
                full.add(transformer.replacement)
            elif transformer.type == "regex" and transformer.pattern is None:
                if transformer.unresolved is None:
                    # README: the replacement of a regex whose pattern begins with "${ref:"
                    # stood for a value of the recorded run: it matches anything.
                    free.add(transformer.replacement)
                else:
                    unresolved.append(transformer.unresolved)
            elif transformer.type == "regex":
                applied_replacements.append(transformer.replacement)
            # Reference replacements (<name:N>) are numbered tokens, handled generically.
        for token in compare.get("placeholder_tokens_in_expected", []):
            # README: "Apply the same [normalisation] to yours (or treat these tokens as
            # wildcards)". Tokens listed as placeholders that our replay does not produce
            # (the recording used transformers the case does not list) are wildcards;
            # tokens we do produce are compared exactly.
            if (
                token in _DEFAULT_TOKENS
                or _NUMBERED_TOKEN.fullmatch(token)
                or not (token.startswith("<") and token.endswith(">"))
                or any(token in replacement for replacement in applied_replacements)
            ):
                continue
            free.add(token)
        free_tokens = tuple(sorted(free, key=len, reverse=True))
        alternatives = [re.escape(token) for token in free_tokens]
        alternatives.append(_NUMBERED_TOKEN.pattern)
        return cls(
            full_wildcards=frozenset(full),
            free_tokens=free_tokens,
            skip_paths=tuple(
                _JsonPath.parse(p) for p in compare.get("skip_snapshot_verify_paths", [])
            ),
            unresolved_placeholders=tuple(unresolved),
            token_finder=re.compile("|".join(f"(?:{a})" for a in alternatives)),
        )

    def skipped(self, path: Sequence[str | int]) -> bool:
        # README: "Skip the skip_snapshot_verify_paths" (fields where the recording harness
        # itself was unreliable). A skipped node takes its subtree with it.
        return any(p.matches(path, prefix=True) for p in self.skip_paths)

    def skipped_node(self, path: Sequence[str | int]) -> bool:
        """``skipped`` for a node whose ancestors were already found not skipped."""
        if not path:
            return False
        last = path[-1]
        return any(
            (p.last_key == last or not isinstance(p.last_key, str)) and p.matches(path)
            for p in self.skip_paths
        )


@dataclass(slots=True)
class _Bindings:
    """Numbered tokens bound to actual text: the same token always stands for the same text.

    ``<uuid:N>`` and the other reference tokens (``<task_token:N>``, ``<resource:N>``, ...)
    were numbered by first appearance in the whole recorded test, so N itself cannot be
    compared; what must hold is a bijection: one token, one value; two tokens, two values.
    """

    forward: dict[str, str] = field(default_factory=dict)
    backward: dict[tuple[str, str], str] = field(default_factory=dict)

    def copy(self) -> _Bindings:
        return _Bindings(dict(self.forward), dict(self.backward))

    def bind(self, token: str, family: str, text: str) -> str | None:
        bound = self.forward.get(token)
        if bound is not None and bound != text:
            return f"{token} stands for {bound!r} elsewhere, here for {text!r}"
        other = self.backward.get((family, text))
        if other is not None and other != token:
            return f"{token} and {other} must stand for different values, both are {text!r}"
        self.forward[token] = text
        self.backward[(family, text)] = token
        return None


# --------------------------------------------------------------------------------------------
# Value comparison.
# --------------------------------------------------------------------------------------------

_MISSING = object()


def _render_path(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"


def _short(value: JSONish, limit: int = 300) -> str:
    if value is _MISSING:
        return "<missing>"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Comparer:
    """Compares expected values with normalised actual ones under a case's rules."""

    def __init__(self, rules: _CaseRules, bindings: _Bindings | None = None) -> None:
        self.rules = rules
        self.bindings = bindings or _Bindings()
        self.mismatches: list[str] = []
        self._patterns: dict[str, tuple[re.Pattern[str], tuple[tuple[str, str], ...]] | None] = {}

    def fork(self) -> _Comparer:
        """A comparer for a trial match: same rules, copied bindings, own mismatches."""
        trial = _Comparer(self.rules, self.bindings.copy())
        trial._patterns = self._patterns
        return trial

    def fail(self, path: Sequence[str | int], message: str) -> None:
        self.mismatches.append(f"{_render_path(path)}: {message}")

    def value(self, expected: JSONish, actual: JSONish, path: tuple[str | int, ...]) -> None:
        """Compare ``expected`` with ``actual`` at ``path`` (whose ancestors are not skipped)."""
        if self.rules.skipped_node(path):
            return
        if isinstance(expected, str) and expected in self.rules.full_wildcards:
            if actual is _MISSING:
                self.fail(path, f"missing (expected any value, recorded as {expected!r})")
            return
        if actual is _MISSING:
            self.fail(path, f"missing, expected {_short(expected)}")
            return
        if isinstance(actual, str) and not isinstance(expected, str) and _json_text_field(path):
            # An event's input/output is JSON text in the API. Step 0 of the normalisation
            # parses only objects; some recordings also parsed the other JSON texts of these
            # fields (a test-specific transformer the case does not list), so that AWS's text
            # survives only as its value: compare the value of ours.
            with contextlib.suppress(ValueError):
                actual = json.loads(actual)
        if isinstance(expected, dict):
            self._object(expected, actual, path)
        elif isinstance(expected, list):
            if not isinstance(actual, list):
                self.fail(path, f"expected a list {_short(expected)}, got {_short(actual)}")
            elif len(expected) != len(actual):
                self.fail(
                    path,
                    f"expected {len(expected)} items {_short(expected)}, "
                    f"got {len(actual)} {_short(actual)}",
                )
            else:
                for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
                    self.value(e, a, (*path, index))
        elif isinstance(expected, str):
            if not isinstance(actual, str):
                self.fail(path, f"expected {_short(expected)}, got {_short(actual)}")
            else:
                problem = self.text(expected, actual)
                if problem is not None:
                    self.fail(path, problem)
        elif type(expected) is not type(actual) or expected != actual:
            # bool is not int and 1 is not 1.0: JSON text "1" differs from "1.0".
            self.fail(path, f"expected {_short(expected)}, got {_short(actual)}")

    def _object(
        self, expected: dict[str, JSONish], actual: JSONish, path: tuple[str | int, ...]
    ) -> None:
        if not isinstance(actual, dict):
            self.fail(path, f"expected an object {_short(expected)}, got {_short(actual)}")
            return
        lambda_error = "errorType" in expected
        for key, e in expected.items():
            sub = (*path, key)
            a = actual.get(key, _MISSING)
            if key == "stackTrace" and lambda_error:
                # README: a Lambda error's stackTrace names the handler's file and line on
                # AWS's machine: compare that the key is there, not its text.
                if a is _MISSING and not self.rules.skipped(sub):
                    self.fail(sub, "missing (a Lambda error document has a stackTrace)")
                continue
            self.value(e, a, sub)
        for key in actual:
            if key not in expected and not self.rules.skipped_node((*path, key)):
                self.fail((*path, key), f"unexpected key with value {_short(actual[key])}")

    # -- strings -------------------------------------------------------------------------

    def text(self, expected: str, actual: str) -> str | None:
        """Why ``actual`` does not match ``expected`` (None when it does)."""
        problem = self._text(expected, actual)
        if problem is None or "stackTrace" not in expected:
            return problem
        # README: compare that a Lambda error's stackTrace is there, not its text. The
        # document may be serialised inside this string (at any depth of escaping): mask the
        # stack trace arrays on both sides and compare the rest exactly.
        masked_expected = _mask_stack_traces(expected)
        masked_actual = _mask_stack_traces(actual)
        if masked_expected == expected:
            return problem
        return self._text(masked_expected, masked_actual)

    def _text(self, expected: str, actual: str) -> str | None:
        compiled = self._pattern(expected)
        if compiled is None:
            if expected == actual:
                return None
            return f"expected {_short(expected)}, got {_short(actual)}"
        pattern, groups = compiled
        m = pattern.fullmatch(actual)
        if m is None:
            return f"expected {_short(expected)} (with wildcards), got {_short(actual)}"
        trial = self.bindings.copy()
        for (token, family), text in zip(groups, m.groups(), strict=True):
            if not family:
                continue
            problem = trial.bind(token, family, text)
            if problem is not None:
                return problem
        self.bindings = trial
        return None

    def _pattern(self, expected: str) -> tuple[re.Pattern[str], tuple[tuple[str, str], ...]] | None:
        if expected in self._patterns:
            return self._patterns[expected]
        pieces: list[str] = []
        groups: list[tuple[str, str]] = []
        pos = 0
        found = False
        for m in self.rules.token_finder.finditer(expected):
            token = m.group(0)
            numbered = _NUMBERED_TOKEN.fullmatch(token)
            pieces.append(re.escape(expected[pos : m.start()]))
            pos = m.end()
            found = True
            if numbered is None:
                # A free wildcard: README "matches anything".
                pieces.append("(.*?)")
                groups.append((token, ""))
            elif numbered.group(1) == "uuid":
                # <uuid:N> is our own normalisation of a UUID; the recording may also have
                # replaced the same UUID where it was not under an "id" key, so a raw UUID is
                # accepted as well. Either way the bijection holds.
                pieces.append(f"(<uuid:\\d+>|{_UUID_TEXT})")
                groups.append((token, "uuid"))
            elif numbered.group(1) == "json-input":
                # README: "<json-input:1> inside an expected string stands for a JSON document
                # that was elided from the message: it matches any text".
                pieces.append("(.*?)")
                groups.append((token, ""))
            else:
                # Another reference replacement (<task_token:1>, <resource:2>, ...): a value of
                # the recorded run (README: wildcards), bound consistently.
                pieces.append("(.+?)")
                groups.append((token, numbered.group(1)))
        if not found:
            self._patterns[expected] = None
            return None
        pieces.append(re.escape(expected[pos:]))
        compiled = (re.compile("".join(pieces), re.DOTALL), tuple(groups))
        self._patterns[expected] = compiled
        return compiled


def _json_text_field(path: Sequence[str | int]) -> bool:
    """Whether ``path`` is the ``input`` or ``output`` JSON text of a history event."""
    return (
        len(path) == 5
        and path[0] == _HISTORY_SECTION
        and isinstance(path[3], str)
        and path[3].endswith("EventDetails")
        and path[4] in ("input", "output")
    )


def _mask_stack_traces(text: str) -> str:
    """Replace every ``"stackTrace": [...]`` array in serialised JSON text by ``[]``.

    The document may sit inside JSON strings: at escaping depth L its quotes are preceded by
    backslash runs whose length has exactly L trailing one-bits (0, 1, 3, 7, ... modulo the
    next power of two). Anything that does not parse as expected is left unchanged.
    """
    out: list[str] = []
    pos = 0
    for m in re.finditer(r'(\\*)"stackTrace(\\*)"\s*:\s*\[', text):
        if m.start() < pos or m.group(1) != m.group(2):
            continue
        depth = _trailing_ones(len(m.group(1)))
        end = _array_end(text, m.end(), depth)
        if end is None:
            continue
        out.append(text[pos : m.end()])
        out.append("]")
        pos = end + 1
    out.append(text[pos:])
    return "".join(out)


def _trailing_ones(n: int) -> int:
    count = 0
    while n & 1:
        n >>= 1
        count += 1
    return count


def _array_end(text: str, start: int, depth: int) -> int | None:
    """Index of the ``]`` closing the array whose content starts at ``start``."""
    nesting = 1
    in_string = False
    i = start
    while i < len(text):
        char = text[i]
        if char == '"':
            run = 0
            while i - run - 1 >= 0 and text[i - run - 1] == "\\":
                run += 1
            level = _trailing_ones(run)
            if level == depth:
                in_string = not in_string
            elif level < depth:
                return None
        elif not in_string and char in "[{":
            nesting += 1
        elif not in_string and char in "]}":
            nesting -= 1
            if nesting == 0:
                return i if char == "]" else None
        i += 1
    return None


# --------------------------------------------------------------------------------------------
# History structure: lanes (the top level, each Parallel branch, each Map iteration).
# --------------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Event:
    pos: int  # position in the (ascending) list
    index: int  # position in the recorded list (for skip paths like $..events[4])
    id: int
    prev: int
    type: str
    body: dict[str, JSONish]
    lane: _Lane | None = None
    region: _Region | None = None  # set for a region's opener and closer


@dataclass(eq=False, slots=True)
class _Lane:
    key: JSONish  # None for the top level, the index of a Map iteration, a Parallel ordinal
    region: _Region | None
    items: list[_Event | _Region] = field(default_factory=list)
    closed: bool = False


@dataclass(eq=False, slots=True)
class _Region:
    kind: str  # "Map" or "Parallel"
    name: str | None  # the state's name
    opener: _Event
    parent: _Lane
    lanes: dict[JSONish, _Lane] = field(default_factory=dict)
    closer: _Event | None = None


class _StructureError(Exception):
    pass


def _details(event: dict[str, JSONish]) -> dict[str, JSONish]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def _build_lanes(events: list[_Event]) -> _Lane:
    """Attribute every event to its lane, following ``previousEventId``.

    AWS chains each event to the previous event of the same branch or iteration. So an
    event belongs to the lane of the event it points to, with these exceptions (all read
    off the recorded histories):

    * ``MapIterationStarted``/``...Succeeded``/``...Failed``/``...Aborted`` name their Map
      state and index: they open / close that iteration's lane (AWS points an iteration's
      start at the last event of the previous iteration);
    * an event pointing at an open ``ParallelStateStarted`` starts a new branch lane;
    * a region's closer (``ParallelStateSucceeded``, ``MapStateFailed``, ...) goes to the lane
      that holds the region; an event pointing into a finished lane goes to the nearest lane
      that is still running.
    """
    root = _Lane(None, None)
    by_id: dict[int, _Event] = {}
    last_entered: dict[int, str] = {}
    for event in events:
        if event.prev and event.prev not in by_id:
            raise _StructureError(
                f"event {event.id} ({event.type}): previousEventId {event.prev} "
                "does not name an earlier event"
            )
        target = by_id.get(event.prev) if event.prev else None
        start = target.lane if target is not None and target.lane is not None else root
        details = _details(event.body)
        if event.type in ("MapIterationStarted", *_ITERATION_CLOSERS):
            region = _find_region(start, "Map", details.get("name"))
            if region is None:
                raise _StructureError(
                    f"event {event.id} ({event.type}): no running Map state {details.get('name')!r}"
                )
            index = details.get("index")
            if event.type == "MapIterationStarted":
                if index in region.lanes:
                    raise _StructureError(f"event {event.id}: iteration {index} started twice")
                lane = region.lanes[index] = _Lane(index, region)
            else:
                found = region.lanes.get(index)
                if found is None or found.closed:
                    raise _StructureError(
                        f"event {event.id} ({event.type}): iteration {index} is not running"
                    )
                lane = found
                lane.closed = True
        elif event.type in _PARALLEL_CLOSERS or event.type in _MAP_CLOSERS:
            kind = "Parallel" if event.type in _PARALLEL_CLOSERS else "Map"
            region = _find_region(start, kind)
            if region is None:
                # The state failed before it started its branches (e.g. its Items did not
                # evaluate to an array): the closer is an ordinary event of its lane.
                lane = _running(start)
            else:
                region.closer = event
                event.region = region
                for branch in region.lanes.values():
                    branch.closed = True
                lane = region.parent
        elif (
            target is not None
            and target.region is not None
            and target.region.opener is target
            and target.region.closer is None
            and target.region.kind == "Parallel"
        ):
            region = target.region
            lane = region.lanes[len(region.lanes)] = _Lane(len(region.lanes), region)
        else:
            lane = _running(start)
        event.lane = lane
        lane.items.append(event)
        if event.type.endswith("StateEntered"):
            last_entered[id(lane)] = str(details.get("name"))
        if event.type in ("ParallelStateStarted", "MapStateStarted"):
            region = _Region(
                event.type[: -len("StateStarted")],
                last_entered.get(id(lane)),
                event,
                lane,
            )
            event.region = region
            lane.items.append(region)
        by_id[event.id] = event
    return root


def _running(lane: _Lane) -> _Lane:
    while lane.region is not None and (lane.closed or lane.region.closer is not None):
        lane = lane.region.parent
    return lane


def _find_region(start: _Lane, kind: str, name: JSONish = _MISSING) -> _Region | None:
    """The innermost running region of ``kind`` (and ``name``) from ``start`` outwards."""

    def wanted(region: _Region) -> bool:
        return region.closer is None and region.kind == kind and name in (_MISSING, region.name)

    lane: _Lane | None = start
    while lane is not None:
        for item in reversed(lane.items):
            if isinstance(item, _Region):
                # Only a lane's latest region can still be running: a lane waits for it.
                if wanted(item):
                    return item
                break
        if lane.region is not None and wanted(lane.region):
            return lane.region
        lane = lane.region.parent if lane.region is not None else None
    return None


def _lane_label(lane: _Lane) -> str:
    parts: list[str] = []
    current: _Lane | None = lane
    while current is not None and current.region is not None:
        region = current.region
        what = "iteration" if region.kind == "Map" else "branch"
        parts.append(f"{region.kind} {region.name!r} {what} {current.key}")
        current = region.parent
    return " / ".join(reversed(parts)) or "top level"


def _item_signature(item: _Event | _Region) -> str:
    if isinstance(item, _Region):
        return f"[{item.kind} with {len(item.lanes)} lanes]"
    name = _details(item.body).get("name")
    return f"{item.type} {name}" if isinstance(name, str) else item.type


# --------------------------------------------------------------------------------------------
# History comparison.
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Matching:
    events: dict[int, _Event] = field(default_factory=dict)  # id(expected event) -> actual
    lanes: dict[int, _Lane] = field(default_factory=dict)
    regions: dict[int, _Region] = field(default_factory=dict)


class _HistoryComparer:
    def __init__(self, comparer: _Comparer) -> None:
        self.comparer = comparer
        self.matching = _Matching()

    def event(self, expected: _Event, actual: _Event, comparer: _Comparer) -> None:
        base: tuple[str | int, ...] = (_HISTORY_SECTION, "events", expected.index)
        e_body = {k: v for k, v in expected.body.items() if k not in ("id", "previousEventId")}
        a_body = {k: v for k, v in actual.body.items() if k not in ("id", "previousEventId")}
        before = len(comparer.mismatches)
        comparer.value(e_body, a_body, base)
        for i in range(before, len(comparer.mismatches)):
            comparer.mismatches[i] = (
                f"event {expected.id} ({expected.type}, actual id {actual.id}) "
                + comparer.mismatches[i]
            )

    def lane(
        self, expected: _Lane, actual: _Lane, comparer: _Comparer, matching: _Matching
    ) -> None:
        matching.lanes[id(expected)] = actual
        e_sig = [_item_signature(i) for i in expected.items]
        a_sig = [_item_signature(i) for i in actual.items]
        if [type(i) for i in expected.items] != [type(i) for i in actual.items] or [
            s for s, i in zip(e_sig, expected.items, strict=True) if isinstance(i, _Event)
        ] != [s for s, i in zip(a_sig, actual.items, strict=True) if isinstance(i, _Event)]:
            diff = "\n".join(
                difflib.unified_diff(e_sig, a_sig, "expected", "actual", lineterm="", n=2)
            )
            comparer.mismatches.append(
                f"history ({_lane_label(expected)}): event sequence differs:\n{diff}"
            )
            return
        for e_item, a_item in zip(expected.items, actual.items, strict=True):
            if isinstance(e_item, _Event):
                assert isinstance(a_item, _Event)
                matching.events[id(e_item)] = a_item
                self.event(e_item, a_item, comparer)
            else:
                assert isinstance(a_item, _Region)
                self.region(e_item, a_item, comparer, matching)

    def region(
        self, expected: _Region, actual: _Region, comparer: _Comparer, matching: _Matching
    ) -> None:
        matching.regions[id(expected)] = actual
        label = f"{expected.kind} state {expected.name!r}"
        if expected.kind == "Map":
            # Iterations carry their index: iteration i is compared with iteration i.
            if set(expected.lanes) != set(actual.lanes):
                comparer.mismatches.append(
                    f"history ({label}): iterations {sorted(expected.lanes, key=str)} "
                    f"expected, got {sorted(actual.lanes, key=str)}"
                )
                return
            for key, lane in expected.lanes.items():
                self.lane(lane, actual.lanes[key], comparer, matching)
            return
        # README: branch events may interleave in any order: compare the branches as a
        # multiset, keeping each branch's own order.
        e_lanes = list(expected.lanes.values())
        a_lanes = list(actual.lanes.values())
        if len(e_lanes) != len(a_lanes):
            comparer.mismatches.append(
                f"history ({label}): {len(e_lanes)} branches expected, got {len(a_lanes)}"
            )
        pairs = _bipartite(
            e_lanes,
            a_lanes,
            lambda e, a: self._trial(lambda c, m: self.lane(e, a, c, m), comparer),
        )
        used: set[int] = set()
        for e_index, a_index in pairs.items():
            used.add(a_index)
            self.lane(e_lanes[e_index], a_lanes[a_index], comparer, matching)
        leftovers = [i for i in range(len(a_lanes)) if i not in used]
        for e_index, lane in enumerate(e_lanes):
            if e_index in pairs:
                continue
            if leftovers:
                # No branch matches: show the differences against an unmatched one.
                self.lane(lane, a_lanes[leftovers.pop(0)], comparer, matching)
            else:
                comparer.mismatches.append(
                    f"history ({_lane_label(lane)}): branch missing from the actual run"
                )

    def _trial(self, run: Callable[[_Comparer, _Matching], None], comparer: _Comparer) -> bool:
        trial = comparer.fork()
        run(trial, _Matching())
        return not trial.mismatches


def _bipartite(
    left: Sequence[Any], right: Sequence[Any], compatible: Callable[[Any, Any], bool]
) -> dict[int, int]:
    """A maximum matching left index -> right index (augmenting paths; inputs are small)."""
    edges = [[j for j, r in enumerate(right) if compatible(item, r)] for item in left]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(left)):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def _to_events(raw: Sequence[dict[str, JSONish]], indices: Sequence[int]) -> list[_Event]:
    events = []
    for pos, (body, index) in enumerate(zip(raw, indices, strict=True)):
        events.append(
            _Event(
                pos=pos,
                index=index,
                id=body.get("id"),  # type: ignore[arg-type]
                prev=body.get("previousEventId"),  # type: ignore[arg-type]
                type=str(body.get("type")),
                body=body,
            )
        )
    return events


def _compare_history(
    comparer: _Comparer, expected_raw: list[dict[str, JSONish]], actual_raw: JSONish
) -> None:
    rules = comparer.rules
    history_path = (_HISTORY_SECTION, "events")
    if rules.skipped(history_path):
        return
    if not isinstance(actual_raw, list):
        comparer.mismatches.append("history: missing from the actual run")
        return
    expected_ids = [e.get("id") for e in expected_raw if isinstance(e.get("id"), int)]
    descending = len(expected_ids) > 1 and expected_ids == sorted(expected_ids, reverse=True)
    indices = list(range(len(expected_raw)))
    actual_list = list(actual_raw)
    if descending:
        # The recording asked GetExecutionHistory for reverseOrder=True; the run must too
        # (history_reverse_order(case) tells the runner).
        actual_ids = [a.get("id") for a in actual_list]
        if len(actual_ids) > 1 and actual_ids != sorted(actual_ids, reverse=True):
            comparer.mismatches.append(
                "history: expected in reverse order (GetExecutionHistory reverseOrder=True)"
            )
            return
        expected_raw = list(reversed(expected_raw))
        indices.reverse()
        actual_list.reverse()
    actual_events = _to_events(actual_list, list(range(len(actual_list))))
    if not _check_actual_ids(comparer, actual_events):
        return
    expected_events = _to_events(expected_raw, indices)
    if any(not isinstance(e.id, int) for e in expected_events):
        _compare_sorted_history(comparer, expected_events, actual_events)
        return
    _compare_structured_history(comparer, expected_events, actual_events)


def _check_actual_ids(comparer: _Comparer, events: list[_Event]) -> bool:
    """Ids contiguous from 1 in list order; each previousEventId 0 or an earlier event."""
    ok = True
    for pos, event in enumerate(events):
        if event.id != pos + 1:
            comparer.mismatches.append(
                f"history: event at position {pos} ({event.type}) has id {event.id!r}, "
                f"expected {pos + 1} (ids are contiguous from 1)"
            )
            return False
        if not isinstance(event.prev, int) or not 0 <= event.prev < event.id:
            comparer.mismatches.append(
                f"history: event {event.id} ({event.type}) has previousEventId "
                f"{event.prev!r}, which is not an earlier event"
            )
            ok = False
    return ok


def _flat_types(events: Sequence[_Event]) -> list[str]:
    return [_item_signature(e) for e in events]


def _compare_structured_history(
    comparer: _Comparer, expected: list[_Event], actual: list[_Event]
) -> None:
    try:
        e_root = _build_lanes(expected)
    except _StructureError as error:
        raise ValueError(f"recorded history has an unexpected structure: {error}") from error
    try:
        a_root = _build_lanes(actual)
    except _StructureError as error:
        comparer.mismatches.append(f"history: {error}")
        _compare_flat(comparer, expected, actual)
        return
    history = _HistoryComparer(comparer)
    before = len(comparer.mismatches)
    history.lane(e_root, a_root, comparer, history.matching)
    if len(comparer.mismatches) > before:
        return
    _compare_previous_ids(comparer, expected, history.matching)


def _compare_flat(comparer: _Comparer, expected: list[_Event], actual: list[_Event]) -> None:
    e_sig, a_sig = _flat_types(expected), _flat_types(actual)
    if e_sig != a_sig:
        diff = "\n".join(difflib.unified_diff(e_sig, a_sig, "expected", "actual", lineterm=""))
        comparer.mismatches.append(f"history: event sequence differs:\n{diff}")
        return
    history = _HistoryComparer(comparer)
    for e, a in zip(expected, actual, strict=True):
        history.event(e, a, comparer)


def _compare_previous_ids(comparer: _Comparer, expected: list[_Event], matching: _Matching) -> None:
    """previousEventId, structurally.

    If the run interleaved branches exactly as AWS did, ids and previousEventIds must be
    equal. Otherwise (README: branch events may interleave in any order) a pointer is checked
    structurally: to the event of the same lane it must point to the counterpart of AWS's
    target (that order is forced); a pointer that crosses lanes (an iteration's start, a
    region's closer, the first event of a branch) depends on the interleaving, so it must
    point into the counterpart of the region AWS's target lies in (or at its opener/closer).
    ``_check_actual_ids`` already verified it points at an earlier event.
    """
    by_id = {e.id: e for e in expected}
    actual_by_id = {a.id: a for a in matching.events.values()}
    same_order = all(matching.events[id(e)].pos == e.pos for e in expected)
    for e in expected:
        a = matching.events[id(e)]
        path = (_HISTORY_SECTION, "events", e.index, "previousEventId")
        if comparer.rules.skipped(path):
            continue
        label = f"event {e.id} ({e.type}, actual id {a.id})"
        if same_order:
            if a.prev != e.prev:
                comparer.mismatches.append(f"{label}: previousEventId {a.prev}, expected {e.prev}")
            continue
        if e.prev == 0:
            if a.prev != 0:
                comparer.mismatches.append(f"{label}: previousEventId {a.prev}, expected 0")
            continue
        target = by_id[e.prev]
        actual_target = actual_by_id.get(a.prev)
        if target.lane is e.lane:
            wanted = matching.events[id(target)]
            if actual_target is not wanted:
                comparer.mismatches.append(
                    f"{label}: previousEventId {a.prev}, expected {wanted.id} "
                    f"(the counterpart of recorded event {e.prev} in the same branch)"
                )
            continue
        region = _separating_region(e, target)
        counterpart = matching.regions.get(id(region)) if region is not None else None
        if counterpart is None or actual_target is None:
            continue
        if not _within(actual_target, counterpart):
            comparer.mismatches.append(
                f"{label}: previousEventId {a.prev} lies outside {region.kind} state "
                f"{region.name!r}, where recorded event {e.prev} lies"
            )


def _ancestors(lane: _Lane) -> list[_Lane | _Region]:
    chain: list[_Lane | _Region] = [lane]
    while lane.region is not None:
        chain.append(lane.region)
        lane = lane.region.parent
        chain.append(lane)
    return chain


def _separating_region(event: _Event, target: _Event) -> _Region | None:
    """The region just below the lowest common lane of two events, on the side that has one."""
    assert event.lane is not None
    assert target.lane is not None
    e_chain = _ancestors(event.lane)
    t_chain = _ancestors(target.lane)
    common = next(node for node in e_chain if any(node is t for t in t_chain))
    if isinstance(common, _Region):
        return common  # two lanes of the same region
    for chain in (e_chain, t_chain):
        index = next(i for i, node in enumerate(chain) if node is common)
        if index > 0:
            below = chain[index - 1]
            assert isinstance(below, _Region)
            return below
    return target.region if target.region is not None else event.region


def _within(event: _Event, region: _Region) -> bool:
    if event is region.opener or event is region.closer:
        return True
    assert event.lane is not None
    return any(node is region for node in _ancestors(event.lane))


def _compare_sorted_history(
    comparer: _Comparer, expected: list[_Event], actual: list[_Event]
) -> None:
    """History of a case with an ``sfn_parallel_events_sort`` transformer.

    README: the branch events of each Parallel state were sorted and given id [0], and some
    Parallel bookkeeping events were dropped: every recorded event must be present; extra
    ``Parallel*`` events are not a failure. So events with real ids ("anchors") must be the
    actual events with those ids; each run of [0] events must be found, as a multiset, among
    the actual events between the neighbouring anchors (their branch order and ids were lost in
    the recording, so they cannot be compared); any other actual event there must be a
    ``Parallel*`` event.
    """
    history = _HistoryComparer(comparer)
    by_id = {a.id: a for a in actual}
    sections: list[tuple[int, int, list[_Event]]] = []
    pending: list[_Event] = []
    last_anchor = 0
    for e in expected:
        if isinstance(e.id, int):
            sections.append((last_anchor, e.id, pending))
            pending = []
            last_anchor = e.id
            a = by_id.get(e.id)
            if a is None:
                comparer.mismatches.append(f"history: event {e.id} ({e.type}) missing")
                continue
            if a.type != e.type:
                comparer.mismatches.append(f"history: event {e.id} is {a.type}, expected {e.type}")
                continue
            history.event(e, a, comparer)
            path = (_HISTORY_SECTION, "events", e.index, "previousEventId")
            if a.prev != e.prev and not comparer.rules.skipped(path):
                comparer.mismatches.append(
                    f"event {e.id} ({e.type}): previousEventId {a.prev}, expected {e.prev}"
                )
        else:
            pending.append(e)
    sections.append((last_anchor, len(actual) + 1, pending))
    for low, high, group in sections:
        span = [a for a in actual if low < a.id < high]
        pairs = _bipartite(
            group,
            span,
            lambda e, a: (
                e.type == a.type
                and history._trial(lambda c, _m, e=e, a=a: history.event(e, a, c), comparer)
            ),
        )
        for e_index, a_index in pairs.items():
            history.event(group[e_index], span[a_index], comparer)
        matched = set(pairs.values())
        extras = [a for i, a in enumerate(span) if i not in matched]
        for e_index, e in enumerate(group):
            if e_index in pairs:
                continue
            same_type = [a for a in extras if a.type == e.type]
            if same_type:
                extras.remove(same_type[0])
                history.event(e, same_type[0], comparer)
            else:
                comparer.mismatches.append(
                    f"history: recorded {e.type} between events {low} and {high} is missing"
                )
        for a in extras:
            if not a.type.startswith("Parallel"):
                comparer.mismatches.append(
                    f"history: unexpected event {a.id} ({a.type}) between events {low} and {high}"
                )


# --------------------------------------------------------------------------------------------
# Public entry points.
# --------------------------------------------------------------------------------------------


def history_reverse_order(case: dict[str, JSONish]) -> bool:
    """Whether the case recorded GetExecutionHistory with ``reverseOrder=True``."""
    ids = [e.get("id") for e in case.get("expected", {}).get("history") or []]
    ints = [i for i in ids if isinstance(i, int)]
    return len(ints) > 1 and ints == sorted(ints, reverse=True)


def compare_case(case: dict[str, JSONish], actual: dict[str, JSONish]) -> list[str]:
    """Mismatches between an actual run and the case's recorded AWS result ([] = conforms).

    ``actual`` by case kind:

    * ``execution`` / ``sync_execution``: ``status`` (SUCCEEDED, FAILED, TIMED_OUT, ABORTED),
      ``output_raw`` (the exact output text, or None), ``output`` (parsed; used only when
      ``output_raw`` is absent), ``error``, ``cause`` (text, as DescribeExecution returns
      them), ``history`` (``execution`` only: the events exactly as GetExecutionHistory
      returns them, ``timestamp`` included and ignored; in reverse order when
      ``history_reverse_order(case)``);
    * ``test_state``: the TestState response: ``status``, ``output`` (JSON text), ``error``,
      ``cause``, ``nextState``, ``inspectionData`` (its fields as JSON text);
    * ``api_error``: ``status`` ("API_ERROR"), ``error`` (the error code), ``message``;
    * optionally ``placeholders``: ``{"${name}": value}`` for each ``${name}`` placeholder of
      the case the runner replaced with a resource it created (a bucket name, a queue URL);
      without it, transformers that name ``${name.pattern}`` cannot be applied.
    """
    placeholders = dict(actual.get("placeholders") or {})
    rules = _CaseRules.of(case, placeholders)
    comparer = _Comparer(rules)
    expected = case["expected"]
    normalised = normalise_actual(case, actual)
    kind = case.get("kind", "execution")
    section = _SECTION.get(kind, "describe_execution")
    for name in rules.unresolved_placeholders:
        comparer.mismatches.append(
            f"placeholder {name} was not reported in actual['placeholders']: its transformer "
            "cannot be applied"
        )

    if kind == "api_error":
        message = _api_error_message(str(expected.get("cause", "")), expected.get("error"))
        for key, wanted, got in (
            ("status", expected.get("status"), normalised.get("status")),
            ("error", expected.get("error"), normalised.get("error")),
            ("message", message, normalised.get("cause", _MISSING)),
        ):
            if not rules.skipped((section, key)):
                comparer.value(wanted, got, (section, key))
        return comparer.mismatches

    for key in ("status", "error", "cause", "nextState", "inspectionData"):
        _compare_field(comparer, expected, normalised, key, (section, key))
    _compare_output(comparer, expected, normalised, section)
    if "history" in expected:
        _compare_history(comparer, expected["history"], normalised.get("history"))
    return comparer.mismatches


def _compare_field(
    comparer: _Comparer,
    expected: dict[str, JSONish],
    normalised: dict[str, JSONish],
    key: str,
    path: tuple[str | int, ...],
) -> None:
    if comparer.rules.skipped(path):
        return
    if key in expected:
        comparer.value(expected[key], normalised.get(key, _MISSING), path)
    elif normalised.get(key) is not None:
        comparer.fail(path, f"unexpected value {_short(normalised[key])} (AWS had none)")


def _compare_output(
    comparer: _Comparer,
    expected: dict[str, JSONish],
    normalised: dict[str, JSONish],
    section: str,
) -> None:
    path = (section, "output")
    if comparer.rules.skipped(path):
        return
    if "output_raw" in expected:
        # Not an object: AWS's exact text was kept, so the text is compared.
        if isinstance(expected["output_raw"], str) and (
            expected["output_raw"] in comparer.rules.full_wildcards
        ):
            if "output" not in normalised:
                comparer.fail(path, "missing (expected any value)")
            return
        actual_raw = normalised.get("output_raw", _MISSING)
        if actual_raw is _MISSING and "output" in normalised:
            comparer.fail(
                path,
                f"expected {_short(expected['output_raw'])}, got {_short(normalised['output'])}",
            )
            return
        comparer.value(expected["output_raw"], actual_raw, path)
    elif "output" in expected:
        comparer.value(expected["output"], normalised.get("output", _MISSING), path)
    elif normalised.get("output") is not None:
        comparer.fail(path, f"unexpected output {_short(normalised['output'])} (AWS had none)")


_BOTO_PREFIX = re.compile(r"An error occurred \(([^)]*)\) when calling the \w+ operation: ")


def _api_error_message(cause: str, code: JSONish) -> str:
    # Some recordings kept str(ClientError), which botocore prefixes; the message AWS sent
    # is what follows the prefix.
    m = _BOTO_PREFIX.match(cause)
    if m is not None and m.group(1) == code:
        return cause[m.end() :]
    return cause


def format_mismatches(mismatches: Sequence[str], limit: int = 40) -> str:
    """A readable block for a test failure message."""
    shown = list(mismatches[:limit])
    if len(mismatches) > limit:
        shown.append(f"... and {len(mismatches) - limit} more")
    return "\n".join(f"- {m}" for m in shown)
