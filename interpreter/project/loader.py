"""Definitions where users keep them: ``.asl.json``, ``.asl.yaml``, SAM/CloudFormation templates.

:func:`open_project` reads a file (or ``-``, standard input) and tells which it is: a definition
(JSON, or YAML with YAML 1.2 scalars), or a template whose ``AWS::Serverless::StateMachine`` and
``AWS::StepFunctions::StateMachine`` resources hold definitions. :meth:`Project.machine` gives one
machine's :class:`MachineSource` — its definition as JSON text with every ``${Name}`` placeholder
filled from ``DefinitionSubstitutions`` and ``--sub`` — ready for the validator or the engine;
:meth:`Project.machines` gives every machine of a template, each with its own error if it has one.
:func:`load_definition` does both for callers that want one definition (``asl run``, a future
``asl graph``).

Where a template's machine gets its definition:

* ``AWS::Serverless::StateMachine``: ``Definition`` (a map, intrinsics resolved) or
  ``DefinitionUri`` (a local JSON or YAML file, relative to the template); ``Type``, ``Name``.
* ``AWS::StepFunctions::StateMachine``: ``Definition``, ``DefinitionString`` (``Fn::Sub`` /
  ``Fn::Join`` resolved) or ``DefinitionS3Location`` given as a local path (as ``aws
  cloudformation package`` takes it); ``StateMachineType``, ``StateMachineName``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from interpreter.json_types import JSON, parse_json
from interpreter.limits import MAX_DEFINITION_BYTES
from interpreter.project.cloudformation import (
    NO_VALUE,
    StackSettings,
    Template,
    TemplateError,
    is_template,
)
from interpreter.project.errors import ProjectError
from interpreter.project.functions import FunctionSpec, template_functions
from interpreter.project.placeholders import (
    placeholder_names,
    substitute_text,
    substitute_values,
    to_definition_text,
)
from interpreter.project.yaml12 import load_yaml

STDIN: Final = "-"
SERVERLESS_STATE_MACHINE: Final = "AWS::Serverless::StateMachine"
STEP_FUNCTIONS_STATE_MACHINE: Final = "AWS::StepFunctions::StateMachine"
_YAML_SUFFIXES: Final = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class MachineSource:
    """One state machine's definition, ready to validate or run."""

    #: Where it comes from, for messages: ``machine.asl.yaml`` or ``template.yaml#OrderMachine``.
    label: str
    #: The state machine's name (the template's name property, the logical id, the file stem).
    name: str
    #: The definition as JSON text, placeholders filled.
    definition: str
    #: ``STANDARD`` or ``EXPRESS`` when the template says; None for a definition file.
    state_machine_type: str | None = None
    logical_id: str | None = None
    #: The execution role's ARN when the template gives or implies one.
    role_arn: str | None = None


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """What a local run adds to a project: values for placeholders, parameters and the stack."""

    #: ``--sub NAME=VALUE``: placeholder values, before the template's DefinitionSubstitutions.
    substitutions: Mapping[str, str] = field(default_factory=dict)
    #: ``--parameter-overrides NAME=VALUE``: template parameter values.
    parameters: Mapping[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    account: str = "123456789012"
    #: The stack name (``AWS::StackName``; default: the template's directory name).
    stack_name: str | None = None


class Project:
    """A definition file, or a template and its state machines."""

    def __init__(
        self,
        source: str,
        *,
        template: Template | None = None,
        definition: MachineSource | None = None,
        substitutions: Mapping[str, str] | None = None,
    ) -> None:
        self.source = source
        self.template = template
        self._definition = definition
        self._substitutions = dict(substitutions or {})

    @property
    def directory(self) -> Path:
        """The directory relative paths in the project start from."""
        return Path.cwd() if self.source == STDIN else Path(self.source).resolve().parent

    def machine_ids(self) -> list[str]:
        """The logical ids of the template's state machines (empty for a definition file)."""
        if self.template is None:
            return []
        return self.template.resources_of_type(
            SERVERLESS_STATE_MACHINE, STEP_FUNCTIONS_STATE_MACHINE
        )

    def machine(self, logical_id: str | None = None) -> MachineSource:
        """One machine: the definition file's, or the template's ``logical_id`` (which may be
        left out when the template has just one)."""
        if self.template is None:
            assert self._definition is not None
            if logical_id is not None:
                raise ProjectError(f"{self.source} is a definition, not a template: no --machine")
            return self._definition
        ids = self.machine_ids()
        if logical_id is None:
            if len(ids) != 1:
                if not ids:
                    raise ProjectError(f"{self.source} defines no state machine")
                raise ProjectError(
                    f"{self.source} defines {len(ids)} state machines ({', '.join(ids)}): "
                    "choose one with --machine LOGICAL_ID"
                )
            logical_id = ids[0]
        if logical_id not in ids:
            raise ProjectError(
                f"{self.source} has no state machine {logical_id!r}"
                + (f" (it has {', '.join(ids)})" if ids else "")
            )
        return self._template_machine(logical_id)

    def functions(self) -> list[FunctionSpec]:
        """The template's Lambda functions (none for a definition file); ProjectError."""
        if self.template is None:
            return []
        return template_functions(self.template, self.directory)

    def machines(self) -> Iterator[tuple[str, MachineSource | ProjectError]]:
        """Every machine of the project, with its label, or the error that stops it loading."""
        if self.template is None:
            yield self.source, self.machine()
            return
        for logical_id in self.machine_ids():
            label = f"{self.source}#{logical_id}"
            try:
                yield label, self._template_machine(logical_id)
            except ProjectError as problem:
                yield label, problem

    # -- a template's machine

    def _template_machine(self, logical_id: str) -> MachineSource:
        template = self.template
        assert template is not None
        label = f"{self.source}#{logical_id}"
        where = f"Resources.{logical_id}.Properties"
        properties = template.properties(logical_id)
        serverless = template.resources[logical_id].get("Type") == SERVERLESS_STATE_MACHINE
        type_key = "Type" if serverless else "StateMachineType"
        machine_type = _text_property(template, properties, type_key, where)
        text = self._definition_text(template, properties, where, label)
        return MachineSource(
            label=label,
            name=template.physical_name(logical_id),
            definition=text,
            state_machine_type=(machine_type or "STANDARD").upper(),
            logical_id=logical_id,
            role_arn=_role_arn(template, logical_id, properties, serverless, where),
        )

    def _definition_text(
        self, template: Template, properties: Mapping[str, Any], where: str, label: str
    ) -> str:
        substitutions = _substitutions_of(template, properties, where)
        if "Definition" in properties:
            definition = template.resolve(properties["Definition"], f"{where}.Definition")
            return self._placeholders_filled(definition, substitutions, template, label)
        if "DefinitionString" in properties:
            text = template.resolve(properties["DefinitionString"], f"{where}.DefinitionString")
            if not isinstance(text, str):
                raise TemplateError(f"{where}.DefinitionString is not a string")
            return self._placeholders_filled(text, substitutions, template, label)
        for key in ("DefinitionUri", "DefinitionS3Location"):
            if key in properties:
                location = template.resolve(properties[key], f"{where}.{key}")
                if not isinstance(location, str):
                    raise TemplateError(
                        f"{where}.{key} names an S3 object ({location!r}); a local run reads a "
                        "local file: give its path (relative to the template)"
                    )
                path = self.directory / location
                document = _read_document(str(path), _read_text(str(path)))
                return self._placeholders_filled(document, substitutions, template, label)
        raise TemplateError(
            f"{where} has no Definition, DefinitionString, DefinitionUri or DefinitionS3Location"
        )

    def _placeholders_filled(
        self,
        definition: JSON,
        template_values: Mapping[str, JSON],
        template: Template,
        label: str,
    ) -> str:
        """The definition as JSON text, its placeholders filled: ``--sub`` values first, then
        the template's DefinitionSubstitutions (resolved only when a placeholder uses them)."""
        text = definition if isinstance(definition, str) else None
        used = placeholder_names(text if text is not None else to_definition_text(definition))
        values = dict(self._substitutions)
        for name in sorted(used - set(values)):
            if name in template_values:
                values[name] = _substitution_text(template, template_values[name], name)
        if text is not None:
            return substitute_text(text, values, label)
        return to_definition_text(substitute_values(definition, values, label))


def _substitutions_of(
    template: Template, properties: Mapping[str, Any], where: str
) -> Mapping[str, JSON]:
    raw = properties.get("DefinitionSubstitutions")
    if raw is None:
        return {}
    if isinstance(raw, dict) and len(raw) == 1 and _is_intrinsic(next(iter(raw))):
        raw = template.resolve(raw, f"{where}.DefinitionSubstitutions")
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}.DefinitionSubstitutions is not a map")
    return {
        str(key): _Unresolved(value, f"{where}.DefinitionSubstitutions.{key}")
        for key, value in raw.items()
    }


def _is_intrinsic(key: str) -> bool:
    return key == "Ref" or key.startswith("Fn::")


@dataclass(frozen=True, slots=True)
class _Unresolved:
    value: JSON
    where: str


def _substitution_text(template: Template, entry: JSON, name: str) -> str:
    if isinstance(entry, _Unresolved):
        try:
            value = template.resolve(entry.value, entry.where)
        except TemplateError as problem:
            raise TemplateError(
                f"{problem}; give ${{{name}}} a value with --sub {name}=VALUE"
            ) from None
        where = entry.where
    else:
        value, where = entry, f"DefinitionSubstitutions.{name}"
    if value is NO_VALUE:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(f"{where} resolves to {value!r}, not a string")


def _text_property(
    template: Template, properties: Mapping[str, Any], key: str, where: str
) -> str | None:
    if key not in properties:
        return None
    value = template.resolve(properties[key], f"{where}.{key}")
    return None if value is NO_VALUE else str(value)


def _role_arn(
    template: Template,
    logical_id: str,
    properties: Mapping[str, Any],
    serverless: bool,
    where: str,
) -> str | None:
    key = "Role" if serverless else "RoleArn"
    try:
        value = _text_property(template, properties, key, where)
    except TemplateError:
        return None  # the role only feeds $$.Execution.RoleArn: a default one does as well
    if value is None and serverless:
        # SAM creates <LogicalId>Role for a machine given Policies instead of a Role.
        settings = template.settings
        return (
            f"arn:{settings.partition}:iam::{settings.account}:role/"
            f"{settings.stack_name}-{logical_id}Role"
        )
    return value


# ------------------------------------------------------------------ reading files


def _read_text(source: str, stdin: TextIO | None = None) -> str:
    """A definition's or a template's text, read with a bound: AWS takes neither over 1 MB
    (a definition; a template from S3), and ``/dev/zero`` must not fill memory."""
    limit = MAX_DEFINITION_BYTES
    try:
        if source == STDIN:
            text = (stdin or sys.stdin).read(limit + 1)
            if len(text) > limit or len(text.encode("utf-8")) > limit:
                raise ProjectError(f"cannot read {source}: larger than {limit:,} bytes")
            return text
        with open(source, "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise ProjectError(
                f"cannot read {source}: larger than {limit:,} bytes, AWS's limit for a "
                "definition or a template"
            )
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise ProjectError(f"cannot read {source}: {problem}") from None


def _is_yaml(source: str, text: str) -> bool:
    if source.lower().endswith(_YAML_SUFFIXES):
        return True
    if source.lower().endswith(".json"):
        return False
    return not text.lstrip().startswith(("{", "["))


def _read_document(source: str, text: str) -> JSON:
    """A definition file's content: JSON text as it is, YAML parsed."""
    if _is_yaml(source, text):
        document = load_yaml(text)
        if not isinstance(document, dict):
            raise ProjectError(f"{source}: a definition or template is a mapping, not {document!r}")
        return document
    return text


def _stem(source: str) -> str:
    if source == STDIN:
        return "StateMachine"
    return Path(source).name.split(".")[0] or "StateMachine"


def open_project(
    source: str, options: LoadOptions | None = None, *, stdin: TextIO | None = None
) -> Project:
    """Read ``source`` (a path, or ``-``: ``stdin``) as a definition or a template (raises
    ProjectError)."""
    options = options or LoadOptions()
    text = _read_text(source, stdin)
    document = _read_document(source, text)
    if isinstance(document, str):
        # JSON text: a template only if it parses as one; otherwise the validator reads it
        # as it is, so a JSON error keeps AWS's wording and position.
        try:
            parsed = parse_json(document)
        except (ValueError, RecursionError):
            parsed = None
        if is_template(parsed):
            document = parsed
    if is_template(document):
        stack = options.stack_name or _default_stack_name(source)
        settings = StackSettings(
            region=options.region,
            account=options.account,
            stack_name=stack,
            parameters=dict(options.parameters),
        )
        return Project(
            source,
            template=Template(document, settings),
            substitutions=options.substitutions,
        )
    label = "<stdin>" if source == STDIN else source
    if isinstance(document, str):
        definition = substitute_text(document, options.substitutions, label)
    else:
        definition = to_definition_text(substitute_values(document, options.substitutions, label))
    return Project(
        source,
        definition=MachineSource(label=label, name=_stem(source), definition=definition),
    )


def _default_stack_name(source: str) -> str:
    if source == STDIN:
        return "sam-app"
    name = Path(source).resolve().parent.name
    cleaned = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in name).strip("-")
    return cleaned or "sam-app"


def load_definition(
    source: str, *, machine: str | None = None, options: LoadOptions | None = None
) -> MachineSource:
    """The definition of ``source`` (a template's ``machine``), ready to validate or run."""
    return open_project(source, options).machine(machine)


def parse_assignments(values: list[str], option: str) -> dict[str, str]:
    """``NAME=VALUE`` options (``--sub``, ``--parameter-overrides``) as a map.

    ``--parameter-overrides`` also takes sam's forms: several ``K=V`` separated by spaces in one
    argument, and ``ParameterKey=K,ParameterValue=V``.
    """
    result: dict[str, str] = {}
    for value in values:
        for assignment in _split_assignments(value, option):
            if assignment.startswith("ParameterKey="):
                key_part, _, value_part = assignment.partition(",")
                key = key_part.removeprefix("ParameterKey=")
                if not value_part.startswith("ParameterValue="):
                    raise ProjectError(
                        f"{option} expects ParameterKey=K,ParameterValue=V, got {assignment!r}"
                    )
                result[key] = value_part.removeprefix("ParameterValue=")
                continue
            key, separator, text = assignment.partition("=")
            if not separator or not key:
                raise ProjectError(f"{option} expects NAME=VALUE, got {assignment!r}")
            result[key] = text
    return result


def _split_assignments(value: str, option: str) -> list[str]:
    if option != "--parameter-overrides":
        return [value]
    import shlex

    try:
        return shlex.split(value)
    except ValueError as problem:
        raise ProjectError(f"{option}: {problem}") from None
