"""Compile a (validated) definition into the immutable model of :mod:`.model`.

Every query is compiled here, once: paths, payload templates, intrinsic calls, Choice rules and
JSONata expressions. The compiler trusts the validator for the shape of the document; what it
cannot compile it reports as :class:`DefinitionError` (a bug or an unvalidated definition), never
as a Python crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interpreter.definition import model as M
from interpreter.definition.resources import parse_task_resource
from interpreter.json_types import JSON
from interpreter.query.errors import QuerySyntaxError


class DefinitionError(ValueError):
    """A definition the compiler cannot turn into a model. ``location`` is a JSON pointer."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(f"{message} at {location}")
        self.message = message
        self.location = location


def compile_state_machine(definition: Mapping[str, Any]) -> M.StateMachine:
    """Compile a whole definition (the top-level object with ``StartAt`` and ``States``)."""
    language = definition.get("QueryLanguage", M.JSONPATH)
    return _Compiler(language).machine(definition, "", language)


def _contains_jsonata(value: Any) -> bool:
    """Whether ``value`` is, or holds at any depth, a ``{% %}`` string."""
    from interpreter.query.jsonata import is_jsonata_string

    if isinstance(value, dict):
        return any(_contains_jsonata(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_jsonata(item) for item in value)
    return bool(is_jsonata_string(value))


class _Compiler:
    def __init__(self, top_language: str) -> None:
        self.top_language = top_language

    # ------------------------------------------------------------------ helpers

    def fail(self, message: str, location: str) -> DefinitionError:
        return DefinitionError(message, location)

    def value_path(self, text: Any, location: str) -> Any:
        from interpreter.query.jsonpath import compile_value_path

        if text is None:
            return M.NULL
        try:
            return compile_value_path(text)
        except QuerySyntaxError as problem:
            raise self.fail(problem.message, location) from None

    def optional_path(self, spec: Mapping[str, Any], key: str, location: str) -> Any:
        if key not in spec:
            return M.IDENTITY
        return self.value_path(spec[key], f"{location}/{key}")

    def reference_path(self, spec: Mapping[str, Any], key: str, location: str) -> Any:
        from interpreter.query.jsonpath import compile_reference_path

        if key not in spec:
            return M.IDENTITY
        text = spec[key]
        if text is None:
            return M.NULL
        if isinstance(text, str) and text.strip() == "$":
            return M.IDENTITY
        try:
            return compile_reference_path(text)
        except QuerySyntaxError as problem:
            raise self.fail(problem.message, f"{location}/{key}") from None

    def template(self, spec: Mapping[str, Any], key: str, location: str) -> Any:
        from interpreter.query.template import compile_payload_template

        if key not in spec:
            return None
        try:
            return compile_payload_template(spec[key], field=key)
        except QuerySyntaxError as problem:
            raise self.fail(problem.message, f"{location}/{key}") from None

    def jsonata(self, spec: Mapping[str, Any], key: str, location: str) -> Any:
        """A JSONata-state field: compiled when it holds ``{% %}`` anywhere, else a literal."""
        from interpreter.query.jsonata import compile_jsonata_template

        if key not in spec:
            return None
        try:
            return compile_jsonata_template(spec[key], field=key)
        except QuerySyntaxError as problem:
            raise self.fail(problem.message, f"{location}/{key}") from None

    def jsonata_or_literal(self, spec: Mapping[str, Any], key: str, location: str) -> Any:
        """A field that is a literal value, or holds ``{% %}`` expressions (compiled)."""
        if key not in spec:
            return None
        value = spec[key]
        if _contains_jsonata(value):
            return self.jsonata(spec, key, location)
        return value

    def retriers(self, spec: Mapping[str, Any]) -> tuple[M.Retrier, ...]:
        return tuple(
            M.Retrier(
                error_equals=tuple(entry["ErrorEquals"]),
                interval_seconds=float(entry.get("IntervalSeconds", 1)),
                max_attempts=int(entry.get("MaxAttempts", 3)),
                backoff_rate=float(entry.get("BackoffRate", 2.0)),
                max_delay_seconds=(
                    float(entry["MaxDelaySeconds"]) if "MaxDelaySeconds" in entry else None
                ),
                jitter_strategy=entry.get("JitterStrategy", "NONE"),
            )
            for entry in spec.get("Retry", ())
        )

    def catchers(
        self, spec: Mapping[str, Any], language: str, location: str
    ) -> tuple[M.Catcher, ...]:
        catchers = []
        for position, entry in enumerate(spec.get("Catch", ())):
            where = f"{location}/Catch[{position}]"
            if language == M.JSONATA:
                catchers.append(
                    M.Catcher(
                        error_equals=tuple(entry["ErrorEquals"]),
                        next=entry["Next"],
                        output=self.jsonata(entry, "Output", where),
                        assign=self.jsonata(entry, "Assign", where),
                    )
                )
            else:
                catchers.append(
                    M.Catcher(
                        error_equals=tuple(entry["ErrorEquals"]),
                        next=entry["Next"],
                        result_path=self.reference_path(entry, "ResultPath", where),
                        assign=self.template(entry, "Assign", where),
                    )
                )
        return tuple(catchers)

    # ------------------------------------------------------------------ machines and states

    def machine(self, spec: Mapping[str, Any], location: str, language: str) -> M.StateMachine:
        states_spec = spec.get("States")
        if not isinstance(states_spec, Mapping) or not isinstance(spec.get("StartAt"), str):
            raise self.fail("A state machine needs StartAt and States", location or "/")
        states = {
            name: self.state(name, state_spec, f"{location}/States/{name}", language)
            for name, state_spec in states_spec.items()
        }
        timeout = spec.get("TimeoutSeconds")
        return M.StateMachine(
            start_at=spec["StartAt"],
            states=states,
            query_language=language,
            timeout_seconds=int(timeout) if timeout is not None else None,
            comment=spec.get("Comment"),
        )

    def state(self, name: str, spec: Mapping[str, Any], location: str, inherited: str) -> M.State:
        if not isinstance(spec, Mapping):
            raise self.fail("A state must be an object", location)
        language = spec.get("QueryLanguage", inherited)
        kind = spec.get("Type")
        common: dict[str, Any] = {
            "name": name,
            "type": kind,
            "query_language": language,
            "next": spec.get("Next"),
            "end": bool(spec.get("End", False)),
            "comment": spec.get("Comment"),
        }
        if language == M.JSONATA:
            common["output"] = self.jsonata(spec, "Output", location)
            common["assign"] = self.jsonata(spec, "Assign", location)
        else:
            common["input_path"] = self.optional_path(spec, "InputPath", location)
            common["output_path"] = self.optional_path(spec, "OutputPath", location)
            common["assign"] = self.template(spec, "Assign", location)
        builder = getattr(self, f"state_{kind}", None)
        if builder is None:
            raise self.fail(f"Unknown state type {kind!r}", f"{location}/Type")
        state: M.State = builder(spec, location, language, common)
        return state

    def state_Pass(
        self, spec: Mapping[str, Any], location: str, language: str, common: dict[str, Any]
    ) -> M.PassState:
        if language == M.JSONATA:
            return M.PassState(**common)
        return M.PassState(
            **common,
            has_result="Result" in spec,
            result=spec.get("Result"),
            parameters=self.template(spec, "Parameters", location),
            result_path=self.reference_path(spec, "ResultPath", location),
        )

    def state_Task(
        self, spec: Mapping[str, Any], location: str, language: str, common: dict[str, Any]
    ) -> M.TaskState:
        arn = str(spec.get("Resource", ""))
        resource = parse_task_resource(arn)
        if resource is None:
            raise DefinitionError(
                f"The resource provided {arn} is not recognized", f"{location}/Resource"
            )
        fields: dict[str, Any] = {
            "resource": resource,
            "retry": self.retriers(spec),
            "catch": self.catchers(spec, language, location),
        }
        if language == M.JSONATA:
            fields["arguments"] = self.jsonata(spec, "Arguments", location)
            fields["timeout_seconds"] = self.jsonata_or_literal(spec, "TimeoutSeconds", location)
            fields["heartbeat_seconds"] = self.jsonata_or_literal(
                spec, "HeartbeatSeconds", location
            )
            fields["credentials"] = self.jsonata(spec, "Credentials", location)
        else:
            fields["parameters"] = self.template(spec, "Parameters", location)
            fields["result_selector"] = self.template(spec, "ResultSelector", location)
            fields["result_path"] = self.reference_path(spec, "ResultPath", location)
            fields["timeout_seconds"] = spec.get("TimeoutSeconds")
            fields["heartbeat_seconds"] = spec.get("HeartbeatSeconds")
            if "TimeoutSecondsPath" in spec:
                fields["timeout_seconds_path"] = self.value_path(
                    spec["TimeoutSecondsPath"], f"{location}/TimeoutSecondsPath"
                )
            if "HeartbeatSecondsPath" in spec:
                fields["heartbeat_seconds_path"] = self.value_path(
                    spec["HeartbeatSecondsPath"], f"{location}/HeartbeatSecondsPath"
                )
            fields["credentials"] = self.template(spec, "Credentials", location)
        return M.TaskState(**common, **fields)

    def state_Choice(
        self, spec: Mapping[str, Any], location: str, language: str, common: dict[str, Any]
    ) -> M.ChoiceState:
        from interpreter.query.choice import compile_choice_rule

        branches = []
        for position, rule in enumerate(spec.get("Choices", ())):
            where = f"{location}/Choices[{position}]"
            if language == M.JSONATA:
                branches.append(
                    M.ChoiceBranch(
                        next=rule["Next"],
                        condition=self.jsonata(rule, "Condition", where),
                        output=self.jsonata(rule, "Output", where),
                        assign=self.jsonata(rule, "Assign", where),
                    )
                )
                continue
            try:
                compiled = compile_choice_rule(rule)
            except QuerySyntaxError as problem:
                raise self.fail(problem.message, where) from None
            branches.append(
                M.ChoiceBranch(
                    next=rule["Next"], rule=compiled, assign=self.template(rule, "Assign", where)
                )
            )
        common["next"] = None
        return M.ChoiceState(**common, choices=tuple(branches), default=spec.get("Default"))

    def state_Wait(
        self, spec: Mapping[str, Any], location: str, language: str, common: dict[str, Any]
    ) -> M.WaitState:
        if language == M.JSONATA:
            return M.WaitState(
                **common,
                seconds=self.jsonata_or_literal(spec, "Seconds", location),
                timestamp=self.jsonata_or_literal(spec, "Timestamp", location),
            )
        fields: dict[str, Any] = {
            "seconds": spec.get("Seconds"),
            "timestamp": spec.get("Timestamp"),
        }
        if "SecondsPath" in spec:
            fields["seconds_path"] = self.value_path(spec["SecondsPath"], f"{location}/SecondsPath")
        if "TimestampPath" in spec:
            fields["timestamp_path"] = self.value_path(
                spec["TimestampPath"], f"{location}/TimestampPath"
            )
        return M.WaitState(**common, **fields)

    def state_Succeed(
        self, spec: Mapping[str, Any], location: str, language: str, common: dict[str, Any]
    ) -> M.SucceedState:
        common["end"] = True
        return M.SucceedState(**common)

    def state_Fail(
        self, spec: Mapping[str, Any], location: str, language: str, common: dict[str, Any]
    ) -> M.FailState:
        common["end"] = True
        if language == M.JSONATA:
            return M.FailState(
                **common,
                error=self.jsonata_or_literal(spec, "Error", location),
                cause=self.jsonata_or_literal(spec, "Cause", location),
            )
        fields: dict[str, Any] = {"error": spec.get("Error"), "cause": spec.get("Cause")}
        for key, target in (("ErrorPath", "error_path"), ("CausePath", "cause_path")):
            if key in spec:
                fields[target] = self.fail_path(spec[key], f"{location}/{key}")
        return M.FailState(**common, **fields)

    def fail_path(self, text: Any, location: str) -> Any:
        """ErrorPath/CausePath: a path or an intrinsic function call."""
        from interpreter.query.intrinsics import compile_intrinsic, is_intrinsic_call

        if isinstance(text, str) and is_intrinsic_call(text):
            try:
                call = compile_intrinsic(text)
            except QuerySyntaxError as problem:
                raise self.fail(problem.message, location) from None
            return _IntrinsicAsPath(text, call)
        return self.value_path(text, location)

    def state_Parallel(
        self, spec: Mapping[str, Any], location: str, language: str, common: dict[str, Any]
    ) -> M.ParallelState:
        branches = tuple(
            self.machine(branch, f"{location}/Branches[{position}]", self.top_language)
            for position, branch in enumerate(spec.get("Branches", ()))
        )
        fields: dict[str, Any] = {
            "branches": branches,
            "retry": self.retriers(spec),
            "catch": self.catchers(spec, language, location),
        }
        if language == M.JSONATA:
            fields["arguments"] = self.jsonata(spec, "Arguments", location)
        else:
            fields["parameters"] = self.template(spec, "Parameters", location)
            fields["result_selector"] = self.template(spec, "ResultSelector", location)
            fields["result_path"] = self.reference_path(spec, "ResultPath", location)
        return M.ParallelState(**common, **fields)

    def item_reader(self, spec: Mapping[str, Any], language: str, location: str) -> Any:
        """A Map's ``ItemReader``, its parameters compiled in the state's query language."""
        reader = spec.get("ItemReader")
        if not isinstance(reader, Mapping):
            return None
        where = f"{location}/ItemReader"
        config = dict(reader.get("ReaderConfig") or {})
        max_items_path = None
        if "MaxItemsPath" in config:
            max_items_path = self.value_path(config.pop("MaxItemsPath"), f"{where}/ReaderConfig")
        if language == M.JSONATA:
            parameters = self.jsonata(reader, "Arguments", where)
            if "MaxItems" in config and _contains_jsonata(config["MaxItems"]):
                config["MaxItems"] = self.jsonata(config, "MaxItems", f"{where}/ReaderConfig")
        else:
            parameters = self.template(reader, "Parameters", where)
        return M.ItemReader(
            resource=str(reader.get("Resource", "")),
            parameters=parameters,
            reader_config=config,
            max_items_path=max_items_path,
        )

    def item_batcher(self, spec: Mapping[str, Any], language: str, location: str) -> Any:
        """A Map's ``ItemBatcher``, its fields compiled in the state's query language."""
        batcher = spec.get("ItemBatcher")
        if not isinstance(batcher, Mapping):
            return None
        where = f"{location}/ItemBatcher"
        if language == M.JSONATA:
            return M.ItemBatcher(
                max_items_per_batch=self.jsonata_or_literal(batcher, "MaxItemsPerBatch", where),
                max_input_bytes_per_batch=self.jsonata_or_literal(
                    batcher, "MaxInputBytesPerBatch", where
                ),
                batch_input=self.jsonata(batcher, "BatchInput", where),
            )

        def path(key: str) -> Any:
            return self.value_path(batcher[key], f"{where}/{key}") if key in batcher else None

        return M.ItemBatcher(
            max_items_per_batch=batcher.get("MaxItemsPerBatch"),
            max_input_bytes_per_batch=batcher.get("MaxInputBytesPerBatch"),
            max_items_per_batch_path=path("MaxItemsPerBatchPath"),
            max_input_bytes_per_batch_path=path("MaxInputBytesPerBatchPath"),
            batch_input=self.template(batcher, "BatchInput", where),
        )

    def result_writer(self, spec: Mapping[str, Any], language: str, location: str) -> Any:
        """A Map's ``ResultWriter``, its parameters compiled in the state's query language."""
        writer = spec.get("ResultWriter")
        if not isinstance(writer, Mapping):
            return None
        where = f"{location}/ResultWriter"
        if language == M.JSONATA:
            parameters = self.jsonata(writer, "Arguments", where)
        else:
            parameters = self.template(writer, "Parameters", where)
        config = writer.get("WriterConfig") or {}
        resource = writer.get("Resource")
        return M.ResultWriter(
            resource=None if resource is None else str(resource),
            parameters=parameters,
            transformation=config.get("Transformation"),
            output_type=config.get("OutputType"),
        )

    def state_Map(
        self, spec: Mapping[str, Any], location: str, language: str, common: dict[str, Any]
    ) -> M.MapState:
        processor_key = "ItemProcessor" if "ItemProcessor" in spec else "Iterator"
        processor_spec = spec.get(processor_key) or {}
        config = processor_spec.get("ProcessorConfig") or {}
        processor = self.machine(processor_spec, f"{location}/{processor_key}", self.top_language)
        fields: dict[str, Any] = {
            "processor": processor,
            "processor_mode": config.get("Mode", "INLINE"),
            "execution_type": config.get("ExecutionType"),
            "legacy_iterator": processor_key == "Iterator",
            "label": spec.get("Label"),
            "retry": self.retriers(spec),
            "catch": self.catchers(spec, language, location),
            "item_reader": self.item_reader(spec, language, location),
            "item_batcher": self.item_batcher(spec, language, location),
            "result_writer": self.result_writer(spec, language, location),
        }
        selector_key = "ItemSelector" if "ItemSelector" in spec else "Parameters"
        if language == M.JSONATA:
            fields["items"] = self.jsonata_or_literal(spec, "Items", location)
            fields["item_selector"] = self.jsonata(spec, selector_key, location)
            fields["max_concurrency"] = self.jsonata_or_literal(spec, "MaxConcurrency", location)
            fields["tolerated_failure_count"] = self.jsonata_or_literal(
                spec, "ToleratedFailureCount", location
            )
            fields["tolerated_failure_percentage"] = self.jsonata_or_literal(
                spec, "ToleratedFailurePercentage", location
            )
        else:
            fields["items_path"] = self.optional_path(spec, "ItemsPath", location)
            fields["item_selector"] = self.template(spec, selector_key, location)
            fields["result_selector"] = self.template(spec, "ResultSelector", location)
            fields["result_path"] = self.reference_path(spec, "ResultPath", location)
            fields["max_concurrency"] = spec.get("MaxConcurrency", 0)
            fields["tolerated_failure_count"] = spec.get("ToleratedFailureCount")
            fields["tolerated_failure_percentage"] = spec.get("ToleratedFailurePercentage")
            for key, target in (
                ("MaxConcurrencyPath", "max_concurrency_path"),
                ("ToleratedFailureCountPath", "tolerated_failure_count_path"),
                ("ToleratedFailurePercentagePath", "tolerated_failure_percentage_path"),
            ):
                if key in spec:
                    fields[target] = self.value_path(spec[key], f"{location}/{key}")
        return M.MapState(**common, **fields)


class _IntrinsicAsPath:
    """An intrinsic call standing where a path is expected (``ErrorPath``, ``CausePath``)."""

    __slots__ = ("call", "text")

    def __init__(self, text: str, call: Any) -> None:
        self.text = text
        self.call = call

    def evaluate(self, scope: Any) -> JSON:
        return self.call.evaluate(scope)
