"""``asl graph DEFINITION [--format mermaid|svg|dot] [-o FILE]``: draw a state machine.

Mermaid (the default) for READMEs — GitHub renders ```` ```mermaid ```` blocks —, SVG for
documents and browsers (no system package needed), DOT for Graphviz users. The format defaults
to the output file's suffix (``.svg``, ``.dot``/``.gv``, anything else Mermaid).

The definition is validated first, as ``asl validate`` validates it: exit status 1 with the
diagnostics on stderr when it is invalid, 2 when it cannot be read or is not JSON.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Final, TextIO

from interpreter.cli_project import add_project_arguments, load_options
from interpreter.cli_validate import EXIT_INVALID, EXIT_UNREADABLE, EXIT_VALID

FORMATS: Final = ("mermaid", "svg", "dot")
_SUFFIX_FORMATS: Final = {".svg": "svg", ".dot": "dot", ".gv": "dot"}


def add_parser(commands: Any) -> None:
    """Register ``asl graph``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "graph",
        help="draw a state machine (Mermaid, SVG or DOT)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "definition",
        help="the definition (.asl.json, .asl.yaml) or a SAM/CloudFormation template, or - for "
        "stdin",
    )
    parser.add_argument(
        "--format", choices=FORMATS, help="mermaid (default), svg or dot; see above"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    parser.add_argument(
        "--type",
        dest="state_machine_type",
        type=str.upper,
        choices=("STANDARD", "EXPRESS"),
        default=None,
        help="state machine type, for validation (default: the template's, else STANDARD)",
    )
    add_project_arguments(parser, machine_help="the state machine of a template to draw")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Run ``asl graph`` with parsed arguments; returns the exit status."""
    from interpreter.project.errors import ProjectError
    from interpreter.project.loader import load_definition

    try:
        # The loader of `asl run`: definition files (JSON, YAML) and templates alike.
        source = load_definition(args.definition, machine=args.machine, options=load_options(args))
    except ProjectError as problem:
        print(f"asl graph: {problem}", file=sys.stderr)
        return EXIT_UNREADABLE
    return write_graph(
        source.definition,
        name=source.name,
        source=source.label,
        output_format=args.format or _format_of(args.output),
        output=args.output,
        state_machine_type=args.state_machine_type or source.state_machine_type or "STANDARD",
        err=sys.stderr,
    )


def write_graph(
    text: str,
    *,
    name: str,
    source: str,
    output_format: str,
    output: str | None,
    state_machine_type: str,
    err: TextIO,
) -> int:
    """Validate ``text``, render it in ``output_format`` to ``output`` (stdout when None)."""
    from interpreter.diagram import render
    from interpreter.diagram.model import build_diagram

    loaded = load_compiled(text, source, state_machine_type, err)
    if isinstance(loaded, int):
        return loaded
    compiled, definition = loaded
    rendered = render(build_diagram(compiled, definition), output_format, name)
    if output is None:
        sys.stdout.write(rendered)
        return EXIT_VALID
    try:
        Path(output).write_text(rendered, encoding="utf-8")
    except OSError as problem:
        print(f"asl graph: cannot write {output}: {problem}", file=err)
        return EXIT_UNREADABLE
    return EXIT_VALID


def load_compiled(text: str, source: str, state_machine_type: str, err: TextIO) -> Any:
    """The compiled model and the parsed definition of ``text``, or the exit status after
    printing the diagnostics as ``asl validate`` prints them."""
    from interpreter.cli_validate import _NOT_JSON_CODES, _print_human
    from interpreter.definition.compiler import compile_state_machine
    from interpreter.definition.diagnostics import has_errors
    from interpreter.definition.validation import validate_and_load

    definition, diagnostics = validate_and_load(text, state_machine_type=state_machine_type)
    if any(d.code in _NOT_JSON_CODES for d in diagnostics):
        _print_human(source, diagnostics, err)
        return EXIT_UNREADABLE
    if has_errors(diagnostics):
        _print_human(source, diagnostics, err)
        return EXIT_INVALID
    if not isinstance(definition, dict):  # valid definitions are objects; never reached
        print(f"asl graph: {source}: not a state machine definition", file=err)
        return EXIT_INVALID
    return compile_state_machine(definition), definition


def _format_of(output: str | None) -> str:
    if output is None:
        return "mermaid"
    return _SUFFIX_FORMATS.get(Path(output).suffix.lower(), "mermaid")
