"""``asl serve``: a local endpoint that speaks the AWS Step Functions API.

Point boto3 or the AWS CLI at it (``endpoint_url=http://localhost:8083``) and use Step Functions
as on AWS: CreateStateMachine, StartExecution, DescribeExecution, GetExecutionHistory,
StopExecution, SendTaskSuccess/Failure/Heartbeat, ValidateStateMachineDefinition...
A browser pointed at the same address gets the viewer (interpreter.viewer): state machines,
executions, their graphs and histories, and actions through the same API.
With ``--state FILE`` everything is kept in a SQLite file and running executions resume when the
endpoint starts again.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any

from interpreter.cli_project import add_project_arguments, load_options
from interpreter.cli_run import add_aws_arguments, add_lambda_argument


def add_parser(commands: Any) -> None:
    """Register ``asl serve``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="serve the Step Functions API locally (for boto3 and the AWS CLI)",
        description="Serve the AWS Step Functions API on a local port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=8083, help="port to listen on (8083; 0: a free one, printed)"
    )
    parser.add_argument(
        "--definition",
        dest="definitions",
        action="append",
        default=[],
        metavar="FILE",
        help="create this definition's state machine (a template: each of its state machines, "
        "its Python functions served) at start (repeatable)",
    )
    add_project_arguments(parser, machine_help=None)
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="INFO",
        help="INFO (default) logs one line per request: action, HTTP status, milliseconds",
    )
    add_lambda_argument(parser)
    add_aws_arguments(parser)
    parser.add_argument(
        "--clock",
        choices=("real", "virtual"),
        default="real",
        help="real (default) or virtual: Waits and back-off end as soon as nothing else is due",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep state machines, executions and activities in this SQLite file: executions "
        "carry on when the endpoint starts again (default: in memory)",
    )
    parser.add_argument(
        "--mock-config",
        metavar="FILE",
        default=os.environ.get("SFN_MOCK_CONFIG"),
        help="a Step Functions Local mock configuration (default: $SFN_MOCK_CONFIG); "
        "StartExecution on '<state machine ARN>#<test case>' runs that test case",
    )
    parser.add_argument(
        "--allow-host",
        metavar="NAME",
        action="append",
        default=[],
        help="a name clients may give in the Host header besides loopback names, IP addresses "
        "and --host (repeatable; other names are refused: a DNS-rebinding defence)",
    )
    parser.add_argument(
        "--auth",
        metavar="KEY_ID:SECRET",
        default=os.environ.get("ASL_SERVE_AUTH"),
        help="require requests signed (SigV4) with this access key, as boto3 and the AWS CLI "
        "sign with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (default: $ASL_SERVE_AUTH; without "
        "it the endpoint is unauthenticated)",
    )
    parser.add_argument(
        "--log-executions",
        action="store_true",
        help="write execution events to standard error in AWS's execution-log format, for "
        "state machines whose loggingConfiguration asks for them (with --aws or "
        "--endpoint-url they go to the configured CloudWatch Logs log group instead)",
    )
    parser.add_argument(
        "--retention-days",
        type=float,
        default=90.0,
        metavar="DAYS",
        help="forget finished executions this long after they end, as AWS does after 90 days "
        "(default 90; a fraction of a day is fine): memory and the state file stay bounded",
    )
    parser.add_argument("--account", default="123456789012", help="account id in ARNs")
    parser.add_argument("--region", default="us-east-1", help="region in ARNs")
    parser.add_argument(
        "--serverless",
        action="store_true",
        help="run template.yaml's deployment as Lambda would: DynamoDB and SQS (moto's server, "
        "or --endpoint-url), the API function behind this endpoint, --workers worker processes "
        "consuming the work queue, the sweep on its schedule",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="with --serverless: worker processes (default 2)",
    )
    parser.add_argument(
        "--sweep-seconds",
        type=float,
        default=10.0,
        metavar="S",
        help="with --serverless: how often the sweep looks for executions due a decision "
        "(default 10, as deployed)",
    )
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Run the server until interrupted."""
    from interpreter.adapters import handler_output
    from interpreter.api.errors import StepFunctionsError
    from interpreter.api.server import make_server
    from interpreter.app import local_service
    from interpreter.cli_run import UsageError, aws_invokers, load_handlers
    from interpreter.project.errors import ProjectError

    handler_output.configure(args.handler_logs)
    _log_to_stderr(args.log_level)
    if args.serverless:
        return _serve_serverless(args)
    try:
        lambdas = load_handlers(args.lambdas)
        machines, lambdas = _project_machines(args, lambdas)
    except (UsageError, ProjectError) as problem:
        print(f"asl serve: {problem}", file=sys.stderr)
        return 2
    mock_config = None
    if args.mock_config:
        from interpreter.adapters.mock_config import MockConfig, MockConfigError

        try:
            mock_config = MockConfig.load(args.mock_config)
        except MockConfigError as problem:
            print(f"asl serve: {problem}", file=sys.stderr)
            return 2
    store = None
    if args.state:
        import sqlite3

        from interpreter.adapters.sqlite_store import SqliteStore

        try:
            store = SqliteStore(args.state)
        except (OSError, sqlite3.Error) as problem:
            print(f"asl serve: cannot open the state file {args.state}: {problem}", file=sys.stderr)
            return 2
    service = local_service(
        lambdas=lambdas,
        clock=args.clock,
        account=args.account,
        region=args.region,
        store=store,
        mock_config=mock_config,
        # Callbacks work here: SendTaskSuccess/Failure reach this endpoint.
        invokers=aws_invokers(args, callbacks=True),
    )
    _log_executions(service, args)
    if service.recovered:
        print(f"asl serve: resuming {service.recovered} running execution(s)", file=sys.stderr)
    signing_key = None
    if args.auth:
        from interpreter.api.sigv4 import SigningKey

        try:
            signing_key = SigningKey.parse(args.auth)
        except ValueError as problem:
            print(f"asl serve: --auth: {problem}", file=sys.stderr)
            return 2
    try:
        server = make_server(
            service,
            args.host,
            args.port,
            allowed_hosts=args.allow_host,
            signing_key=signing_key,
        )
    except OSError as problem:
        print(f"asl serve: cannot listen on {args.host}:{args.port}: {problem}", file=sys.stderr)
        return 2
    try:
        with service.unserved_checked_after():
            for source in machines:
                service.create_state_machine(
                    name=source.name,
                    definition=source.definition,
                    roleArn=source.role_arn or f"arn:aws:iam::{args.account}:role/asl-local",
                    type=source.state_machine_type or "STANDARD",
                )
    except StepFunctionsError as problem:
        print(f"asl serve: {problem.code}: {problem.message}", file=sys.stderr)
        server.server_close()
        return 2
    stop = threading.Event()
    retention_ms = int(args.retention_days * 86_400_000)
    threading.Thread(
        target=_retention_loop, args=(service, retention_ms, stop), daemon=True
    ).start()
    if args.clock == "virtual":
        threading.Thread(target=_virtual_loop, args=(service, stop), daemon=True).start()
    else:
        service.start_workers()
    for source in machines:
        print(f"asl serve: state machine {source.name} from {source.label}", file=sys.stderr)
    url = f"http://{args.host}:{server.server_address[1]}"
    print(f"asl serve: the viewer is at {url}/", file=sys.stderr)
    print(f"asl serve: Step Functions API on {url}", file=sys.stderr)
    if signing_key is None:
        _warn_unauthenticated(args)
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        if args.clock == "real":
            service.stop_workers()
    return 0


def _log_executions(service: Any, args: argparse.Namespace) -> None:
    """Execution logs: to CloudWatch Logs when an AWS endpoint is configured, else to standard
    error with --log-executions."""
    from interpreter.api.execution_log import CloudWatchLogsSink, StreamSink

    if args.aws or args.endpoint_url:
        import boto3

        logs = boto3.client("logs", region_name=args.region, endpoint_url=args.endpoint_url)
        service.log_executions(CloudWatchLogsSink(logs))
    elif args.log_executions:
        service.log_executions(StreamSink(sys.stderr))


def _warn_unauthenticated(args: argparse.Namespace) -> None:
    """Say loudly what an endpoint without --auth lets any local process do."""
    if args.aws or args.endpoint_url:
        print(
            "asl serve: WARNING: UNAUTHENTICATED, and Tasks call AWS with your credentials: any "
            "process on this machine that reaches the port can run aws-sdk:* Tasks as you. "
            "Require signed requests with --auth KEY_ID:SECRET (or $ASL_SERVE_AUTH).",
            file=sys.stderr,
        )
    else:
        print(
            "asl serve: unauthenticated (any local process may call it; --auth KEY_ID:SECRET "
            "requires signed requests)",
            file=sys.stderr,
        )


#: How often the endpoint looks for executions past their retention.
RETENTION_SWEEP_SECONDS = 60.0


def _retention_loop(service: Any, retention_ms: int, stop: threading.Event) -> None:
    """The local sweep of finished executions past their retention (DynamoDB's TTL does it on
    AWS)."""
    while not stop.wait(RETENTION_SWEEP_SECONDS):
        try:
            while service.expire_finished(retention_ms) > 0:
                pass
        except Exception as problem:  # a store hiccup: the next sweep tries again
            print(f"asl serve: retention sweep failed: {problem}", file=sys.stderr)


def _log_to_stderr(level: str) -> None:
    """The endpoint's own log (one line per request at INFO) on stderr. Only the
    ``interpreter`` loggers: handlers' records are their invocation's (handler_output)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("asl serve: %(message)s"))
    logger = logging.getLogger("interpreter")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def _project_machines(
    args: argparse.Namespace, lambdas: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """The state machines ``--definition`` names, and the handlers with their templates'
    functions added (raises ProjectError)."""
    from interpreter.project.functions import local_handlers
    from interpreter.project.loader import open_project

    options = load_options(args)
    machines: list[Any] = []
    handlers = dict(lambdas)
    for path in args.definitions:
        project = open_project(path, options)
        for _label, source in project.machines():
            if isinstance(source, Exception):
                raise source
            machines.append(source)
            handlers = {
                **local_handlers(project.functions(), source.definition, overrides=lambdas),
                **handlers,
            }
    return machines, handlers


def _virtual_loop(service: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        service.run_until_idle()
        service.queue.wait(0.05)


def _serve_serverless(args: argparse.Namespace) -> int:
    """``asl serve --serverless``: the local cloud (interpreter.cloud) until interrupted."""
    from interpreter.cloud.supervisor import CloudError, CloudOptions, LocalCloud

    refused = [
        option
        for option, given in (
            ("--state", args.state),
            ("--clock virtual", args.clock == "virtual"),
            ("--auth", args.auth),
            ("--definition", args.definitions),
        )
        if given
    ]
    if refused:
        print(
            f"asl serve: --serverless does not take {', '.join(refused)}: DynamoDB keeps the "
            "state, time is real, and state machines are created through the API",
            file=sys.stderr,
        )
        return 2
    if args.workers < 1:
        print("asl serve: --workers must be at least 1", file=sys.stderr)
        return 2
    options = CloudOptions(
        workers=args.workers,
        host=args.host,
        port=args.port,
        region=args.region,
        account=args.account,
        endpoint_url=args.endpoint_url,
        lambdas=tuple(args.lambdas),
        mock_config=args.mock_config,
        allowed_hosts=tuple(args.allow_host),
        sweep_interval_s=args.sweep_seconds,
        log_level=args.log_level,
    )
    cloud = LocalCloud(options)
    try:
        cloud.start()
    except (CloudError, OSError) as problem:
        print(f"asl serve: the serverless deployment did not start: {problem}", file=sys.stderr)
        cloud.stop()
        return 2
    where = "moto's server" if args.endpoint_url is None else args.endpoint_url
    print(
        f"asl serve: serverless: DynamoDB and SQS on {where}, {args.workers} worker "
        f"process(es), the sweep every {args.sweep_seconds:g} s",
        file=sys.stderr,
    )
    print(f"asl serve: the viewer is at {cloud.url}/", file=sys.stderr)
    print(f"asl serve: Step Functions API on {cloud.url}", file=sys.stderr)
    sys.stderr.flush()
    # A SIGTERM (a supervisor, `kill`) stops the deployment as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        cloud.stop()
    return 0


def _interrupt(_signal: int, _frame: Any) -> None:
    raise KeyboardInterrupt
