"""The local serverless cloud: DynamoDB and SQS, the API, N worker processes and the sweep.

:class:`LocalCloud` starts moto's server in this process (or uses the endpoints it is given),
creates the table and queues as ``template.yaml`` declares them, and runs the functions in
their own OS processes (:mod:`interpreter.cloud.process`). A process that dies is started again
(:meth:`LocalCloud.watch`), as Lambda starts a new execution environment; the API comes back on
the same port. Tests reach the processes to kill them (:meth:`LocalCloud.kill`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any

from interpreter.cloud.process import READY
from interpreter.cloud.settings import CloudSettings, provision

_log = logging.getLogger("interpreter.cloud")

#: Credentials for the local endpoints (moto's server takes any).
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class CloudError(RuntimeError):
    """The local cloud could not start (an endpoint unreachable, a process that will not run)."""


@dataclass(frozen=True, slots=True)
class CloudOptions:
    """What ``asl serve --serverless`` is asked for."""

    workers: int = 2
    host: str = "127.0.0.1"
    port: int = 8083
    region: str = "us-east-1"
    account: str = "123456789012"
    #: Every AWS call goes here instead of a moto server started in this process.
    endpoint_url: str | None = None
    #: Endpoints for one service only (``dynamodb``: dynalite...), over ``endpoint_url``.
    service_endpoints: Mapping[str, str] = field(default_factory=dict)
    #: ``--lambda NAME=FILE.py:FUNCTION`` specs the workers serve.
    lambdas: Sequence[str] = ()
    mock_config: str | None = None
    allowed_hosts: Sequence[str] = ()
    #: Sweep every this many seconds (the handler's SWEEP_INTERVAL_SECONDS).
    sweep_interval_s: float = 10.0
    #: Extra environment for every function (tests shorten the runtime's patience).
    environment: Mapping[str, str] = field(default_factory=dict)
    log_level: str = "WARNING"


@dataclass(slots=True)
class _Child:
    role: str
    index: int
    process: subprocess.Popen[str]
    restarts: int = 0


class LocalCloud:
    """``template.yaml``'s deployment on this machine (see the module doc)."""

    def __init__(self, options: CloudOptions, settings: CloudSettings | None = None) -> None:
        self.options = options
        self.settings = settings or CloudSettings()
        self.endpoint_url = options.endpoint_url
        self.queue_url = ""
        self.port = options.port
        self._moto: Any = None
        self._children: list[_Child] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    # ------------------------------------------------------------------ starting

    def start(self) -> None:
        """Start the services, create the resources, start the functions' processes."""
        _check_handlers(self.options.lambdas)
        if self.endpoint_url is None:
            self._start_moto()
        self.queue_url = provision(self.settings, self.client("dynamodb"), self.client("sqs"))
        api = self._spawn("api", 0)
        self.port = self._await_ready(api)
        for index in range(self.options.workers):
            self._spawn("worker", index)
        self._spawn("sweep", 0)
        self._watcher = threading.Thread(target=self.watch, name="asl-cloud-watch", daemon=True)
        self._watcher.start()

    def _start_moto(self) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as problem:  # pragma: no cover - the install says what it needs
            raise CloudError(
                "asl serve --serverless needs moto's server: pip install 'asl-interpreter[cloud]' "
                f"(or give --endpoint-url) ({problem})"
            ) from None
        # Its request log is werkzeug's, on stderr: not the endpoint's output.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"

    def client(self, service: str) -> Any:
        """A boto3 client for one of the cloud's services (tests inspect the queues)."""
        import boto3

        endpoint = self.options.service_endpoints.get(service, self.endpoint_url)
        # boto3's stubs overload client() per literal service name; ours is a variable.
        return boto3.client(  # type: ignore[call-overload]
            service,
            region_name=self.options.region,
            endpoint_url=endpoint,
            aws_access_key_id=_LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=_LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def environment(self) -> dict[str, str]:
        """The functions' environment: what ``template.yaml`` sets, and the emulation's."""
        settings, options = self.settings, self.options
        env = {
            **os.environ,
            **_LOCAL_CREDENTIALS,
            "AWS_REGION": options.region,
            "AWS_DEFAULT_REGION": options.region,
            "TABLE_NAME": settings.table_name,
            "QUEUE_URL": self.queue_url,
            "ACCOUNT_ID": options.account,
            "RETENTION_DAYS": str(settings.retention_days),
            "POWERTOOLS_LOG_LEVEL": "DEBUG" if options.log_level == "DEBUG" else "WARNING",
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
            "POWERTOOLS_METRICS_NAMESPACE": "AslInterpreter",
            "SWEEP_INTERVAL_SECONDS": str(options.sweep_interval_s),
            "ASL_CLOUD_HOST": options.host,
            "ASL_CLOUD_PORT": str(self.port),
            "ASL_CLOUD_ALLOW_HOSTS": ",".join(options.allowed_hosts),
            "ASL_CLOUD_BATCH_SIZE": str(settings.batch_size),
            "ASL_CLOUD_API_TIMEOUT": str(settings.api_timeout_s),
            "ASL_CLOUD_WORKER_TIMEOUT": str(settings.worker_timeout_s),
            "ASL_CLOUD_SWEEP_TIMEOUT": str(settings.sweep_timeout_s),
            "ASL_CLOUD_SWEEP_RATE": str(settings.sweep_rate_s),
            "ASL_CLOUD_LOG_LEVEL": options.log_level,
            "PYTHONUNBUFFERED": "1",
        }
        if self.endpoint_url is not None:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        for service, url in options.service_endpoints.items():
            env[f"AWS_ENDPOINT_URL_{service.upper()}"] = url
        if options.lambdas:
            env["ASL_LAMBDAS"] = json.dumps(list(options.lambdas))
        if self._moto is not None:
            # Its own moto server has no functions: the --lambda handlers are all there are.
            env["ASL_CLOUD_LAMBDAS_ARE_ALL"] = "1"
        if options.mock_config:
            env["SFN_MOCK_CONFIG"] = os.path.abspath(options.mock_config)
        env.update(options.environment)
        return env

    def _spawn(self, role: str, index: int, restarts: int = 0) -> _Child:
        env = self.environment()
        env["AWS_LAMBDA_FUNCTION_NAME"] = f"asl-{role}"
        env["ASL_CLOUD_SUPERVISOR_PID"] = str(os.getpid())
        # The functions' own output (Powertools' JSON logs and EMF metrics go to stdout, as in
        # Lambda) is shown at DEBUG; the API's stdout carries its ready line first. Their
        # stderr (the endpoint's request lines, failures) is this process's.
        process = subprocess.Popen(  # noqa: S603 - our own module, in this interpreter
            [sys.executable, "-m", "interpreter.cloud.process", role],
            env=env,
            stdout=subprocess.PIPE if role == "api" else self._function_output(),
            text=True,
        )
        child = _Child(role, index, process, restarts)
        with self._lock:
            self._children.append(child)
        return child

    def _await_ready(self, child: _Child, timeout_s: float = 60.0) -> int:
        stream: IO[str] | None = child.process.stdout
        assert stream is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise CloudError(f"the API process exited ({child.process.returncode})")
            ready, _, _ = select.select([stream], [], [], 0.2)
            if not ready:
                continue
            line = stream.readline()
            if line.startswith(READY):
                threading.Thread(
                    target=self._drain, args=(stream,), name="asl-cloud-api-output", daemon=True
                ).start()
                return int(line.rsplit("=", 1)[1])
        raise CloudError("the API process did not start in time")

    def _function_output(self) -> int | None:
        return None if self.options.log_level.upper() == "DEBUG" else subprocess.DEVNULL

    def _drain(self, stream: IO[str]) -> None:
        """Read the API process's output so it never blocks on a full pipe."""
        shown = self._function_output() is None
        try:
            for line in stream:
                if shown:
                    sys.stderr.write(line)
        except (OSError, ValueError):
            return  # closed: the cloud is stopping
        # The process ended (killed, to be started again): its pipe is ours to close.
        with contextlib.suppress(OSError, ValueError):
            stream.close()

    # ------------------------------------------------------------------ running

    def watch(self) -> None:
        """Start again every function process that died (until :meth:`stop`)."""
        while not self._stopping.wait(0.2):
            with self._lock:
                dead = [child for child in self._children if child.process.poll() is not None]
                for child in dead:
                    self._children.remove(child)
            for child in dead:
                if self._stopping.is_set():
                    return
                _log.warning(
                    "the %s process %d ended (%s): starting it again",
                    child.role,
                    child.index,
                    child.process.returncode,
                )
                fresh = self._spawn(child.role, child.index, child.restarts + 1)
                if child.role == "api":
                    try:
                        self._await_ready(fresh)
                    except CloudError:
                        _log.exception("the API process did not come back")
                        if fresh.process.stdout is not None:
                            fresh.process.stdout.close()

    def restart_workers(self, lambdas: Sequence[str] | None = None) -> None:
        """Start every worker process again (with other local Lambda handlers, when given),
        as a new deployment of the worker function would."""
        if lambdas is not None:
            _check_handlers(lambdas)
            self.options = replace(self.options, lambdas=tuple(lambdas))
        with self._lock:
            old = [child for child in self._children if child.role == "worker"]
            self._children = [child for child in self._children if child.role != "worker"]
        for child in old:
            child.process.terminate()
        for child in old:
            try:
                child.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait(timeout=5)
        for child in old:
            self._spawn("worker", child.index)

    def processes(self, role: str) -> list[subprocess.Popen[str]]:
        """The running processes of a role (``api``, ``worker``, ``sweep``)."""
        with self._lock:
            return [child.process for child in self._children if child.role == role]

    def kill(self, role: str, index: int = 0) -> int:
        """``kill -9`` one function process (it is started again); returns its pid."""
        with self._lock:
            chosen = [c for c in self._children if c.role == role and c.index == index]
        if not chosen:
            raise CloudError(f"no {role} process {index}")
        pid = chosen[0].process.pid
        os.kill(pid, signal.SIGKILL)
        return pid

    def restarts(self) -> int:
        """How many times function processes were started again."""
        with self._lock:
            return sum(child.restarts for child in self._children)

    @property
    def url(self) -> str:
        """The Step Functions endpoint (boto3's ``endpoint_url``)."""
        return f"http://{self.options.host}:{self.port}"

    def stop(self) -> None:
        """Stop every process and the services this cloud started."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._lock:
            children, self._children = self._children, []
        for child in children:
            child.process.terminate()
        for child in children:
            try:
                child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait(timeout=5)
            if child.process.stdout is not None:
                child.process.stdout.close()
        if self._moto is not None:
            # moto keeps its services' state in this process, not in the server: forget it,
            # so that a cloud started after this one starts empty.
            _reset_moto(str(self.endpoint_url))
            self._moto.stop()
            self._moto = None

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _reset_moto(endpoint_url: str) -> None:
    """Empty moto's in-process backends (its ``/moto-api/reset`` action)."""
    import urllib.request

    url = f"{endpoint_url}/moto-api/reset"
    request = urllib.request.Request(url, method="POST")  # noqa: S310 - our own local server
    try:
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own local server
            pass
    except OSError:
        _log.warning("could not reset moto's state at %s", endpoint_url)


def _check_handlers(specs: Sequence[str]) -> None:
    """Load the local handlers here first: a worker that cannot would fail every batch, and
    its messages would come back only after the queue's visibility timeout."""
    if not specs:
        return
    from interpreter.cli_run import UsageError, load_handlers

    try:
        load_handlers(list(specs))
    except UsageError as problem:
        raise CloudError(str(problem)) from None
