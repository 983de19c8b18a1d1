"""``DefinitionSubstitutions``: the ``${Name}`` placeholders of a definition and their values.

CloudFormation replaces each ``${Name}`` of a state machine's definition with the value of the
``DefinitionSubstitutions`` entry ``Name``, as text, before Step Functions reads the definition.
:func:`substitute_text` does the same to JSON text (so a placeholder may stand for a number, as
``"MaxConcurrency": ${Count}``), :func:`substitute_values` to a parsed (YAML) definition's
strings. A placeholder left over is an error here — on AWS it would reach Step Functions as
literal text and fail later — and :class:`UnresolvedPlaceholderError` names each one and where
it is: a JSON Pointer into the definition, or a line and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Final

from interpreter.definition.locations import child, item
from interpreter.json_types import JSON, parse_json
from interpreter.project.errors import ProjectError

_PLACEHOLDER: Final = re.compile(r"\$\{([^${}]*)\}")


class UnresolvedPlaceholderError(ProjectError):
    """A ``${Name}`` placeholder that no substitution fills."""

    def __init__(self, origin: str, found: list[tuple[str, str]]) -> None:
        self.origin = origin
        #: (placeholder name, where) pairs.
        self.found = found
        names = sorted({name for name, _ in found})
        listed = "; ".join(f"${{{name}}} at {where}" for name, where in found[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        super().__init__(
            f"{origin}: the definition's placeholder{'s' if len(names) > 1 else ''} "
            f"{', '.join('${' + name + '}' for name in names)} "
            f"{'have' if len(names) > 1 else 'has'} no value ({listed}{more}): give "
            f"{'them' if len(names) > 1 else 'it'} with DefinitionSubstitutions or "
            f"--sub {names[0]}=VALUE"
        )


def _replace(text: str, substitutions: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return substitutions[name] if name in substitutions else match.group(0)

    return _PLACEHOLDER.sub(value, text)


def substitute_text(text: str, substitutions: Mapping[str, str], origin: str) -> str:
    """JSON definition text with its placeholders replaced; raises UnresolvedPlaceholderError.

    Text without placeholders comes back unchanged (its own JSON errors stay the validator's).
    """
    if "${" not in text:
        return text
    replaced = _replace(text, substitutions)
    if not _PLACEHOLDER.search(replaced):
        return replaced
    try:
        parsed = parse_json(replaced)
    except (ValueError, RecursionError):
        found = [(m.group(1), _line_column(replaced, m.start())) for m in _finditer(replaced)]
    else:
        found = list(_placeholders_in(parsed, ""))
    raise UnresolvedPlaceholderError(origin, found)


def substitute_values(definition: JSON, substitutions: Mapping[str, str], origin: str) -> JSON:
    """A parsed definition with the placeholders in its strings (keys too) replaced."""
    replaced = _substitute(definition, substitutions)
    found = list(_placeholders_in(replaced, ""))
    if found:
        raise UnresolvedPlaceholderError(origin, found)
    return replaced


def placeholder_names(text: str) -> set[str]:
    """The names of the placeholders in ``text``."""
    return {match.group(1) for match in _finditer(text)}


def _substitute(value: JSON, substitutions: Mapping[str, str]) -> JSON:
    if isinstance(value, str):
        return _replace(value, substitutions) if "${" in value else value
    if isinstance(value, list):
        return [_substitute(entry, substitutions) for entry in value]
    if isinstance(value, dict):
        return {
            _replace(key, substitutions) if "${" in key else key: _substitute(entry, substitutions)
            for key, entry in value.items()
        }
    return value


def _placeholders_in(value: JSON, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        for match in _finditer(value):
            yield match.group(1), pointer or "/"
    elif isinstance(value, list):
        for index, entry in enumerate(value):
            yield from _placeholders_in(entry, item(pointer, index))
    elif isinstance(value, dict):
        for key, entry in value.items():
            for match in _finditer(key):
                yield match.group(1), child(pointer, key)
            yield from _placeholders_in(entry, child(pointer, key))


def _finditer(text: str) -> Iterator[re.Match[str]]:
    return _PLACEHOLDER.finditer(text)


def _line_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def to_definition_text(definition: JSON) -> str:
    """A parsed definition as JSON text (what the validator and the engine read)."""
    return json.dumps(definition, ensure_ascii=False, allow_nan=True)
