"""Command-line options shared by the commands that read projects (``asl validate``, ``asl run``).

``--machine``, ``--sub`` and ``--parameter-overrides`` choose and complete a definition that lives
in a template or holds ``${...}`` placeholders; ``--region``/``--account`` are the stack's (and the
execution's) region and account.
"""

from __future__ import annotations

import argparse

from interpreter.project.loader import LoadOptions, parse_assignments

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


def add_project_arguments(parser: argparse.ArgumentParser, *, machine_help: str | None) -> None:
    """Register ``--machine`` (unless ``machine_help`` is None), ``--sub``,
    ``--parameter-overrides``, ``--stack-name``."""
    if machine_help is not None:
        parser.add_argument("--machine", metavar="LOGICAL_ID", help=machine_help)
    parser.add_argument(
        "--sub",
        dest="substitutions",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for the definition's ${NAME} placeholder, before the template's "
        "DefinitionSubstitutions (repeatable)",
    )
    parser.add_argument(
        "--parameter-overrides",
        dest="parameter_overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="template parameter values, as sam takes them: 'K1=V1 K2=V2' or "
        "ParameterKey=K,ParameterValue=V (repeatable)",
    )
    parser.add_argument(
        "--stack-name", help="the stack name templates see (default: the template's directory)"
    )


def add_account_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--account`` and ``--region``."""
    parser.add_argument(
        "--account", default=DEFAULT_ACCOUNT, help=f"account id in ARNs ({DEFAULT_ACCOUNT})"
    )
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"region ({DEFAULT_REGION})")


def load_options(args: argparse.Namespace) -> LoadOptions:
    """The project options the parsed arguments give (raises ProjectError for bad ones)."""
    return LoadOptions(
        substitutions=parse_assignments(args.substitutions, "--sub"),
        parameters=parse_assignments(args.parameter_overrides, "--parameter-overrides"),
        region=getattr(args, "region", DEFAULT_REGION),
        account=getattr(args, "account", DEFAULT_ACCOUNT),
        stack_name=args.stack_name,
    )
