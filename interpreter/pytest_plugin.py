"""pytest fixtures for testing your state machines (registered as the ``pytest11`` plugin ``asl``).

* ``asl_run`` — a factory: ``asl_run(source, input, **options)`` runs a definition (a path to a
  ``.asl.json``/``.asl.yaml`` file or a template, a dict, or JSON text) in-process and returns
  its :class:`~interpreter.runtime.local.ExecutionResult`. A template's Python functions serve
  its Tasks; ``lambdas={...}`` replace some (by logical id or name), ``mock_config=`` and
  ``test_case=`` mock Tasks, ``machine=``/``parameters=``/``substitutions=`` choose and complete
  the definition. The clock is virtual unless ``clock="real"``.
* ``asl_endpoint`` — an ``asl serve`` endpoint running in a thread on a free loopback port, for
  the whole session, emptied after each test (:meth:`StepFunctionsService.reset`). It has a
  ready boto3 ``client`` (host prefix injection off, so StartSyncExecution and TestState reach
  it), its ``url``, ``serve_lambdas({...})``, ``create_state_machines(path)`` (a definition or a
  template, its functions served) and ``wait(execution_arn)``. ``asl_client`` is its client.

The endpoint's clock is virtual (Waits and back-off end as soon as nothing else is due); set
``asl_clock = real`` in the pytest ini file for a real one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``asl_clock`` ini option."""
    parser.addini(
        "asl_clock",
        "asl_endpoint's clock: virtual (default; Waits take no time) or real",
        default="virtual",
    )


class AslEndpoint:
    """A local Step Functions endpoint in this process (see the module docstring)."""

    def __init__(self, service: Any, url: str, client: Any) -> None:
        self.service = service
        self.url = url
        #: A boto3 ``stepfunctions`` client for this endpoint.
        self.client = client
        self._base_lambdas: dict[str, Any] = dict(service.lambdas)

    def serve_lambdas(self, lambdas: Mapping[str, Any]) -> None:
        """Serve these Lambda handlers (name or ARN -> ``handler(event, context)``) in this
        test, besides those the session's endpoint started with."""
        self.service.serve_lambdas({**self.service.lambdas, **lambdas})

    def create_state_machines(
        self,
        path: str | Path,
        *,
        lambdas: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> dict[str, str]:
        """Create the state machine of a definition file, or every one of a template (its Python
        functions served, ``lambdas`` replacing some); returns their ARNs by name and, for a
        template, by logical id. ``options``: ``substitutions``, ``parameters``, ``stack_name``."""
        from interpreter.project.functions import local_handlers
        from interpreter.project.loader import LoadOptions, open_project

        service = self.service
        project = open_project(
            str(path), LoadOptions(region=service.region, account=service.account, **options)
        )
        handlers = dict(lambdas or {})
        arns: dict[str, str] = {}
        with service.unserved_checked_after():
            for _label, source in project.machines():
                if isinstance(source, Exception):
                    raise source
                handlers = {
                    **local_handlers(
                        project.functions(), source.definition, overrides=lambdas or {}
                    ),
                    **handlers,
                }
                arn = service.create_state_machine(
                    name=source.name,
                    definition=source.definition,
                    roleArn=source.role_arn or f"arn:aws:iam::{service.account}:role/asl-local",
                    type=source.state_machine_type or "STANDARD",
                )["stateMachineArn"]
                arns[source.name] = arn
                if source.logical_id is not None:
                    arns[source.logical_id] = arn
            self.serve_lambdas(handlers)
        return arns

    def wait(self, execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
        """DescribeExecution once the execution has ended (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            described: dict[str, Any] = self.client.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            if time.monotonic() > deadline:
                raise AssertionError(f"{execution_arn} still RUNNING after {timeout} s")
            time.sleep(0.01)

    def reset(self) -> None:
        """Empty the endpoint and serve only the session's handlers again."""
        self.service.reset()
        self.service.serve_lambdas(self._base_lambdas)


def _client(url: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the local endpoint checks no signature
        # botocore sends StartSyncExecution to "sync-<host>" and TestState to "test-<host>".
        config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="session")
def _asl_session_endpoint(pytestconfig: pytest.Config) -> Iterator[AslEndpoint]:
    from interpreter.api.server import make_server
    from interpreter.app import local_service

    clock = str(pytestconfig.getini("asl_clock") or "virtual")
    service = local_service(clock=clock, region=DEFAULT_REGION, account=DEFAULT_ACCOUNT)
    server = make_server(service, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    stop = threading.Event()
    threads = [threading.Thread(target=server.serve_forever, name="asl-endpoint", daemon=True)]
    if clock == "virtual":
        threads.append(
            threading.Thread(target=_virtual_loop, args=(service, stop), name="asl-clock")
        )
    else:
        service.start_workers()
    for thread in threads:
        thread.start()
    try:
        yield AslEndpoint(service, url, _client(url, DEFAULT_REGION))
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        if clock == "real":
            service.stop_workers()
        for thread in threads:
            thread.join(timeout=5)


def _virtual_loop(service: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        service.run_until_idle()
        service.queue.wait(0.02)


@pytest.fixture
def asl_endpoint(_asl_session_endpoint: AslEndpoint) -> Iterator[AslEndpoint]:
    """A local Step Functions endpoint, emptied after the test."""
    try:
        yield _asl_session_endpoint
    finally:
        _asl_session_endpoint.reset()


@pytest.fixture
def asl_client(asl_endpoint: AslEndpoint) -> Any:
    """A boto3 ``stepfunctions`` client of :func:`asl_endpoint`."""
    return asl_endpoint.client


@pytest.fixture
def asl_run() -> Callable[..., Any]:
    """A factory that runs a definition or a project's state machine in-process."""
    return run_source


def run_source(source: Any, execution_input: Any = None, **options: Any) -> Any:
    """Run ``source`` — a path to a definition or template, a dict, or JSON text — once."""
    from interpreter.machine import StateMachine
    from interpreter.project.runner import run_project

    options.setdefault("clock", "virtual")
    if isinstance(source, Path) or (isinstance(source, str) and _is_path(source)):
        return run_project(str(source), execution_input, **options)
    definition = source if isinstance(source, str) else json.dumps(source)
    machine_options = {
        key: options.pop(key) for key in ("name", "state_machine_type") if key in options
    }
    return StateMachine(definition, **machine_options).run(execution_input, **options)


def _is_path(text: str) -> bool:
    return not text.lstrip().startswith("{") and Path(text).is_file()
