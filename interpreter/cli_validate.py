"""``asl validate FILE... [--json] [--type STANDARD|EXPRESS]``.

Validates state-machine definitions as AWS's ``ValidateStateMachineDefinition`` would and prints,
per diagnostic, ``FILE:LOCATION: SEVERITY CODE message`` (``FILE: ...`` when AWS gives no
location), or with ``--json`` AWS's response body (``{"result", "diagnostics", "truncated"}``;
warnings included). With several files, ``--json`` prints one object mapping each file to its
response. ``-`` reads standard input.

Exit status: 0 when every file is valid, 1 when any has an ERROR diagnostic, 2 when any cannot be
read or is not JSON (its diagnostic gives the parse position).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Final, TextIO

from interpreter.definition.diagnostics import (
    INVALID_JSON_DESCRIPTION,
    MISSING_DESCRIPTION,
    WARNING,
    Diagnostic,
    has_errors,
    validation_response,
)
from interpreter.definition.validation import validate_definition
from interpreter.limits import MAX_DEFINITION_BYTES

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
        default="STANDARD",
        help="state machine type (default STANDARD)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate ``args.files``; print the results; return the exit status."""
    return validate_files(
        args.files,
        state_machine_type=args.state_machine_type,
        as_json=args.json,
        out=sys.stdout,
        err=sys.stderr,
        stdin=sys.stdin,
    )


def validate_files(
    files: list[str],
    *,
    state_machine_type: str,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
) -> int:
    """Validate each file and report on ``out``/``err``; return the exit status."""
    status = EXIT_VALID
    responses: dict[str, object] = {}
    for name in files:
        text = _read(name, err, stdin)
        if text is None:
            status = EXIT_UNREADABLE
            continue
        diagnostics = validate_definition(text, state_machine_type=state_machine_type)
        if any(d.code in _NOT_JSON_CODES for d in diagnostics):
            status = EXIT_UNREADABLE
        elif has_errors(diagnostics) and status == EXIT_VALID:
            status = EXIT_INVALID
        if as_json:
            responses[name] = validation_response(diagnostics, severity=WARNING, max_results=None)
        else:
            _print_human(name, diagnostics, out)
    if as_json and responses:
        document = next(iter(responses.values())) if len(files) == 1 else responses
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return status


def _read(name: str, err: TextIO, stdin: TextIO) -> str | None:
    limit = MAX_DEFINITION_BYTES
    try:
        if name == STDIN_NAME:
            text = stdin.read(limit + 1)
            if len(text.encode("utf-8")) > limit:
                raise ValueError(f"larger than {limit:,} bytes, AWS's limit for a definition")
            return text
        with open(name, "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise ValueError(f"larger than {limit:,} bytes, AWS's limit for a definition")
        return data.decode("utf-8")
    except (OSError, ValueError) as problem:
        err.write(f"asl validate: cannot read {name}: {problem}\n")
        return None


def _print_human(name: str, diagnostics: list[Diagnostic], out: TextIO) -> None:
    shown = "<stdin>" if name == STDIN_NAME else name
    if not diagnostics:
        out.write(f"{shown}: OK\n")
        return
    for diagnostic in diagnostics:
        where = f"{shown}:{diagnostic.location}" if diagnostic.location else shown
        out.write(f"{where}: {diagnostic.severity} {diagnostic.code} {diagnostic.message}\n")
