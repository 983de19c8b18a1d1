"""Per-state rules the JSON Schema cannot express.

Each rule is a small function that takes a :class:`StateContext` and yields
:class:`~interpreter.definition.diagnostics.Diagnostic` objects located in the definition. Rules
run after the schema check of the same state and never trust a field's type: a field of the
wrong type was already reported by the schema, so a rule skips it silently.

Messages quote AWS where its wording is known (recorded answers and measured diagnostics); the
others are ours, worded in the same style.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from interpreter.definition import syntax
from interpreter.definition.diagnostics import (
    INVALID_JSONATA_EXPRESSION,
    INVALID_LABEL_NAME,
    NO_DOLLAR,
    NO_PATH,
    PASS_RESULT_IS_STATIC,
    SCHEMA_VALIDATION_FAILED,
    TOO_DEEPLY_NESTED,
    UNSUPPORTED_JSONATA_EXPRESSION,
    Diagnostic,
    error,
    warning,
)
from interpreter.definition.locations import child, item
from interpreter.definition.resources import (
    SYNC,
    WAIT_FOR_TASK_TOKEN,
    parse_task_resource,
)

JSONPATH: Final = "JSONPath"
JSONATA: Final = "JSONata"
EXPRESS: Final = "EXPRESS"

#: Choice rules nested deeper than this (And/Or/Not inside each other) are refused. Ours: the
#: schema check recurses once per level, and no real definition comes close.
MAX_CHOICE_RULE_DEPTH: Final = 32

#: A Map Label: at most 40 characters, none of these (AWS's rule for names, which Labels follow).
MAX_LABEL_LENGTH: Final = 40
_LABEL_FORBIDDEN: Final = frozenset(' <>{}[]?*"#%\\^|~`$&,;:/') | frozenset(
    chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))
)

#: State fields that only JSONPath states may have.
JSONPATH_ONLY_FIELDS: Final = (
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)
#: State fields that only JSONata states may have.
JSONATA_ONLY_FIELDS: Final = ("Arguments", "Output", "Items")

#: Choice rule comparison operators (JSONPath only).
COMPARISON_OPERATORS: Final = frozenset(
    [
        f"{kind}{relation}{suffix}"
        for kind in ("String", "Numeric", "Timestamp")
        for relation in (
            "Equals",
            "LessThan",
            "GreaterThan",
            "LessThanEquals",
            "GreaterThanEquals",
        )
        for suffix in ("", "Path")
    ]
    + ["StringMatches", "BooleanEquals", "BooleanEqualsPath"]
    + ["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"]
)
_JSONPATH_RULE_FIELDS: Final = frozenset({"Variable", "And", "Or", "Not"}) | COMPARISON_OPERATORS
_JSONATA_RULE_FIELDS: Final = frozenset({"Condition", "Output"})

#: Fields whose value, outside JSONata, must be a number; what AWS calls that number.
_NUMERIC_FIELDS: Final[Mapping[str, str]] = {
    "TimeoutSeconds": "a positive integer",
    "HeartbeatSeconds": "a positive integer",
    "Seconds": "a non-negative integer",
    "MaxConcurrency": "a non-negative integer",
    "ToleratedFailureCount": "a non-negative integer",
    "ToleratedFailurePercentage": "a number between 0 and 100",
    "MaxItems": "a non-negative integer",
    "MaxItemsPerBatch": "a positive integer",
    "MaxInputBytesPerBatch": "a positive integer",
}

#: Reference-path fields (a single node: no wildcards, filters or ``..``).
_REFERENCE_PATH_FIELDS: Final = (
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)

#: Keys of a state whose values are never JSONata (structure, names, ARNs).
_NOT_EXPRESSIONS: Final = frozenset(
    {
        "Type",
        "Comment",
        "QueryLanguage",
        "Next",
        "End",
        "Default",
        "Resource",
        "Branches",
        "ItemProcessor",
        "Iterator",
        "Label",
        "ProcessorConfig",
    }
)

#: List fields of a state whose entries hold expressions only in these fields.
_ENTRY_EXPRESSIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "Choices": ("Condition", "Output", "Assign"),
    "Catch": ("Output", "Assign"),
    "Retry": (),
}

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))"
)
_LOOKS_LIKE_PATH = re.compile(r"\$\$?(?:[.\[]|$)")


@dataclass(frozen=True, slots=True)
class StateContext:
    """One state being validated, and what it inherits from its state machine."""

    name: str
    state: Mapping[str, Any]
    #: The state's location, ``/States/<name>`` (nested: ``.../Branches[0]/States/<name>``).
    location: str
    #: The query language the state runs with (its own ``QueryLanguage``, else the machine's).
    query_language: str
    #: The top-level ``QueryLanguage`` of the machine.
    machine_query_language: str
    state_machine_type: str

    @property
    def type(self) -> str:
        """The state's ``Type`` (the caller only builds contexts for valid types)."""
        return str(self.state.get("Type"))

    @property
    def is_jsonata(self) -> bool:
        """True when the state's expressions are JSONata."""
        return self.query_language == JSONATA

    def at(self, *keys: str | int) -> str:
        """The location of a field of the state (keys and array indices)."""
        location = self.location
        for key in keys:
            location = item(location, key) if isinstance(key, int) else child(location, key)
        return location


Rule = Callable[[StateContext], Iterator[Diagnostic]]


def resolve_query_language(value: object, inherited: str) -> str:
    """The query language a ``QueryLanguage`` value selects.

    AWS treats exactly ``"JSONPath"`` as JSONPath and any other given value as JSONata (an
    invalid value is reported separately by the schema); an absent value inherits.
    """
    if value is None:
        return inherited
    return JSONPATH if value == JSONPATH else JSONATA


def _failed(message: str, location: str) -> Diagnostic:
    return error(SCHEMA_VALIDATION_FAILED, message, location)


def _exclusive(ctx: StateContext, *fields: str) -> Iterator[Diagnostic]:
    present = [field for field in fields if field in ctx.state]
    if len(present) > 1:
        listed = " and ".join(f"'{field}'" for field in present)
        yield _failed(f"The fields {listed} are mutually exclusive", ctx.location)


# --------------------------------------------------------------------------- transitions


def check_next_or_end(ctx: StateContext) -> Iterator[Diagnostic]:
    """States that continue must say how: exactly one of ``Next`` or ``"End": true``."""
    if ctx.type in ("Choice", "Succeed", "Fail"):
        return
    has_next = "Next" in ctx.state
    ends = ctx.state.get("End") is True
    if has_next and ends:
        yield _failed("The fields 'Next' and 'End' are mutually exclusive", ctx.location)
    elif not has_next and not ends:
        yield _failed("The field 'Next' or 'End' is required but was missing", ctx.location)


# --------------------------------------------------------------------------- query language


def check_query_language(ctx: StateContext) -> Iterator[Diagnostic]:
    """Fields of the other query language are refused; so is JSONPath inside a JSONata machine."""
    if ctx.state.get("QueryLanguage") == JSONPATH and ctx.machine_query_language == JSONATA:
        yield _failed(
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            ctx.location,
        )
    yield from _foreign_fields(
        ctx, ctx.state, ctx.location, JSONPATH_ONLY_FIELDS, JSONATA_ONLY_FIELDS
    )
    for index, catcher in _items(ctx.state.get("Catch")):
        yield from _foreign_fields(
            ctx, catcher, ctx.at("Catch", index), ("ResultPath",), ("Output",)
        )
    for key, paths, expressions in (
        ("ItemReader", ("Parameters",), ("Arguments",)),
        ("ResultWriter", ("Parameters",), ("Arguments",)),
        ("ItemBatcher", ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"), ()),
    ):
        nested = ctx.state.get(key)
        if isinstance(nested, dict):
            yield from _foreign_fields(ctx, nested, ctx.at(key), paths, expressions)
    reader = ctx.state.get("ItemReader")
    if isinstance(reader, dict) and isinstance(reader.get("ReaderConfig"), dict):
        yield from _foreign_fields(
            ctx, reader["ReaderConfig"], ctx.at("ItemReader", "ReaderConfig"), ("MaxItemsPath",), ()
        )
    yield from _numbers_outside_jsonata(ctx)


def _foreign_fields(
    ctx: StateContext,
    node: Mapping[str, Any],
    location: str,
    jsonpath_only: tuple[str, ...] | frozenset[str],
    jsonata_only: tuple[str, ...] | frozenset[str],
) -> Iterator[Diagnostic]:
    language, other, foreign = (
        (JSONATA, JSONPATH, jsonpath_only) if ctx.is_jsonata else (JSONPATH, JSONATA, jsonata_only)
    )
    for field in node:
        if field in foreign:
            yield _failed(
                f"The QueryLanguage is set to '{language}', but field '{field}' is only "
                f"supported for the '{other}' QueryLanguage",
                location,
            )


def _numbers_outside_jsonata(ctx: StateContext) -> Iterator[Diagnostic]:
    """A JSONata expression where a number belongs is only allowed in JSONata states."""
    if ctx.is_jsonata:
        return
    nodes: list[tuple[Mapping[str, Any], str]] = [(ctx.state, ctx.location)]
    if isinstance(ctx.state.get("ItemBatcher"), dict):
        nodes.append((ctx.state["ItemBatcher"], ctx.at("ItemBatcher")))
    reader = ctx.state.get("ItemReader")
    if isinstance(reader, dict) and isinstance(reader.get("ReaderConfig"), dict):
        nodes.append((reader["ReaderConfig"], ctx.at("ItemReader", "ReaderConfig")))
    for node, location in nodes:
        for field, described in _NUMERIC_FIELDS.items():
            # Other strings fail the schema's own check; only an expression needs this rule.
            if syntax.is_jsonata_expression(node.get(field)):
                yield _failed(
                    f"The value for the field '{field}' must be {described}", child(location, field)
                )


# --------------------------------------------------------------------------- paths and templates


def check_paths(ctx: StateContext) -> Iterator[Diagnostic]:
    """JSONPath states: every path field holds a well-formed path of the right kind."""
    if ctx.is_jsonata:
        return
    state = ctx.state
    for field in ("InputPath", "OutputPath"):
        yield from _path_field(state, field, ctx.at(field), reference=False)
    yield from _path_field(state, "ResultPath", ctx.at("ResultPath"), reference=True)
    for field in _REFERENCE_PATH_FIELDS:
        yield from _path_field(state, field, ctx.at(field), reference=True)
    for field in ("ErrorPath", "CausePath"):
        value = state.get(field)
        if isinstance(value, str) and syntax.path_or_intrinsic_error(value):
            yield _failed(_path_or_intrinsic_message(field), ctx.at(field))
    for index, catcher in _items(state.get("Catch")):
        yield from _path_field(
            catcher, "ResultPath", ctx.at("Catch", index, "ResultPath"), reference=True
        )
    reader = state.get("ItemReader")
    if isinstance(reader, dict) and isinstance(reader.get("ReaderConfig"), dict):
        yield from _path_field(
            reader["ReaderConfig"],
            "MaxItemsPath",
            ctx.at("ItemReader", "ReaderConfig", "MaxItemsPath"),
            reference=True,
        )
    batcher = state.get("ItemBatcher")
    if isinstance(batcher, dict):
        for field in ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"):
            yield from _path_field(batcher, field, ctx.at("ItemBatcher", field), reference=True)


_REFERENCE_CHECKS: Final = {
    "ResultPath": syntax.reference_path_error,
    "ItemsPath": syntax.items_path_error,
}


def _path_field(
    node: Mapping[str, Any], field: str, location: str, *, reference: bool
) -> Iterator[Diagnostic]:
    """A path field: a Path, or (``reference``) a Reference Path — one node, and for ResultPath
    a node of the state input (no ``$$`` or variables, which cannot be written)."""
    value = node.get(field)
    if not isinstance(value, str):
        return
    if reference:
        check = _REFERENCE_CHECKS.get(field, syntax.definite_path_error)
        if check(value):
            yield _failed(
                f"The value for the field '{field}' must be a valid ReferencePath", location
            )
    elif syntax.path_error(value):
        yield _failed(f"The value for the field '{field}' must be a valid JSONPath", location)


def _path_or_intrinsic_message(field: str) -> str:
    return (
        f"The value for the field '{field}' must be a valid JSONPath or a valid intrinsic "
        "function call"
    )


def check_templates(ctx: StateContext) -> Iterator[Diagnostic]:
    """Payload templates: ``.$`` keys hold paths or intrinsics (JSONPath); expressions parse
    (JSONata)."""
    if ctx.is_jsonata:
        yield from _jsonata_expressions(ctx)
        return
    for field, location, template in _jsonpath_templates(ctx):
        yield from _template_diagnostics(field, location, template)
    result = ctx.state.get("Result")
    if ctx.type == "Pass" and _has_dollar_key(result):
        yield warning(
            PASS_RESULT_IS_STATIC,
            "The field 'Result' holds keys ending in '.$', but 'Result' is static: "
            "no path or intrinsic function is evaluated in it",
            ctx.at("Result"),
        )


def _jsonpath_templates(ctx: StateContext) -> Iterator[tuple[str, str, Any]]:
    state = ctx.state
    for field in ("Parameters", "ResultSelector", "ItemSelector", "Assign", "Credentials"):
        if field in state:
            yield field, ctx.at(field), state[field]
    for index, catcher in _items(state.get("Catch")):
        if "Assign" in catcher:
            yield "Assign", ctx.at("Catch", index, "Assign"), catcher["Assign"]
    for rule, location, _depth in _choice_rules(ctx):
        if "Assign" in rule:
            yield "Assign", child(location, "Assign"), rule["Assign"]
    for key, field in (
        ("ItemReader", "Parameters"),
        ("ResultWriter", "Parameters"),
        ("ItemBatcher", "BatchInput"),
    ):
        nested = state.get(key)
        if isinstance(nested, dict) and field in nested:
            yield field, ctx.at(key, field), nested[field]


def _template_diagnostics(field: str, location: str, template: Any) -> Iterator[Diagnostic]:
    """Walk a JSONPath payload template (iteratively: templates may nest deeply)."""
    pending: list[Any] = [template]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if isinstance(key, str) and key.endswith(".$"):
                if not isinstance(value, str) or syntax.path_or_intrinsic_error(value):
                    yield _failed(_path_or_intrinsic_message(key), location)
            else:
                if isinstance(value, str) and _looks_evaluable(value):
                    yield warning(
                        NO_DOLLAR,
                        f"The value of the field '{key}' looks like a JSONPath or an intrinsic "
                        "function call, but the field name does not end with '.$'",
                        location,
                    )
                pending.append(value)


def _looks_evaluable(value: str) -> bool:
    if _LOOKS_LIKE_PATH.match(value):
        return True
    return syntax.looks_like_intrinsic(value) and value.endswith(")") and "(" in value


def _has_dollar_key(value: Any) -> bool:
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if any(isinstance(key, str) and key.endswith(".$") for key in node):
                return True
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


def _jsonata_expressions(ctx: StateContext) -> Iterator[Diagnostic]:
    """Every ``{% ... %}`` string of a JSONata state must compile and be supported.

    Structure is followed field by field (a catcher's ``Output``, a rule's ``Condition``...);
    a payload (``Arguments``, ``Output``, ``Assign``, ``ItemSelector``...) is walked whole.
    """
    pending: list[tuple[Any, str, frozenset[str]]] = []
    produces_result = ctx.state.get("Type") in ("Task", "Map", "Parallel")
    for key, value in ctx.state.items():
        if key in _NOT_EXPRESSIONS:
            continue
        if key in _ENTRY_EXPRESSIONS:
            members = _CATCH_MEMBERS if key == "Catch" else _PLAIN_MEMBERS
            pending.extend(
                (entry[field], ctx.at(key, index, field), members)
                for index, entry in _items(value)
                for field in _ENTRY_EXPRESSIONS[key]
                if field in entry
            )
        elif key in ("ItemReader", "ResultWriter") and isinstance(value, dict):
            pending.extend(
                (sub, ctx.at(key, field), _PLAIN_MEMBERS)
                for field, sub in value.items()
                if field != "Resource"
            )
        else:
            with_result = produces_result and key in ("Output", "Assign")
            pending.append((value, ctx.at(key), _RESULT_MEMBERS if with_result else _PLAIN_MEMBERS))
    while pending:
        node, location, members = pending.pop()
        if isinstance(node, str):
            if syntax.is_jsonata_expression(node):
                body = syntax.jsonata_body(node)
                yield from _jsonata_expression(body, location)
                yield from _states_members(body, location, members)
        elif isinstance(node, dict):
            pending.extend(
                (value, child(location, str(key)), members) for key, value in node.items()
            )
        elif isinstance(node, list):
            pending.extend(
                (value, item(location, index), members) for index, value in enumerate(node)
            )


# Which members of $states a field may read (AWS's scoping): ``result`` only where a Task, Map
# or Parallel state's result exists (its Output and Assign), ``errorOutput`` only in a Catcher.
_PLAIN_MEMBERS: Final = frozenset({"input", "context"})
_RESULT_MEMBERS: Final = frozenset({"input", "context", "result"})
_CATCH_MEMBERS: Final = frozenset({"input", "context", "errorOutput"})
_STATES_MEMBER = re.compile(r"\$states\s*\.\s*(result|errorOutput)\b")


def _states_members(
    expression: str, location: str, allowed: frozenset[str]
) -> Iterator[Diagnostic]:
    for member in sorted({m.group(1) for m in _STATES_MEMBER.finditer(expression)} - allowed):
        yield _failed(f"The variable '$states.{member}' is not available in this field", location)


def _jsonata_expression(expression: str, location: str) -> Iterator[Diagnostic]:
    reason = syntax.jsonata_error(expression)
    if reason:
        yield error(INVALID_JSONATA_EXPRESSION, reason, location)
        return
    for name in syntax.jsonata_top_level_references(expression):
        # AWS's wording: the context item itself, or a name read from it.
        where = "" if name.startswith("$") else " at the top level"
        yield error(
            UNSUPPORTED_JSONATA_EXPRESSION,
            f"Reference to '{name}'{where} is not supported.",
            location,
        )


# --------------------------------------------------------------------------- Retry and Catch


def check_error_equals(ctx: StateContext) -> Iterator[Diagnostic]:
    """``States.ALL`` must be alone in its ``ErrorEquals`` and in the last retrier/catcher."""
    for field in ("Retry", "Catch"):
        entries = list(_items(ctx.state.get(field)))
        for position, (index, entry) in enumerate(entries):
            names = entry.get("ErrorEquals")
            if not isinstance(names, list) or "States.ALL" not in names:
                continue
            location = ctx.at(field, index, "ErrorEquals")
            if len(names) > 1:
                yield _failed("'States.ALL' must appear alone in 'ErrorEquals'", location)
            if position != len(entries) - 1:
                kind = "retrier" if field == "Retry" else "catcher"
                yield _failed(
                    f"A {kind} with 'States.ALL' in 'ErrorEquals' must be the last in '{field}'",
                    location,
                )


# --------------------------------------------------------------------------- Task


def check_task(ctx: StateContext) -> Iterator[Diagnostic]:
    """Task: a recognised Resource, Express restrictions, timeout fields."""
    if ctx.type != "Task":
        return
    yield from _exclusive(ctx, "TimeoutSeconds", "TimeoutSecondsPath")
    yield from _exclusive(ctx, "HeartbeatSeconds", "HeartbeatSecondsPath")
    timeout, heartbeat = ctx.state.get("TimeoutSeconds"), ctx.state.get("HeartbeatSeconds")
    if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout > 0:
        yield _failed(
            "The value for the field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'",
            ctx.at("HeartbeatSeconds"),
        )
    arn = ctx.state.get("Resource")
    if not isinstance(arn, str):
        return
    resource = parse_task_resource(arn)
    location = ctx.at("Resource")
    if resource is None:
        yield _failed(
            f"The resource provided {arn} is not recognized. The value is not a valid resource "
            "ARN, or the resource is not available in this region.",
            location,
        )
        return
    if ctx.state_machine_type != EXPRESS:
        return
    if resource.pattern == SYNC:
        yield _failed(
            "Express state machine does not support '.sync' service integration", location
        )
    elif resource.pattern == WAIT_FOR_TASK_TOKEN:
        # AWS's message ends with a space before " at <location>"; kept as recorded.
        yield _failed(
            "Express state machine does not support '.waitForTaskToken' service integration ",
            location,
        )
    elif resource.kind == "activity":
        yield _failed("Express state machine does not support activities", location)


# --------------------------------------------------------------------------- Wait and Fail


def check_wait(ctx: StateContext) -> Iterator[Diagnostic]:
    """Wait: exactly one way to say how long; a literal Timestamp is RFC 3339."""
    if ctx.type != "Wait":
        return
    fields = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
    present = [field for field in fields if field in ctx.state]
    if len(present) != 1:
        yield _failed(
            "Exactly one of the fields 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath' "
            "must be present",
            ctx.location,
        )
    timestamp = ctx.state.get("Timestamp")
    if (
        isinstance(timestamp, str)
        and not (ctx.is_jsonata and syntax.is_jsonata_expression(timestamp))
        and not is_rfc3339(timestamp)
    ):
        yield _failed("String does not match RFC3339 timestamp", ctx.at("Timestamp"))


def is_rfc3339(text: str) -> bool:
    """True for an RFC 3339 date-time with a zone (``2016-03-14T01:59:00Z``, ``...+02:00``)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    offset_hour, offset_minute = match.group(7), match.group(8)
    if offset_hour is not None and (int(offset_hour) > 23 or int(offset_minute) > 59):
        return False
    try:
        # A leap second (60) is valid RFC 3339; datetime cannot hold it, so check it as :59.
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return second <= 60


def check_fail(ctx: StateContext) -> Iterator[Diagnostic]:
    """Fail: Error/ErrorPath and Cause/CausePath are alternatives."""
    if ctx.type != "Fail":
        return
    yield from _exclusive(ctx, "Error", "ErrorPath")
    yield from _exclusive(ctx, "Cause", "CausePath")
    if ctx.is_jsonata:
        return
    for field in ("Error", "Cause"):
        value = ctx.state.get(field)
        if isinstance(value, str) and _LOOKS_LIKE_PATH.match(value):
            yield warning(
                NO_PATH,
                f"The value of the field '{field}' looks like a path, but the field name does "
                "not end with 'Path'",
                ctx.at(field),
            )


# --------------------------------------------------------------------------- Map


def check_map(ctx: StateContext) -> Iterator[Diagnostic]:
    """Map: one processor, no conflicting alternatives, a well-formed Label."""
    if ctx.type != "Map":
        return
    state = ctx.state
    if "ItemProcessor" not in state and "Iterator" not in state:
        yield _failed("The field 'ItemProcessor' is required but was missing", ctx.location)
    for pair in (
        ("ItemProcessor", "Iterator"),
        ("ItemSelector", "Parameters"),
        ("Items", "ItemsPath"),
        ("MaxConcurrency", "MaxConcurrencyPath"),
        ("ToleratedFailureCount", "ToleratedFailureCountPath"),
        ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ):
        yield from _exclusive(ctx, *pair)
    label = state.get("Label")
    if isinstance(label, str):
        reason = label_error(label)
        if reason:
            yield error(INVALID_LABEL_NAME, reason, ctx.at("Label"))


def label_error(label: str) -> str | None:
    """Why a Map ``Label`` is invalid, worded as the recorded AWS answers word it, or None."""
    if not label:
        return "Label cannot be empty"
    for char in label:
        if char in _LABEL_FORBIDDEN:
            return f"Label contains invalid character: {char!r}"
    if len(label) > MAX_LABEL_LENGTH:
        return f"Label cannot exceed {MAX_LABEL_LENGTH} characters"
    return None


# --------------------------------------------------------------------------- Choice


def check_choice(ctx: StateContext) -> Iterator[Diagnostic]:
    """Choice rules: one condition each, of the state's query language; literal timestamps."""
    if ctx.type != "Choice":
        return
    for rule, location, depth in _choice_rules(ctx):
        if depth > MAX_CHOICE_RULE_DEPTH:
            yield error(TOO_DEEPLY_NESTED, "The Choice rules are too deeply nested", location)
            return
        if ctx.is_jsonata:
            yield from _foreign_fields(ctx, rule, location, _JSONPATH_RULE_FIELDS, ())
            if depth == 0 and "Condition" not in rule:
                yield _failed("The field 'Condition' is required but was missing", location)
            continue
        yield from _foreign_fields(ctx, rule, location, (), _JSONATA_RULE_FIELDS)
        yield from _jsonpath_rule(rule, location)


def _jsonpath_rule(rule: Mapping[str, Any], location: str) -> Iterator[Diagnostic]:
    operators = [key for key in rule if key in COMPARISON_OPERATORS]
    combinators = [key for key in ("And", "Or", "Not") if key in rule]
    if "Variable" in rule:
        if len(operators) != 1 or combinators:
            yield _failed(
                "A Choice rule with 'Variable' must have exactly one comparison operator",
                location,
            )
        variable = rule["Variable"]
        if isinstance(variable, str) and syntax.path_error(variable):
            yield _failed(
                "The value for the field 'Variable' must be a valid JSONPath",
                child(location, "Variable"),
            )
    elif operators or len(combinators) != 1:
        yield _failed(
            "A Choice rule must have exactly one of 'And', 'Or', 'Not', or 'Variable' with a "
            "comparison operator",
            location,
        )
    for operator in operators:
        value = rule[operator]
        if not isinstance(value, str):
            continue
        if operator.endswith("Path") and syntax.path_error(value):
            yield _failed(
                f"The value for the field '{operator}' must be a valid JSONPath",
                child(location, operator),
            )
        elif (
            operator.startswith("Timestamp")
            and not operator.endswith("Path")
            and (not is_rfc3339(value))
        ):
            yield _failed("String does not match RFC3339 timestamp", child(location, operator))


def choice_rule_depth_exceeded(state: Mapping[str, Any]) -> bool:
    """True when a Choice state's rules nest deeper than :data:`MAX_CHOICE_RULE_DEPTH`."""
    pending: list[tuple[Any, int]] = [(rule, 0) for rule in _list(state.get("Choices"))]
    while pending:
        rule, depth = pending.pop()
        if not isinstance(rule, dict):
            continue
        if depth > MAX_CHOICE_RULE_DEPTH:
            return True
        pending.extend((nested, depth + 1) for nested in _nested_rules(rule))
    return False


def _choice_rules(ctx: StateContext) -> Iterator[tuple[Mapping[str, Any], str, int]]:
    """Every Choice rule of the state (top-level and nested) with its location and depth."""
    if ctx.type != "Choice":
        return
    pending: list[tuple[Mapping[str, Any], str, int]] = [
        (rule, ctx.at("Choices", index), 0) for index, rule in _items(ctx.state.get("Choices"))
    ]
    pending.reverse()
    while pending:
        rule, location, depth = pending.pop()
        yield rule, location, depth
        if depth > MAX_CHOICE_RULE_DEPTH:
            continue
        nested: list[tuple[Mapping[str, Any], str, int]] = []
        for key in ("And", "Or"):
            nested.extend(
                (sub, item(child(location, key), index), depth + 1)
                for index, sub in _items(rule.get(key))
            )
        if isinstance(rule.get("Not"), dict):
            nested.append((rule["Not"], child(location, "Not"), depth + 1))
        pending.extend(reversed(nested))


def _nested_rules(rule: Mapping[str, Any]) -> Iterator[Any]:
    for key in ("And", "Or"):
        yield from _list(rule.get(key))
    if "Not" in rule:
        yield rule["Not"]


# --------------------------------------------------------------------------- helpers


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _items(value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The object items of a list field with their indices (other items are skipped)."""
    for index, entry in enumerate(_list(value)):
        if isinstance(entry, dict):
            yield index, entry


#: The rules, in the order their diagnostics are reported for a state.
STATE_RULES: Final[tuple[Rule, ...]] = (
    check_next_or_end,
    check_query_language,
    check_task,
    check_wait,
    check_fail,
    check_map,
    check_choice,
    check_error_equals,
    check_paths,
    check_templates,
)


def state_diagnostics(ctx: StateContext) -> Iterator[Diagnostic]:
    """All rule diagnostics for one state."""
    for rule in STATE_RULES:
        yield from rule(ctx)
