"""``asl validate FILE... [--json] [--type STANDARD|EXPRESS]``.

Validates state-machine definitions as AWS's ``ValidateStateMachineDefinition`` would and prints,
per diagnostic, ``FILE:LOCATION: SEVERITY CODE message`` (``FILE: ...`` when AWS gives no
location), or with ``--json`` AWS's response body (``{"result", "diagnostics", "truncated"}``;
warnings included). With several files, ``--json`` prints one object mapping each file to its
response. ``-`` reads standard input.

A FILE is a definition (``.asl.json``, or ``.asl.yaml``/``.yml`` with YAML 1.2 scalars) or a SAM /
CloudFormation template: every state machine in a template is checked, each named
``FILE#LogicalId``, with its DefinitionSubstitutions filled (``--sub NAME=VALUE`` and
``--parameter-overrides`` add values; a placeholder nothing fills is an error).

Exit status: 0 when every file is valid, 1 when any has an ERROR diagnostic, 2 when any cannot be
read, is not JSON/YAML, or holds a placeholder or template value that cannot be resolved.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, Final, TextIO

from interpreter.cli_project import add_account_arguments, add_project_arguments, load_options
from interpreter.definition.diagnostics import (
    INVALID_JSON_DESCRIPTION,
    MISSING_DESCRIPTION,
    WARNING,
    Diagnostic,
    has_errors,
    validation_response,
)
from interpreter.definition.validation import validate_definition
from interpreter.project.errors import ProjectError
from interpreter.project.loader import LoadOptions, MachineSource, open_project

EXIT_VALID: Final = 0
EXIT_INVALID: Final = 1
EXIT_UNREADABLE: Final = 2

STDIN_NAME: Final = "-"
_NOT_JSON_CODES: Final = frozenset({INVALID_JSON_DESCRIPTION, MISSING_DESCRIPTION})


def add_parser(commands: Any) -> None:
    """Register ``asl validate``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "validate",
        help="check state-machine definitions as AWS does",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="definition file, or - for stdin")
    parser.add_argument("--json", action="store_true", help="print AWS's response shape")
    parser.add_argument(
        "--type",
        dest="state_machine_type",
        type=str.upper,
        choices=("STANDARD", "EXPRESS"),
        default=None,
        help="state machine type (default: the template's, else STANDARD)",
    )
    add_project_arguments(
        parser, machine_help="check only this state machine of a template (default: all)"
    )
    add_account_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate ``args.files``; print the results; return the exit status."""
    try:
        options = load_options(args)
    except ProjectError as problem:
        sys.stderr.write(f"asl validate: {problem}\n")
        return EXIT_UNREADABLE
    return validate_files(
        args.files,
        state_machine_type=args.state_machine_type,
        as_json=args.json,
        out=sys.stdout,
        err=sys.stderr,
        stdin=sys.stdin,
        options=options,
        machine=args.machine,
    )


def validate_files(
    files: list[str],
    *,
    state_machine_type: str | None,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
    options: LoadOptions | None = None,
    machine: str | None = None,
) -> int:
    """Validate each file (each state machine of a template) and report on ``out``/``err``;
    return the exit status. ``state_machine_type`` None: the template's type, else STANDARD."""
    status = EXIT_VALID
    responses: dict[str, object] = {}
    for name in files:
        for label, source in _sources(name, options, stdin, machine):
            if isinstance(source, ProjectError):
                message = str(source)
                shown = message if label in message else f"{label}: {message}"
                err.write(f"asl validate: {shown}\n")
                status = EXIT_UNREADABLE
                continue
            machine_type = state_machine_type or source.state_machine_type or "STANDARD"
            diagnostics = validate_definition(source.definition, state_machine_type=machine_type)
            if any(d.code in _NOT_JSON_CODES for d in diagnostics):
                status = EXIT_UNREADABLE
            elif has_errors(diagnostics) and status == EXIT_VALID:
                status = EXIT_INVALID
            if as_json:
                responses[label] = validation_response(
                    diagnostics, severity=WARNING, max_results=None
                )
            else:
                _print_human(label, diagnostics, out)
    if as_json and responses:
        single = len(responses) == 1 and len(files) == 1
        document = next(iter(responses.values())) if single else responses
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return status


def _sources(
    name: str, options: LoadOptions | None, stdin: TextIO, machine: str | None
) -> Iterator[tuple[str, MachineSource | ProjectError]]:
    """The machines of one file, each with its label, or the error that stops it."""
    try:
        project = open_project(name, options, stdin=stdin)
        if machine is not None and project.template is not None:
            yield f"{name}#{machine}", project.machine(machine)
            return
        ids = project.machine_ids()
        if project.template is not None and not ids:
            raise ProjectError(f"{name} defines no state machine")
        yield from project.machines()
    except ProjectError as problem:
        yield name, problem


def _print_human(name: str, diagnostics: list[Diagnostic], out: TextIO) -> None:
    shown = "<stdin>" if name == STDIN_NAME else name
    if not diagnostics:
        out.write(f"{shown}: OK\n")
        return
    for diagnostic in diagnostics:
        where = f"{shown}:{diagnostic.location}" if diagnostic.location else shown
        out.write(f"{where}: {diagnostic.severity} {diagnostic.code} {diagnostic.message}\n")
