"""JSONata for the ``{% ... %}`` fields of ``"QueryLanguage": "JSONata"`` states.

Public API::

    compile_jsonata(text) -> JsonataExpression          # text: what is inside {% %}
    JsonataExpression.evaluate(states, variables, *, new_uuid, random, now)
        -> JSON | UNDEFINED | FUNCTION                    # raises JsonataEvaluationError
    JsonataExpression.evaluate_field(states, variables, *, location, ...) -> JSON
                                                          # raises QueryRuntimeError, AWS's text
    is_jsonata_string(value) -> bool
    compile_jsonata_template(value, *, field) -> JsonataTemplate
    JsonataTemplate.evaluate(states, variables, *, new_uuid, random, now) -> JSON
    referenced_variables(expression) -> frozenset[str]
    unexpected_result_type(expression, location, expected, value) -> QueryRuntimeError

``states`` is the ``$states`` binding (``input``, ``result``, ``errorOutput``, ``context`` — the
members the field may see); ``variables`` are bound as ``$name``. ``new_uuid`` feeds ``$uuid()``,
``random`` feeds ``$random()`` and ``now`` (an aware :class:`datetime.datetime`) is what
``$now()`` and ``$millis()`` answer, so an evaluation never reads a clock or draws randomness of
its own. Errors: :class:`JsonataSyntaxError` (a :class:`QuerySyntaxError`) at compile time, whose
message is the parser's sentence, as AWS's ``INVALID_JSONATA_EXPRESSION`` diagnostic prints it;
:class:`QueryRuntimeError` (``States.QueryEvaluationError``) from the field-level calls.

The engine, chosen by measurement
---------------------------------
AWS runs JSONata 2.0.6 ("Step Functions supports JSONata version 2.0.6", developer guide), with
``$eval`` removed and six functions added (:mod:`interpreter.query.jsonata_functions`).
``benchmarks/jsonata_engines.py`` ran every engine on PyPI through 220 language cases and the 214
``{% %}`` expressions of the conformance corpus, judged by jsonata-js 2.0.6 itself (run under
node), and timed them (µs per call on this 2-core machine; evaluation with a fresh ``$states``
binding each call, its input holding a 1000-number array and 100 objects):

=================  =========  ======  =======  ======  ======  =======  ======  ======
engine             semantics  corpus  compile  path    object  sum1000  concat  filter
=================  =========  ======  =======  ======  ======  =======  ======  ======
jsonata-python     208 (+5    214     671      22.6    191     2094     61.4    1628
                   crashes)
jsonatapy          212        213     13.4     48.8    49.8    59.1     44.2    67.6
jsonata-rs         211        213     73.8     88.3    99.1    103      133     241
zopyx-pyjsonata    187 (+3)   214     0.3      206     222     246      199     287
jlens              214        213     13.6     77.9    113     87.6     80.3    116
jsonata2py         213 (+5)   213     1.8      3.4     8.8     75.5     8.6     43.7
this module        217        194*    428      8.4     15.5    37.5     7.4     71.7
=================  =========  ======  =======  ======  ======  =======  ======  ======

(* this module answers the 20 ``$partition`` expressions of the corpus, which jsonata-js does
not know; against AWS's recorded answers it gets 27 of 27, every engine alone 7. Its three
semantics misses are on purpose: ``$eval`` absent and ``$parse`` present, as on AWS, and ``5/0``
an error. Its compile time is the engine's twice plus our scan, paid once per definition.)

jlens is the choice:

* the most correct: its six misses are the two operators JSONata added in 2.1 (``?:``, ``??``,
  which we reject ourselves, see :mod:`interpreter.query.jsonata_scan`), three function-valued
  results (detected by the wrapper below) and ``5/0`` (an error rather than ``Infinity``);
  jsonatapy returns ``""`` for a function, jsonata-rs ``null``; jsonata-python prints debug text
  on stdout, crashes with Python exceptions (``1/0``, ``$number('abc')``, ``$sort([1,'a'])``),
  cannot take Python functions as bindings and reads the wall clock; zopyx-pyjsonata lacks
  functions (``$average``, ``$formatNumber``...) and panics on non-ASCII;
* jsonata2py is the fastest, but it translates each expression to Python source and ``exec``s
  it — user text must never reach ``exec`` (project rule), so it is out;
* jlens reads its input document lazily ("one level at a time"), while every engine converts its
  variable bindings whole: passing ``$states`` as the input document instead of as a binding
  makes the ``path`` workload 8.4 µs instead of 78 µs with that large input (the last row);
* it takes Python callables as bindings (``$uuid``, ``$random``, and the clock as an argument),
  reports JSONata's error codes and exactly jsonata-js's syntax-error sentences (the ones AWS
  prints), is typed, thread-safe and MIT-licensed, with abi3 wheels for Linux/macOS/Windows.

How an expression runs
----------------------
The text is compiled as written (so syntax errors are exactly the parser's), scanned once
(:func:`interpreter.query.jsonata_scan.scan`), then compiled again inside a wrapper::

    ($states := $$; $__asl_result := (<text>);
     $exists($__asl_result) ? ($type($__asl_result) = 'function'
         ? $__asl_function() : $__asl_result) : $__asl_undefined())

``$states`` arrives as the root document (read lazily); the two host functions raise markers, so
an undefined or function-valued result is told apart from ``null`` without a second evaluation.
An expression that reads ``$``/``$$`` itself or rebinds ``$states`` gets ``$states`` as an
ordinary binding instead (and no root document), which keeps ``$`` undefined at the top level as
AWS evaluates it. Only the variables an expression mentions are handed to the engine.

Known gaps (each unrecorded in the corpus, so AWS cannot judge them here):

* ``$random(seed)`` is ``java.util.Random``'s first double (our best guess, unconfirmed);
  ``$range``'s rounding, shapes and limits are the guide's words, not measured answers.
* The cause text of a JSONata error at run time ("... threw an error during evaluation. T2001:
  ...") is the form other AWS-compatible projects report; no recorded case pins it.
* ``5/0`` raises D1001 where jsonata-js answers ``Infinity``; a function *inside* an array or
  object result becomes ``null`` or disappears (as ``JSON.stringify`` does) instead of failing.
* ``$eval`` read without calling it is ``null`` rather than undefined.
* In the lazy mode a bare top-level name reads the ``$states`` object (``input.x``); AWS refuses
  such definitions at creation, which :meth:`JsonataExpression.top_level_references` lets the
  validator do.
* jlens implements JSONata 2.2.2: beyond ``?:``/``??`` (rejected here) fixes made after 2.0.6 may
  answer differently; the 220 language cases found none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

import jlens

from interpreter.json_types import JSON
from interpreter.query import jsonata_functions as functions
from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.jsonata_scan import scan

__all__ = [
    "FUNCTION",
    "UNDEFINED",
    "JsonataEvaluationError",
    "JsonataExpression",
    "JsonataSyntaxError",
    "JsonataTemplate",
    "compile_jsonata",
    "compile_jsonata_template",
    "is_jsonata_string",
    "json_type_name",
    "referenced_variables",
    "unexpected_result_type",
]

QUERY_EVALUATION_ERROR: Final = "States.QueryEvaluationError"


class _Sentinel:
    """A named singleton that is not JSON."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:
        return False


#: What an expression that found nothing evaluates to (JSONata's *undefined*).
UNDEFINED: Final = _Sentinel("UNDEFINED")
#: What an expression whose value is a function evaluates to (AWS: "unsupported result type").
FUNCTION: Final = _Sentinel("FUNCTION")


class JsonataSyntaxError(QuerySyntaxError):
    """An expression that does not compile.

    ``message`` is the parser's sentence (``Expected "]", got ","``), which AWS's
    ``INVALID_JSONATA_EXPRESSION`` diagnostic prints; ``jsonata_code`` is JSONata's code
    (``S0202``); ``location`` is the field path inside the definition (``Output/v``) when the
    expression came from a template.
    """

    code = "INVALID_JSONATA_EXPRESSION"

    def __init__(self, message: str, jsonata_code: str | None, location: str | None = None):
        super().__init__(message)
        self.jsonata_code = jsonata_code
        self.location = location


class JsonataEvaluationError(Exception):
    """A JSONata error raised while evaluating (``T2001``, ``D3030``, an AWS function's...)."""

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message


class _UndefinedResult(Exception):
    """Raised by the wrapper's ``$__asl_undefined()``: the expression found nothing."""


class _FunctionResult(Exception):
    """Raised by the wrapper's ``$__asl_function()``: the expression's value is a function."""


def _raise_undefined(*_args: Any) -> JSON:
    raise _UndefinedResult


def _raise_function(*_args: Any) -> JSON:
    raise _FunctionResult


def _no_uuid() -> str:
    raise JsonataEvaluationError("D3207", "This evaluation was given no UUID source")


_RESULT = "$__asl_result"
_WRAPPED = (
    "({states}{prelude}{result} := (\n{text}\n); $exists({result}) ? "
    "($type({result}) = 'function' ? $__asl_function() : {result}) : $__asl_undefined())"
)
# AWS's $range gives a JSONata *sequence*: one number is that number, none is nothing
# (recorded: $range(1, 9, 9) is 1, where $partition keeps its one chunk in an array). A host
# function can only return an array, so $range is a lambda that maps the host's array into a
# sequence, with the signature the engine checks as for its own functions.
_SEQUENCE_PRELUDES = {
    "range": (
        "$range := function($start, $end, $step)<nnn:a>"
        "{ $map($__asl_range($start, $end, $step), function($v) { $v }) }; "
    ),
}
# Signatures let the engine check and coerce arguments as JSONata does for its own functions.
_SIGNATURES = {"partition": "<an:a>", "hash": "<ss:s>", "parse": "<s:x>"}
_CLOCK_FUNCTIONS = frozenset({"now", "millis"})


def is_jsonata_string(value: object) -> bool:
    """Whether ``value`` is a ``{% ... %}`` string.

    AWS: "the string must start with ``{%`` with no leading spaces, and must end with ``%}`` with
    no trailing spaces"; a string that does not is a literal (the corpus has
    ``" {% states.input %}"`` passed through as text).
    """
    return isinstance(value, str) and len(value) >= 4 and value[:2] == "{%" and value[-2:] == "%}"


def _engine_expression(text: str) -> jlens.Expression:
    try:
        return jlens.Expression(text)
    except jlens.JlensError as err:
        raise JsonataSyntaxError(str(err), err.code) from err


class JsonataExpression:
    """One compiled expression. Immutable and safe to share between threads."""

    __slots__ = ("_clock", "_dynamic", "_engine", "_lazy", "_scan", "_variables", "text")

    def __init__(self, text: str) -> None:
        #: The expression as AWS quotes it in messages: the text inside ``{% %}``, trimmed.
        self.text = text.strip()
        _engine_expression(text)  # the parser's own verdict and message, on the text as written
        found = scan(text)
        if found.newer_operator is not None:
            # JSONata 2.1 added ?: and ??; 2.0.6 reads them as a ':'/'?' in operand position.
            symbol = found.newer_operator.value[1]
            raise JsonataSyntaxError(
                f'The symbol "{symbol}" cannot be used as a unary operator', "S0211"
            )
        self._scan = found
        self._lazy = not (found.reads_context or found.rebinds_states)
        used = found.called | found.mentioned
        prelude = "".join(text for name, text in _SEQUENCE_PRELUDES.items() if name in used)
        wrapped = _WRAPPED.format(
            states="$states := $$; " if self._lazy else "",
            prelude=prelude,
            result=_RESULT,
            text=text,
        )
        engine = _engine_expression(wrapped)
        engine.register_function("__asl_undefined", _raise_undefined)
        engine.register_function("__asl_function", _raise_function)
        for name, implementation in functions.STATIC_FUNCTIONS.items():
            if name not in used:
                continue
            if name in _SEQUENCE_PRELUDES:
                engine.register_function(f"__asl_{name}", implementation)
            else:
                engine.register_function(name, implementation, _SIGNATURES[name])
        self._engine = engine
        self._variables = tuple(sorted(found.free_variables - {"states"}))
        self._dynamic = tuple(sorted(used & {"uuid", "random", "eval"}))
        self._clock = bool(used & _CLOCK_FUNCTIONS)

    def __repr__(self) -> str:
        return f"JsonataExpression({self.text!r})"

    @property
    def variables(self) -> tuple[str, ...]:
        """The ``$name`` variables the expression reads from outside (``$states`` excluded)."""
        return self._variables

    def evaluate(
        self,
        states: Mapping[str, JSON],
        variables: Mapping[str, JSON],
        *,
        new_uuid: Callable[[], str] = _no_uuid,
        random: Callable[[], float] | None = None,
        now: datetime | None = None,
    ) -> JSON:
        """The expression's value: plain JSON, :data:`UNDEFINED` or :data:`FUNCTION`.

        Raises :class:`JsonataEvaluationError` for a JSONata error.
        """
        bindings: dict[str, Any] = {
            name: variables[name] for name in self._variables if name in variables
        }
        for name in self._dynamic:
            if name == "uuid":
                bindings["uuid"] = functions.uuid_function(new_uuid)
            elif name == "random":
                bindings["random"] = functions.random_function(random)
            else:
                bindings["eval"] = None  # absent on AWS: calling it is JSONata's T1006
        try:
            if self._clock:
                if now is None:
                    raise JsonataEvaluationError("D3208", "This evaluation was given no clock")
                if self._lazy:
                    return self._engine.evaluate(states, bindings, now=now)
                bindings["states"] = states
                return self._engine.evaluate(None, bindings, now=now)
            if self._lazy:
                return self._engine.evaluate(states, bindings)
            bindings["states"] = states
            return self._engine.evaluate(None, bindings)
        except _UndefinedResult:
            return UNDEFINED
        except _FunctionResult:
            return FUNCTION
        except jlens.JlensError as err:
            raise JsonataEvaluationError(err.code, str(err)) from err
        except functions.FunctionError as err:
            raise JsonataEvaluationError(err.code, err.message) from err
        except RecursionError as err:
            raise JsonataEvaluationError("U1001", "Stack overflow error") from err

    def evaluate_field(
        self,
        states: Mapping[str, JSON],
        variables: Mapping[str, JSON],
        *,
        location: str,
        new_uuid: Callable[[], str] = _no_uuid,
        random: Callable[[], float] | None = None,
        now: datetime | None = None,
    ) -> JSON:
        """The expression's JSON value for the field ``location`` (``Output``, ``Assign/x``).

        Raises :class:`QueryRuntimeError` (``States.QueryEvaluationError``) with AWS's cause
        text when the value is undefined or a function, or when evaluation fails.
        """
        try:
            value = self.evaluate(states, variables, new_uuid=new_uuid, random=random, now=now)
        except JsonataEvaluationError as err:
            raise _failure(self, location, f"threw an error during evaluation. {err}") from err
        if value is UNDEFINED:
            raise _failure(self, location, "returned nothing (undefined).")
        if value is FUNCTION:
            raise _failure(self, location, "returned an unsupported result type.")
        return value

    def top_level_references(self) -> tuple[str, ...]:
        """What the expression reads from the top-level context, which AWS does not offer.

        AWS refuses such definitions (``UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at
        the top level is not supported.``, ``Reference to '$$' is not supported.``): names read
        as the first step of a top-level path, ``$`` and ``$$``. For the validator.
        """
        found: list[str] = []
        if self._scan.reads_root:
            found.append("$$")
        reads = self._reads()
        top = reads.get("input")
        if isinstance(top, dict):
            found.extend(name for name in top if name not in found)
        elif top and self._scan.reads_context and not self._scan.reads_root:
            found.append("$")
        return tuple(found)

    def _reads(self) -> dict[str, Any]:
        # Our functions declared as known, so that calling them does not count as reading the
        # whole context; the raw text, so that the wrapper's $$ is not counted.
        raw = jlens.Expression(self.text)
        known: dict[str, Any] = {name: _raise_undefined for name in functions.AWS_FUNCTIONS}
        result: dict[str, Any] = dict(raw.reads(known))
        return result


def compile_jsonata(text: str) -> JsonataExpression:
    """Compile the expression ``text`` (what is inside ``{% %}``), once per definition.

    Raises :class:`JsonataSyntaxError` with the parser's message.
    """
    return JsonataExpression(text)


def referenced_variables(expression: JsonataExpression | str) -> frozenset[str]:
    """The ``$name`` variables an expression reads from outside.

    ``$states``, functions (``$sum(...)``, ``$partition(...)``) and names bound inside the
    expression (``$x := ...``, lambda parameters) are not included. Note: AWS accepts a reference
    to a variable no state assigns (the corpus's ``BASE_UNDEFINED_*`` cases create such machines
    and fail only at run time with "returned nothing (undefined)").
    """
    if isinstance(expression, str):
        expression = compile_jsonata(expression)
    return frozenset(expression.variables)


def json_type_name(value: JSON) -> str:
    """AWS's name for a JSON value's type: array, object, string, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def unexpected_result_type(
    expression: JsonataExpression, location: str, expected: str, value: JSON
) -> QueryRuntimeError:
    """AWS's error for a value of the wrong type (a Map's ``Items`` that is not an array)."""
    shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return _failure(
        expression,
        location,
        f"returned an unexpected result type. Expected '{expected}', "
        f"but was '{json_type_name(value)}' for value: {shown}",
    )


def _failure(expression: JsonataExpression, location: str, what: str) -> QueryRuntimeError:
    detail = (
        f"The JSONata expression '{expression.text}' specified for the field '{location}' {what}"
    )
    return QueryRuntimeError(QUERY_EVALUATION_ERROR, detail, location=location)


# ---------------------------------------------------------------------------------------------
# Templates: JSON values with {% %} strings anywhere inside
# ---------------------------------------------------------------------------------------------


class _Context:
    __slots__ = ("new_uuid", "now", "random", "states", "variables")

    def __init__(
        self,
        states: Mapping[str, JSON],
        variables: Mapping[str, JSON],
        new_uuid: Callable[[], str],
        random: Callable[[], float] | None,
        now: datetime | None,
    ) -> None:
        self.states = states
        self.variables = variables
        self.new_uuid = new_uuid
        self.random = random
        self.now = now


_Node = Callable[[_Context], JSON]


def _copy_json(value: JSON) -> JSON:
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def _has_expression(value: JSON) -> bool:
    if isinstance(value, dict):
        return any(_has_expression(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return is_jsonata_string(value)


def _compile_node(value: JSON, location: str, found: list[JsonataExpression]) -> _Node:
    if not _has_expression(value):
        if isinstance(value, dict | list):
            # A fresh copy each time: callers own (and may change) what they are given.
            return lambda _ctx: _copy_json(value)
        return lambda _ctx: value
    if isinstance(value, str):
        try:
            expression = compile_jsonata(value[2:-2])
        except JsonataSyntaxError as err:
            raise JsonataSyntaxError(err.message, err.jsonata_code, location) from err
        found.append(expression)

        def evaluate(ctx: _Context) -> JSON:
            return expression.evaluate_field(
                ctx.states,
                ctx.variables,
                location=location,
                new_uuid=ctx.new_uuid,
                random=ctx.random,
                now=ctx.now,
            )

        return evaluate
    if isinstance(value, dict):
        # Keys stay literal: only values are evaluated.
        members = [
            (key, _compile_node(item, f"{location}/{key}", found)) for key, item in value.items()
        ]
        return lambda ctx: {key: node(ctx) for key, node in members}
    items = [_compile_node(item, f"{location}/{i}", found) for i, item in enumerate(value)]
    return lambda ctx: [node(ctx) for node in items]


class JsonataTemplate:
    """A JSON value whose ``{% %}`` strings, at any depth, were compiled once."""

    __slots__ = ("_root", "expressions", "field")

    def __init__(self, value: JSON, field: str) -> None:
        #: The field the template fills (``Output``, ``Arguments``...), the root of locations.
        self.field = field
        found: list[JsonataExpression] = []
        self._root = _compile_node(value, field, found)
        #: Every expression inside, in document order (for definition-time checks).
        self.expressions: tuple[JsonataExpression, ...] = tuple(found)

    def evaluate(
        self,
        states: Mapping[str, JSON],
        variables: Mapping[str, JSON],
        *,
        new_uuid: Callable[[], str] = _no_uuid,
        random: Callable[[], float] | None = None,
        now: datetime | None = None,
    ) -> JSON:
        """The template with every expression replaced by its value.

        Raises :class:`QueryRuntimeError` (``States.QueryEvaluationError``) naming the
        expression's location (``Output/result``) when one is undefined, a function, or fails.
        """
        return self._root(_Context(states, variables, new_uuid, random, now))

    def referenced_variables(self) -> frozenset[str]:
        """The variables read by any expression of the template."""
        return frozenset(name for expr in self.expressions for name in expr.variables)


def compile_jsonata_template(value: JSON, *, field: str) -> JsonataTemplate:
    """Compile every ``{% %}`` string inside ``value`` (objects and arrays walked, keys literal).

    Raises :class:`JsonataSyntaxError` for the first expression that does not compile, its
    ``location`` the path inside the field (``Output/v``).
    """
    return JsonataTemplate(value, field)
