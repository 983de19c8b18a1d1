"""The compiled, immutable model of a state machine.

:func:`interpreter.definition.compiler.compile_state_machine` turns a validated definition into
these frozen dataclasses. Every path, payload template, intrinsic call, Choice rule and JSONata
expression is compiled once here, so executing a state never parses anything.

Field names follow the ASL spec (``result_path``, ``error_equals``, ``max_attempts``); a state's
class is named after its ``Type``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from interpreter.definition.resources import TaskResource
from interpreter.json_types import JSON

JSONPATH: Final = "JSONPath"
JSONATA: Final = "JSONata"


class PathSpecial(enum.Enum):
    """The two special values a path field can take besides a real path."""

    #: The field is absent: ``$`` (take everything).
    IDENTITY = "identity"
    #: The field is JSON ``null``: InputPath/OutputPath give ``{}``, ResultPath discards the result.
    NULL = "null"


STATE_TYPES: Final = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_ENTERED_EVENTS: Final = {kind: kind + "StateEntered" for kind in STATE_TYPES}
_EXITED_EVENTS: Final = {kind: kind + "StateExited" for kind in STATE_TYPES}

IDENTITY: Final = PathSpecial.IDENTITY
NULL: Final = PathSpecial.NULL

#: A compiled value path (``interpreter.query.jsonpath.ValuePath``) or one of the special values.
PathField: TypeAlias = Any
#: A compiled payload template (``interpreter.query.template.PayloadTemplate``).
Template: TypeAlias = Any
#: A compiled JSONata template (``interpreter.query.jsonata.JsonataTemplate``).
JsonataTemplate: TypeAlias = Any
#: A compiled Choice rule (``interpreter.query.choice.ChoiceRule``).
ChoiceRuleModel: TypeAlias = Any


@dataclass(frozen=True, slots=True)
class Retrier:
    """One entry of a state's ``Retry`` list."""

    error_equals: tuple[str, ...]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_strategy: str = "NONE"


@dataclass(frozen=True, slots=True)
class Catcher:
    """One entry of a state's ``Catch`` list."""

    error_equals: tuple[str, ...]
    next: str
    result_path: PathField = IDENTITY
    #: JSONata ``Output`` of the catcher (JSONata states only).
    output: JsonataTemplate | None = None
    assign: Any = None


@dataclass(frozen=True, slots=True)
class State:
    """What every state has. Concrete states subclass this."""

    name: str
    type: str
    query_language: str
    next: str | None
    end: bool
    # JSONPath data flow (absent fields keep their defaults).
    input_path: PathField = IDENTITY
    output_path: PathField = IDENTITY
    # JSONata output.
    output: JsonataTemplate | None = None
    #: Compiled Assign: a payload template (JSONPath) or a JSONata template.
    assign: Any = None
    comment: str | None = None

    @property
    def is_jsonata(self) -> bool:
        """Whether this state evaluates JSONata (``{% %}``) rather than JSONPath."""
        return self.query_language == JSONATA

    @property
    def entered_event(self) -> str:
        """The history event type recorded when the state is entered (``PassStateEntered``)."""
        return _ENTERED_EVENTS[self.type]

    @property
    def exited_event(self) -> str:
        """The history event type recorded when the state is exited (``PassStateExited``)."""
        return _EXITED_EVENTS[self.type]


@dataclass(frozen=True, slots=True)
class PassState(State):
    """``"Type": "Pass"``."""

    has_result: bool = False
    result: JSON = None
    parameters: Template | None = None
    result_path: PathField = IDENTITY


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState(State):
    """``"Type": "Task"``."""

    #: The ``Resource``, parsed when the definition is compiled (its text is ``resource.arn``).
    resource: TaskResource
    parameters: Template | None = None
    #: JSONata ``Arguments``.
    arguments: JsonataTemplate | None = None
    result_selector: Template | None = None
    result_path: PathField = IDENTITY
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    timeout_seconds: Any = None
    timeout_seconds_path: PathField = None
    heartbeat_seconds: Any = None
    heartbeat_seconds_path: PathField = None
    credentials: Any = None


@dataclass(frozen=True, slots=True)
class ChoiceBranch:
    """One element of ``Choices``: a rule (JSONPath) or a Condition (JSONata) and its ``Next``."""

    next: str
    rule: ChoiceRuleModel = None
    condition: Any = None
    output: JsonataTemplate | None = None
    assign: Any = None


@dataclass(frozen=True, slots=True)
class ChoiceState(State):
    """``"Type": "Choice"``."""

    choices: tuple[ChoiceBranch, ...] = ()
    default: str | None = None


@dataclass(frozen=True, slots=True)
class WaitState(State):
    """``"Type": "Wait"``: exactly one of the four timing fields is set."""

    seconds: Any = None
    timestamp: Any = None
    seconds_path: PathField = None
    timestamp_path: PathField = None


@dataclass(frozen=True, slots=True)
class SucceedState(State):
    """``"Type": "Succeed"``."""


@dataclass(frozen=True, slots=True)
class FailState(State):
    """``"Type": "Fail"``."""

    error: Any = None
    cause: Any = None
    error_path: Any = None
    cause_path: Any = None


@dataclass(frozen=True, slots=True)
class ParallelState(State):
    """``"Type": "Parallel"``."""

    branches: tuple[StateMachine, ...] = ()
    parameters: Template | None = None
    arguments: JsonataTemplate | None = None
    result_selector: Template | None = None
    result_path: PathField = IDENTITY
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemReader:
    """A Distributed Map's ``ItemReader``: where its items come from (S3)."""

    resource: str
    #: ``Parameters`` (a payload template) or JSONata ``Arguments`` (a JSONata template).
    parameters: Template | None = None
    reader_config: Mapping[str, Any] | None = None
    #: ``ReaderConfig.MaxItemsPath`` (JSONPath states).
    max_items_path: PathField = None


@dataclass(frozen=True, slots=True)
class ItemBatcher:
    """A Distributed Map's ``ItemBatcher``: each child execution gets a batch of items."""

    #: ``MaxItemsPerBatch`` / ``MaxInputBytesPerBatch``: a number, or a JSONata template.
    max_items_per_batch: Any = None
    max_input_bytes_per_batch: Any = None
    #: Their ``*Path`` variants (JSONPath states).
    max_items_per_batch_path: PathField = None
    max_input_bytes_per_batch_path: PathField = None
    #: ``BatchInput``: a payload template (JSONPath) or a JSONata template.
    batch_input: Template | None = None


@dataclass(frozen=True, slots=True)
class ResultWriter:
    """A Distributed Map's ``ResultWriter``: export of the child executions' results to S3."""

    #: ``arn:aws:states:::s3:putObject``, or None with only a ``WriterConfig``.
    resource: str | None = None
    #: ``Parameters`` (a payload template) or JSONata ``Arguments`` (a JSONata template).
    parameters: Template | None = None
    #: ``WriterConfig.Transformation``: None when not given (the default depends on Resource).
    transformation: str | None = None
    #: ``WriterConfig.OutputType``: ``JSON`` or ``JSONL``.
    output_type: str | None = None


@dataclass(frozen=True, slots=True)
class MapState(State):
    """``"Type": "Map"`` (inline, and distributed run as inline children)."""

    processor: StateMachine | None = None
    processor_mode: str = "INLINE"
    execution_type: str | None = None
    items_path: PathField = IDENTITY
    #: JSONata ``Items`` (an expression or a literal array).
    items: Any = None
    #: ``ItemSelector`` or the legacy ``Parameters``.
    item_selector: Template | None = None
    item_reader: ItemReader | None = None
    item_batcher: ItemBatcher | None = None
    result_writer: ResultWriter | None = None
    result_selector: Template | None = None
    result_path: PathField = IDENTITY
    max_concurrency: Any = 0
    max_concurrency_path: PathField = None
    tolerated_failure_count: Any = None
    tolerated_failure_count_path: PathField = None
    tolerated_failure_percentage: Any = None
    tolerated_failure_percentage_path: PathField = None
    label: str | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    #: Whether the definition used the legacy ``Iterator`` field.
    legacy_iterator: bool = False


@dataclass(frozen=True, slots=True)
class StateMachine:
    """A compiled state machine, or one scope of it (a Parallel branch, a Map processor)."""

    start_at: str
    states: Mapping[str, State]
    query_language: str = JSONPATH
    timeout_seconds: int | None = None
    comment: str | None = None
