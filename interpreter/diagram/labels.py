"""Short texts for a diagram: Choice rules, Task resources, Retry and Wait settings.

A label has to fit on an edge or under a state name, so each function returns one line, and
:func:`shorten` cuts it with an ellipsis (the diagram keeps the full text as a tooltip).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from interpreter.definition import model as M
from interpreter.definition.resources import SYNC, WAIT_FOR_TASK_TOKEN, parse_task_resource

#: The longest label drawn in full.
MAX_LABEL: Final = 44

_COMPARISONS: Final = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
}
_TYPE_TESTS: Final = {
    "IsNull": ("is null", "is not null"),
    "IsPresent": ("is present", "is absent"),
    "IsNumeric": ("is numeric", "is not numeric"),
    "IsString": ("is a string", "is not a string"),
    "IsBoolean": ("is a boolean", "is not a boolean"),
    "IsTimestamp": ("is a timestamp", "is not a timestamp"),
}
_TYPE_PREFIXES: Final = ("String", "Numeric", "Boolean", "Timestamp")
_NOT_OPERATORS: Final = frozenset({"Variable", "Next", "Comment", "Assign", "Output"})


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def jsonata_text(value: str) -> str:
    """The expression inside ``{% ... %}`` (the text itself when it is not JSONata)."""
    stripped = value.strip()
    if stripped.startswith("{%") and stripped.endswith("%}"):
        return stripped[2:-2].strip()
    return value


def describe_rule(rule: Any) -> str:
    """A Choice rule (JSONPath) or Condition (JSONata) as one readable expression.

    ``{"Variable": "$.n", "NumericGreaterThanEquals": 10}`` reads ``$.n >= 10``; ``And``, ``Or``
    and ``Not`` read ``... and ...``, ``... or ...``, ``not (...)``.
    """
    if not isinstance(rule, Mapping):
        return "?"
    if "Condition" in rule:
        condition = rule["Condition"]
        return jsonata_text(condition) if isinstance(condition, str) else json.dumps(condition)
    if isinstance(rule.get("And"), list):
        return " and ".join(_operand(part) for part in rule["And"])
    if isinstance(rule.get("Or"), list):
        return " or ".join(_operand(part) for part in rule["Or"])
    if "Not" in rule:
        return f"not {_operand(rule['Not'], always=True)}"
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key not in _NOT_OPERATORS:
            return f"{variable} {_comparison(key, value)}"
    return variable


def _operand(rule: Any, *, always: bool = False) -> str:
    text = describe_rule(rule)
    compound = isinstance(rule, Mapping) and ("And" in rule or "Or" in rule)
    return f"({text})" if compound or (always and " " in text) else text


def _comparison(operator: str, value: Any) -> str:
    if operator in _TYPE_TESTS:
        yes, no = _TYPE_TESTS[operator]
        return yes if value is True else no
    if operator == "StringMatches":
        return f"matches {json.dumps(value, ensure_ascii=False)}"
    is_path = operator.endswith("Path")
    name = operator.removesuffix("Path")
    if name == "StringMatches":
        return f"matches {value}"
    for prefix in _TYPE_PREFIXES:
        if name.startswith(prefix) and name[len(prefix) :] in _COMPARISONS:
            symbol = _COMPARISONS[name[len(prefix) :]]
            shown = str(value) if is_path else json.dumps(value, ensure_ascii=False)
            return f"{symbol} {shown}"
    return f"{operator} {json.dumps(value, ensure_ascii=False)}"


def describe_resource(resource: str, spec: Mapping[str, Any]) -> str:
    """A Task's resource in a few words: ``Lambda ReserveStock``, ``sqs:sendMessage · callback``.

    ``spec`` is the state's definition, for the ``FunctionName`` of ``lambda:invoke``.
    """
    parsed = parse_task_resource(resource)
    if parsed is None:
        return resource
    if parsed.kind == "lambda_function":
        return f"Lambda {resource.split(':function:', 1)[1].split(':', 1)[0]}"
    if parsed.kind == "activity":
        return f"Activity {resource.rsplit(':', 1)[1]}"
    text = f"{parsed.service}:{parsed.action}"
    if parsed.kind == "aws_sdk":
        text = f"SDK {text}"
    if parsed.service == "lambda" and parsed.action == "invoke":
        function = _function_name(spec)
        text = f"Lambda {function}" if function else text
    if parsed.pattern == WAIT_FOR_TASK_TOKEN:
        return f"{text} · callback"
    if parsed.pattern == SYNC:
        return f"{text} · sync"
    return text


def _function_name(spec: Mapping[str, Any]) -> str | None:
    for key in ("Parameters", "Arguments"):
        arguments = spec.get(key)
        if isinstance(arguments, Mapping) and isinstance(arguments.get("FunctionName"), str):
            name: str = arguments["FunctionName"]
            return name.split(":function:", 1)[-1].split(":", 1)[0]
    return None


def describe_retry(retriers: tuple[M.Retrier, ...]) -> str:
    """A state's ``Retry`` list: ``↻ StockServiceBusy ×4; States.Timeout ×1``."""
    if not retriers:
        return ""
    parts = [f"{', '.join(r.error_equals)} ×{r.max_attempts}" for r in retriers]
    return "↻ " + "; ".join(parts)


def describe_wait(spec: Mapping[str, Any]) -> str:
    """A Wait state's timing: ``10 s``, ``until $.deadline``, ``$states.input.delay s``."""
    for key, template in (
        ("Seconds", "{} s"),
        ("SecondsPath", "{} s"),
        ("Timestamp", "until {}"),
        ("TimestampPath", "until {}"),
    ):
        if key in spec:
            value = spec[key]
            shown = jsonata_text(value) if isinstance(value, str) else json.dumps(value)
            return template.format(shown)
    return ""


def describe_map(state: M.MapState, spec: Mapping[str, Any]) -> str:
    """A Map state's mode and source: ``Inline · $.items``, ``Distributed · S3 items``."""
    mode = "Distributed" if state.processor_mode == "DISTRIBUTED" else "Inline"
    if state.item_reader is not None:
        return f"{mode} · {describe_resource(state.item_reader.resource, {})}"
    for key in ("ItemsPath", "Items"):
        value = spec.get(key)
        if isinstance(value, str):
            return f"{mode} · {jsonata_text(value)}"
    return mode


def describe_fail(spec: Mapping[str, Any]) -> str:
    """A Fail state's error name (or the path or expression that gives it)."""
    for key in ("Error", "ErrorPath"):
        value = spec.get(key)
        if isinstance(value, str):
            return jsonata_text(value)
    return ""
