"""``asl run``: run a state machine locally and print its output (or its error and cause).

Exit status: 0 when the execution succeeded, 1 when it failed, timed out or was aborted, 2 when it
could not start (unreadable or invalid definition, bad input, a handler that cannot be loaded).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from interpreter.cli_project import add_account_arguments, add_project_arguments, load_options
from interpreter.core.history import to_json_text
from interpreter.core.timefmt import datetime_from_ms
from interpreter.json_types import TooDeeplyNestedError, parse_json_bounded
from interpreter.limits import (
    MAX_INPUT_DEPTH,
    MAX_PAYLOAD_BYTES,
    utf8_size,
)


class UsageError(Exception):
    """A problem with the command line or its files; reported with exit status 2."""


def add_parser(commands: Any) -> None:
    """Register ``asl run``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "run",
        help="run a state machine locally",
        description="Run a state machine locally and print its output.",
    )
    parser.add_argument(
        "definition",
        help="the definition (.asl.json, .asl.yaml) or a SAM/CloudFormation template, or - for "
        "stdin",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--input", help="the execution input, as JSON text")
    source.add_argument("--input-file", help="a file holding the execution input (JSON)")
    parser.add_argument("--name", help="the execution name (default: a new UUID)")
    parser.add_argument(
        "--state-machine-name",
        default=None,
        help="the state machine name (default: the template's name for it, else the file stem)",
    )
    parser.add_argument(
        "--machine",
        dest="machines",
        action="append",
        default=[],
        metavar="LOGICAL_ID | NAME=FILE",
        help="LOGICAL_ID: the template's state machine to run (needed when it has several); "
        "NAME=FILE[#LOGICAL_ID]: a state machine NAME whose definition (or template) is FILE, "
        "so that states:startExecution Tasks on it run it here (repeatable)",
    )
    add_project_arguments(parser, machine_help=None)
    parser.add_argument(
        "--type",
        dest="state_machine_type",
        type=str.upper,
        choices=("STANDARD", "EXPRESS"),
        default=None,
        help="STANDARD or EXPRESS (default: the template's type, else STANDARD)",
    )
    add_account_arguments(parser)
    parser.add_argument(
        "--role-arn",
        help="the execution role's ARN ($$.Execution.RoleArn; default: the template's role)",
    )
    add_lambda_argument(parser)
    add_aws_arguments(parser)
    parser.add_argument(
        "--activity",
        dest="activities",
        action="append",
        default=[],
        metavar="NAME=FILE.py:FUNCTION",
        help="work activity NAME with a local Python function worker(input) -> output (repeatable)",
    )
    parser.add_argument(
        "--mock-config",
        metavar="FILE",
        default=os.environ.get("SFN_MOCK_CONFIG"),
        help="a Step Functions Local mock configuration (MockConfigFile.json; default: "
        "$SFN_MOCK_CONFIG), used with --test-case",
    )
    parser.add_argument(
        "--test-case", help="the test case of the mock configuration to run (see --mock-config)"
    )
    parser.add_argument(
        "--clock",
        choices=("virtual", "real"),
        default="real",
        help="real (default) waits for real; virtual jumps over Waits, back-off and timeouts",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a DescribeExecution-shaped document with the history events",
    )
    parser.add_argument(
        "--report",
        metavar="FILE.html",
        help="also write one self-contained HTML page of the run (graph, history, states' data)",
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="print each state as it is entered to stderr (auto: after the first second)",
    )
    parser.set_defaults(handler=main)


def add_lambda_argument(parser: argparse.ArgumentParser) -> None:
    """``--lambda NAME=FILE.py:FUNCTION`` (repeatable) and ``--handler-logs``, shared by
    ``asl run`` and ``asl serve``."""
    parser.add_argument(
        "--lambda",
        dest="lambdas",
        action="append",
        default=[],
        metavar="NAME=FILE.py:FUNCTION",
        help="serve Lambda function NAME with a local Python handler (repeatable; NAME may be a "
        "template function's logical id, to replace it)",
    )
    parser.add_argument(
        "--handler-logs",
        choices=("full", "output", "off"),
        default="full",
        help="what local handlers print and log, shown on stderr prefixed with the function's "
        "name: full (with Lambda's START/END/REPORT lines; default), output, off",
    )


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    """``--aws`` and ``--endpoint-url``, shared by ``asl run`` and ``asl serve``."""
    parser.add_argument(
        "--aws",
        action="store_true",
        help="call AWS services through boto3 (default credentials and region) for Task "
        "resources no local handler serves",
    )
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="send every AWS call to this endpoint (a moto server, LocalStack...); implies --aws",
    )


def aws_invokers(args: argparse.Namespace, *, callbacks: bool) -> list[Any]:
    """The invokers ``--aws``/``--endpoint-url`` ask for (none without them)."""
    if not (args.aws or args.endpoint_url):
        return []
    from interpreter.adapters.aws_services import Boto3ServiceInvoker, default_client_factory

    endpoint = args.endpoint_url

    def clients(service_name: str, region: str, role_arn: str | None = None) -> Any:
        # An endpoint (a moto server, LocalStack) serves every call as the operator: a Task's
        # Credentials role is not assumed there.
        if endpoint is None:
            return default_client_factory(service_name, region, role_arn)
        return default_client_factory(service_name, region, endpoint_url=endpoint)

    # A .sync job is polled at AWS's pace on a real clock; on a virtual one the pauses count as
    # simulated time and really last at most half a second (the job itself runs in real time:
    # looking more often would only load the service).
    virtual = getattr(args, "clock", "real") == "virtual"
    pause = _virtual_pause if virtual else time.sleep
    return [Boto3ServiceInvoker(clients, callbacks=callbacks, sleep=pause)]


def _virtual_pause(seconds: float) -> None:
    time.sleep(min(seconds, 0.5))


def load_handlers(specs: list[str], option: str = "--lambda") -> dict[str, Callable[..., Any]]:
    """The functions named by ``--lambda`` (or ``--activity``) options (raises UsageError)."""
    return dict(_load_handler(spec, option) for spec in specs)


def main(args: argparse.Namespace) -> int:
    """Run ``asl run`` with parsed arguments; returns the exit status."""
    from interpreter.adapters import handler_output
    from interpreter.app import local_offer
    from interpreter.machine import InvalidDefinitionError, StateMachine
    from interpreter.project.errors import ProjectError
    from interpreter.project.functions import local_handlers
    from interpreter.project.loader import open_project
    from interpreter.project.runner import template_machines

    handler_output.configure(args.handler_logs)
    try:
        options = load_options(args)
        project = open_project(args.definition, options)
        selected, children = _machine_options(args.machines)
        source = project.machine(selected)
        machines, machine_errors = template_machines(project, exclude=source.logical_id)
        machines.update(_child_machines(children, options))
        execution_input = _read_input(args.input, args.input_file)
        lambdas = local_handlers(
            project.functions(),
            source.definition,
            overrides=load_handlers(args.lambdas),
            mocked=bool(args.test_case),
        )
        activities = load_handlers(args.activities, "--activity")
    except (UsageError, ProjectError) as problem:
        print(f"asl run: {problem}", file=sys.stderr)
        return 2
    try:
        machine = StateMachine(
            source.definition,
            name=args.state_machine_name or source.name,
            state_machine_type=args.state_machine_type or source.state_machine_type or "STANDARD",
        )
    except InvalidDefinitionError as problem:
        print(f"asl run: InvalidDefinition: {problem.message}", file=sys.stderr)
        return 2
    mock_options: dict[str, Any] = {}
    config = mocked = None
    if args.test_case:
        from interpreter.adapters.mock_config import MockConfig, MockConfigError

        if not args.mock_config:
            print("asl run: --test-case needs --mock-config (or SFN_MOCK_CONFIG)", file=sys.stderr)
            return 2
        try:
            config = MockConfig.load(args.mock_config)
            mocked = config.test_case(machine.name, args.test_case)
        except MockConfigError as problem:
            print(f"asl run: {problem}", file=sys.stderr)
            return 2
        mock_options = {"mock_config": config.document, "test_case": args.test_case}
    offer = local_offer(
        lambdas=lambdas,
        activities=activities,
        mocks=mocked,
        mock_config=config,
        aws=bool(args.aws or args.endpoint_url),
        machines={
            name: known.definition for name, known in {**machines, machine.name: machine}.items()
        },
        region=args.region,
        account=args.account,
        template=project.template is not None,
    )
    if _refuse_unserved(machine, offer, args, machine_errors):
        return 2
    progress = _Progress(sys.stderr, args.progress)
    result = machine.run(
        execution_input,
        lambdas=lambdas,
        clock=args.clock,
        execution_name=args.name,
        region=args.region,
        account=args.account,
        role_arn=args.role_arn or source.role_arn,
        on_event=progress,
        activities=activities,
        invokers=aws_invokers(args, callbacks=False),
        machines=machines,
        **mock_options,
    )
    if args.report:
        _write_report(args.report, machine, result)
    if args.json:
        print(json.dumps(_describe(result), indent=2, ensure_ascii=False, default=str))
    elif result.status == "SUCCEEDED":
        print(result.output_text)
    else:
        print(f"{result.status}", file=sys.stderr)
        print(f"error: {result.error}", file=sys.stderr)
        print(f"cause: {result.cause}", file=sys.stderr)
    return 0 if result.status == "SUCCEEDED" else 1


def _refuse_unserved(
    machine: Any, offer: Any, args: argparse.Namespace, machine_errors: Mapping[str, str]
) -> bool:
    """Print the states nothing would serve, with the options that would, and say whether
    there were any (then the run does not start: a Catch would take the failure for the
    state machine's own)."""
    from interpreter.arns import state_machine_arn
    from interpreter.runtime.coverage import unserved

    arn = state_machine_arn(args.region, args.account, machine.name)
    problems = unserved(machine.definition, offer, arn=arn)
    if not problems:
        return False
    count = "a Task state" if len(problems) == 1 else f"{len(problems)} Task states"
    print(
        f"asl run: nothing would serve {count} of this run, so it was not started:",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"  {problem.describe()}", file=sys.stderr)
    for name, error in machine_errors.items():
        print(f"  (the template's state machine {name} cannot run: {error})", file=sys.stderr)
    return True


def _machine_options(values: list[str]) -> tuple[str | None, list[str]]:
    """``--machine`` values: the template's machine to run (at most one LOGICAL_ID) and the
    ``NAME=FILE`` children."""
    selected = [value for value in values if "=" not in value]
    if len(selected) > 1:
        raise UsageError(
            f"--machine LOGICAL_ID chooses one state machine to run, got {', '.join(selected)}"
        )
    return (selected[0] if selected else None), [value for value in values if "=" in value]


def _child_machines(specs: list[str], options: Any) -> dict[str, Any]:
    """The state machines of ``--machine NAME=FILE[#LOGICAL_ID]`` options, compiled, by name
    (raises UsageError or ProjectError)."""
    from interpreter.machine import InvalidDefinitionError
    from interpreter.project.loader import open_project
    from interpreter.project.runner import compile_source

    machines = {}
    for spec in specs:
        name, _, location = spec.partition("=")
        file, _, logical_id = location.partition("#")
        if not name or not file:
            raise UsageError(f"--machine expects NAME=FILE or LOGICAL_ID, got {spec!r}")
        source = open_project(file, options).machine(logical_id or None)
        try:
            machines[name] = compile_source(source, name)
        except InvalidDefinitionError as problem:
            raise UsageError(
                f"--machine {name}: {source.label}: InvalidDefinition: {problem.message}"
            ) from None
    return machines


def _write_report(path: str, machine: Any, result: Any) -> None:
    from interpreter.viewer.report import write_report

    try:
        write_report(
            path,
            state_machine_name=machine.name,
            compiled=machine.compiled,
            definition=machine.definition,
            result=result,
        )
    except OSError as problem:
        print(f"asl run: cannot write the report {path}: {problem}", file=sys.stderr)


def read_bounded(source: str, limit: int, what: str) -> str:
    """The UTF-8 text of a file (``-``: standard input), reading at most ``limit`` bytes: a
    larger one (``/dev/zero``, a device, a log) is refused at once instead of filling memory."""
    try:
        if source == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(limit + 1)
        if len(data) > limit:
            raise UsageError(
                f"cannot read {source}: larger than {limit:,} bytes, AWS's limit for {what}"
            )
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise UsageError(f"cannot read {source}: {problem}") from None


def _read_input(text: str | None, file: str | None) -> Any:
    if file is not None:
        text = read_bounded(file, MAX_PAYLOAD_BYTES, "an execution input")
    if text is None:
        return {}
    if utf8_size(text) > MAX_PAYLOAD_BYTES:
        raise UsageError(
            f"the input is larger than {MAX_PAYLOAD_BYTES:,} bytes, AWS's limit for an execution "
            "input"
        )
    try:
        return parse_json_bounded(text, MAX_INPUT_DEPTH)
    except json.JSONDecodeError as problem:
        raise UsageError(
            f"the input is not JSON: {problem.msg} at line {problem.lineno}, column {problem.colno}"
        ) from None
    except TooDeeplyNestedError as problem:
        raise UsageError(f"the input is nested too deeply: {problem}") from None
    except (ValueError, RecursionError) as problem:
        raise UsageError(f"the input is not JSON: {problem}") from None


def _load_handler(spec: str, option: str) -> tuple[str, Callable[..., Any]]:
    name, separator, target = spec.partition("=")
    file, colon, function = target.rpartition(":")
    if not separator or not colon or not name or not file or not function:
        raise UsageError(f"{option} expects NAME=FILE.py:FUNCTION, got {spec!r}")
    path = Path(file)
    module_spec = importlib.util.spec_from_file_location(f"asl_handler_{path.stem}", path)
    if module_spec is None or module_spec.loader is None or not path.is_file():
        raise UsageError(f"cannot load handler file {file}")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as problem:  # the operator's handler file failed to import
        raise UsageError(f"cannot load handler file {file}: {problem!r}") from None
    handler = getattr(module, function, None)
    if not callable(handler):
        raise UsageError(f"{file} has no function {function!r}")
    return name, handler


class _Progress:
    """Prints state entries to stderr on long runs."""

    def __init__(self, stream: TextIO, mode: str) -> None:
        self.stream = stream
        self.mode = mode
        self.started = time.monotonic()

    def __call__(self, event: Mapping[str, Any]) -> None:
        if self.mode == "never":
            return
        elapsed = time.monotonic() - self.started
        if self.mode == "auto" and elapsed < 1.0:
            return
        event_type = event["type"]
        if event_type.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            print(
                f"[{elapsed:7.1f}s] {event_type[: -len('StateEntered')]} {name}", file=self.stream
            )
        elif event_type.startswith("Execution") and event_type != "ExecutionStarted":
            print(f"[{elapsed:7.1f}s] {event_type}", file=self.stream)


def _describe(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "executionArn": result.execution_arn,
        "stateMachineArn": result.state_machine_arn,
        "name": result.name,
        "status": result.status,
        "startDate": datetime_from_ms(result.start_ms).isoformat(),
        "input": to_json_text(result.input),
        "inputDetails": {"included": True},
    }
    if result.stop_ms is not None:
        document["stopDate"] = datetime_from_ms(result.stop_ms).isoformat()
    if result.status == "SUCCEEDED":
        document["output"] = result.output_text
        document["outputDetails"] = {"included": True}
    if result.error is not None:
        document["error"] = result.error
    if result.cause is not None:
        document["cause"] = result.cause
    document["events"] = [
        {**event, "timestamp": datetime_from_ms(event["timestamp"]).isoformat()}
        for event in result.history
    ]
    return document
