"""``asl run``: placeholder until the subcommand lands."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> None:
    """Register ``asl run``."""
    parser: argparse.ArgumentParser = commands.add_parser("run", help="(not yet available)")
    parser.set_defaults(handler=lambda args: 2)
