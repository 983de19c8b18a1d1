"""The ``asl`` command: ``asl validate``, ``asl run``, ``asl serve`` and ``asl graph``.

Each subcommand lives in its own module (``cli_validate``, ``cli_run``, ``cli_serve``,
``cli_graph``) and is imported only when it is used, so ``asl validate`` does not pay for the
engine's imports.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``asl`` command."""
    from interpreter import cli_graph, cli_run, cli_serve, cli_validate

    parser = argparse.ArgumentParser(
        prog="asl",
        description="Validate and run Amazon States Language state machines.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_validate.add_parser(commands)
    cli_run.add_parser(commands)
    cli_serve.add_parser(commands)
    cli_graph.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``asl`` console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
