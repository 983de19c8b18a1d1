"""A template's own Lambda functions, run in-process from their code — no Docker.

:func:`template_functions` reads the template's ``AWS::Serverless::Function`` and
``AWS::Lambda::Function`` resources (``Globals.Function`` merged as SAM merges it: maps key by
key, lists appended, scalars replaced): runtime, handler, code (``CodeUri``/``InlineCode``,
``Code.ZipFile``, or a local path), environment, memory, timeout, layers of the same template.
:func:`local_handlers` turns the Python ones into handlers for the existing local Lambda mechanism
(``lambdas={name: handler}``), registered under the function's local name, which is what the
definition's ``!GetAtt Fn.Arn`` / ``!Ref Fn`` resolve to.

A :class:`TemplateFunction` behaves as Lambda's Python runtime does, as far as one process can:

* its module is imported on the first invocation (Lambda's init), with the code directory and
  the layers' ``python/`` directories first on ``sys.path``; a failed import is the function's
  ``Runtime.ImportModuleError``, as Lambda reports it. Modules of one function's code are taken
  out of ``sys.modules`` after its import, so two functions may each have an ``app.py``;
* its environment variables (the template's, and Lambda's own ``AWS_LAMBDA_FUNCTION_NAME``,
  ``AWS_REGION``, ``LAMBDA_TASK_ROOT``...) are set in ``os.environ`` only while it runs — init
  included — and the previous values restored after. ``os.environ`` is one per process, so
  template functions run one at a time (a process-wide lock); other code keeps running;
* its context carries the function's name, ARN, memory, version, log group and stream, and a
  ``get_remaining_time_in_millis()`` that counts down from the function's ``Timeout``.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from interpreter.json_types import JSON
from interpreter.project.cloudformation import NO_VALUE, Template, TemplateError
from interpreter.project.errors import ProjectError

SERVERLESS_FUNCTION: Final = "AWS::Serverless::Function"
LAMBDA_FUNCTION: Final = "AWS::Lambda::Function"
_LAYER_TYPES: Final = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
_DEFAULT_MEMORY_MB: Final = 128
_DEFAULT_TIMEOUT_S: Final = 3


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What a template says about one function, resolved."""

    logical_id: str
    #: The function's local name (``FunctionName``, else ``<stack>-<LogicalId>``).
    name: str
    arn: str
    runtime: str | None
    handler: str | None
    #: The code directory, or None for inline code (``inline_code``) or code elsewhere.
    code_dir: Path | None
    inline_code: str | None
    environment: Mapping[str, str]
    memory_mb: int
    timeout_s: int
    region: str
    layer_dirs: Sequence[Path] = field(default_factory=tuple)
    #: Why this function cannot run in-process (None when it can).
    unservable: str | None = None

    @property
    def is_python(self) -> bool:
        """Whether the runtime is a Python one."""
        return bool(self.runtime and self.runtime.startswith("python"))


def template_functions(template: Template, directory: Path) -> list[FunctionSpec]:
    """The functions the template creates (raises ProjectError for values it cannot resolve)."""
    return [
        _spec(template, directory, logical_id)
        for logical_id in template.resources_of_type(SERVERLESS_FUNCTION, LAMBDA_FUNCTION)
    ]


def _spec(template: Template, directory: Path, logical_id: str) -> FunctionSpec:
    serverless = template.resources[logical_id].get("Type") == SERVERLESS_FUNCTION
    raw: dict[str, Any] = dict(template.properties(logical_id))
    if serverless:
        raw = _merge_globals(_mapping(template.globals.get("Function")), raw)
    where = f"Resources.{logical_id}.Properties"

    def value(key: str, default: Any = None) -> Any:
        if key not in raw:
            return default
        resolved = template.resolve(raw[key], f"{where}.{key}")
        return default if resolved is NO_VALUE else resolved

    variables = _mapping(_mapping(value("Environment", {})).get("Variables"))
    code_dir, inline, unservable = _code(template, directory, logical_id, raw, value, serverless)
    runtime = value("Runtime")
    if value("PackageType") == "Image":
        unservable = "it is a container image function (PackageType: Image)"
    elif runtime is None:
        unservable = "its Runtime is not given"
    elif not str(runtime).startswith("python"):
        unservable = f"its runtime is {runtime}; asl runs Python functions in-process only"
    return FunctionSpec(
        logical_id=logical_id,
        name=template.physical_name(logical_id),
        arn=template.arn(logical_id),
        runtime=None if runtime is None else str(runtime),
        handler=None if value("Handler") is None else str(value("Handler")),
        code_dir=code_dir,
        inline_code=inline,
        environment={str(key): _env_text(item) for key, item in variables.items()},
        memory_mb=int(value("MemorySize", _DEFAULT_MEMORY_MB)),
        timeout_s=int(value("Timeout", _DEFAULT_TIMEOUT_S)),
        region=template.settings.region,
        layer_dirs=tuple(_layer_dirs(template, directory, raw.get("Layers"))),
        unservable=unservable,
    )


def _code(
    template: Template,
    directory: Path,
    logical_id: str,
    raw: Mapping[str, Any],
    value: Callable[..., Any],
    serverless: bool,
) -> tuple[Path | None, str | None, str | None]:
    """The code directory or inline code, or why the code is not here."""
    if serverless:
        if "InlineCode" in raw:
            return None, str(value("InlineCode")), None
        location = value("CodeUri", ".")
    else:
        code = value("Code", {})
        if isinstance(code, dict) and "ZipFile" in code:
            return None, str(code["ZipFile"]), None
        location = code
    if not isinstance(location, str):
        return None, None, f"its code is in S3 ({location!r}), not in a local directory"
    path = (directory / location).resolve()
    if path.suffix == ".zip" or not path.is_dir():
        return None, None, f"its code {location} is not a local directory"
    return path, None, None


def _layer_dirs(template: Template, directory: Path, layers: JSON) -> Iterator[Path]:
    """The local directories of the template's own layers (``ContentUri``/``Content``)."""
    for layer in layers if isinstance(layers, list) else []:
        logical_id = layer.get("Ref") if isinstance(layer, dict) else None
        resource = template.resources.get(str(logical_id)) if logical_id else None
        if resource is None or resource.get("Type") not in _LAYER_TYPES:
            continue  # a layer from elsewhere: its code is not here
        properties = _mapping(resource.get("Properties"))
        content = properties.get("ContentUri", properties.get("Content"))
        if isinstance(content, str):
            root = (directory / content).resolve()
            yield from (path for path in (root / "python", root) if path.is_dir())


def _merge_globals(globals_: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals merge: maps merged key by key, lists appended, scalars replaced."""
    merged = dict(globals_)
    for key, item in properties.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(item, dict) and not _intrinsic(item):
            merged[key] = _merge_globals(current, item)
        elif isinstance(current, list) and isinstance(item, list):
            merged[key] = [*current, *item]
        else:
            merged[key] = item
    return merged


def _intrinsic(value: Mapping[str, Any]) -> bool:
    return (len(value) == 1 and next(iter(value)) in ("Ref", "Condition")) or any(
        key.startswith("Fn::") for key in value
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _env_text(value: JSON) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise TemplateError(f"an environment variable resolves to {value!r}, not a string")
    return "" if value is None else str(value)


# ------------------------------------------------------------------ in-process functions

#: Held while a template function runs: its environment is the process's.
_ENVIRONMENT_LOCK: Final = threading.RLock()


@dataclass(slots=True)
class FunctionContext:
    """Lambda's context object, as a template function sees it."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's Timeout."""
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class TemplateFunction:
    """A template's Python function as a local handler ``handler(event, context)``."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        #: Shown in Lambda's REPORT line.
        self.memory_mb = spec.memory_mb
        self._handler: Callable[[JSON, Any], Any] | None = None

    def __call__(self, event: JSON, context: Any) -> Any:
        spec = self.spec
        request_id = str(getattr(context, "aws_request_id", ""))
        function_context = FunctionContext(
            function_name=spec.name,
            function_version="$LATEST",
            invoked_function_arn=str(getattr(context, "invoked_function_arn", spec.arn)),
            memory_limit_in_mb=spec.memory_mb,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{spec.name}",
            log_stream_name=f"{time.strftime('%Y/%m/%d')}/[$LATEST]{request_id.replace('-', '')}",
            deadline=time.monotonic() + spec.timeout_s,
        )
        with _ENVIRONMENT_LOCK, _environment(self._variables()), _search_path(self._paths()):
            return self._loaded()(event, function_context)

    def _variables(self) -> dict[str, str]:
        spec = self.spec
        return {
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir or ""),
            "_HANDLER": spec.handler or "",
            **spec.environment,
        }

    def _paths(self) -> list[str]:
        paths = [str(path) for path in self.spec.layer_dirs]
        if self.spec.code_dir is not None:
            paths.insert(0, str(self.spec.code_dir))
        return paths

    def _loaded(self) -> Callable[[JSON, Any], Any]:
        if self._handler is None:
            self._handler = _import_handler(self.spec)
        return self._handler


class ImportModuleError(Exception):
    """The function's module or handler cannot be loaded (Lambda: ``Runtime.ImportModuleError``)."""

    #: The ``errorType`` Lambda's Python runtime reports (see ``lambda_local``).
    lambda_error_type = "Runtime.ImportModuleError"


def _import_handler(spec: FunctionSpec) -> Callable[[JSON, Any], Any]:
    module_name, _, function_name = (spec.handler or "").rpartition(".")
    if not module_name or not function_name:
        raise ImportModuleError(f"Bad handler '{spec.handler}': not enough values to unpack")
    module_name = module_name.replace("/", ".")
    try:
        if spec.inline_code is not None:
            module = types.ModuleType(module_name)
            code = compile(spec.inline_code, f"<{spec.logical_id} inline code>", "exec")
            exec(code, module.__dict__)  # noqa: S102 - the operator's own function, as Lambda runs it
        else:
            assert spec.code_dir is not None
            module = _import_isolated(module_name, spec.code_dir)
    except ImportModuleError:
        raise
    except Exception as problem:  # any failure of the function's init code
        raise ImportModuleError(f"Unable to import module '{module_name}': {problem}") from problem
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise ImportModuleError(f"Handler '{function_name}' missing on module '{module_name}'")
    return handler  # type: ignore[no-any-return]


def _import_isolated(module_name: str, code_dir: Path) -> types.ModuleType:
    """Import ``module_name`` from ``code_dir`` (first on ``sys.path``), then take every module
    of ``code_dir`` out of ``sys.modules`` so another function's same-named modules load."""
    own = {path.stem for path in code_dir.iterdir() if path.suffix == ".py" or path.is_dir()}

    def is_own(name: str) -> bool:
        return name.split(".", 1)[0] in own

    stashed = {name: module for name, module in sys.modules.items() if is_own(name)}
    for name in stashed:
        del sys.modules[name]
    try:
        return importlib.import_module(module_name)
    finally:
        for name in [name for name in sys.modules if is_own(name)]:
            del sys.modules[name]
        sys.modules.update(stashed)


@contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _search_path(paths: list[str]) -> Iterator[None]:
    sys.path[:0] = paths
    try:
        yield
    finally:
        for path in paths:
            if path in sys.path:
                sys.path.remove(path)


# ------------------------------------------------------------------ serving a template's functions


def local_handlers(
    functions: Sequence[FunctionSpec],
    definition: str,
    *,
    overrides: Mapping[str, Any] = {},
    mocked: bool = False,
) -> dict[str, Any]:
    """Handlers for the template's Python functions, by local name; ``overrides`` (``--lambda``,
    by local name or logical id) replace them.

    Raises ProjectError when the definition calls a function that cannot run in-process and is
    neither overridden nor (``mocked``) covered by a mock configuration, naming the options.
    """
    handlers: dict[str, Any] = {}
    by_logical_id = {spec.logical_id: spec.name for spec in functions}
    overridden = {by_logical_id.get(name, name): handler for name, handler in overrides.items()}
    for spec in functions:
        if spec.name in overridden:
            continue
        if spec.unservable is None:
            handlers[spec.name] = TemplateFunction(spec)
        elif not mocked and _references(definition, spec):
            raise ProjectError(
                f"the state machine calls {spec.logical_id} ({spec.name}), which cannot run "
                f"in-process: {spec.unservable}. Serve it with --lambda {spec.logical_id}="
                "FILE.py:FUNCTION, or mock it with --mock-config"
            )
    handlers.update(overridden)
    return handlers


def _references(definition: str, spec: FunctionSpec) -> bool:
    """Whether the definition names the function (its ARN, or its name in quotes)."""
    return (
        spec.arn in definition
        or f'"{spec.name}"' in definition
        or (f":function:{spec.name}" in definition)
    )
