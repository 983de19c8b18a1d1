"""The 18 intrinsic functions of JSONPath states (``States.Format(...)``), parsed by hand.

A call is parsed once, when the definition is compiled, into a tree of argument nodes; evaluating
it only reads the scope and runs the functions. Arguments are string literals in single quotes
(escapes ``\\'``, ``\\{``, ``\\}``, ``\\\\``; any other backslash sequence is rejected, as AWS
rejects ``\\"``), numbers, ``true``/``false``/``null``, paths (``$.x``, ``$$.x``, ``$var``) and
nested calls. Unknown functions and wrong argument counts are compile-time errors.

Failures at run time are ASL errors: ``States.IntrinsicFailure`` when a function rejects its
arguments, ``States.Runtime`` (a :class:`~interpreter.query.jsonpath.PathNotFoundError`) when a
path argument selects nothing; the payload template turns the latter into AWS's
"could not be found in the input" cause.

Numbers follow AWS's Java runtime: an argument described as an integer (``States.MathAdd``,
``ArrayRange``, ``ArrayPartition``'s size, ``ArrayGetItem``'s index, ``MathRandom``) that has a
fraction is rounded half up (``Math.round``), ``States.Format`` prints values with Java's
``toString()``, and
``States.MathRandom`` with a seed draws from ``java.util.Random``'s generator so a seeded call is
reproducible.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from interpreter.json_types import JSON, parse_json
from interpreter.query.errors import QueryRuntimeError, QuerySyntaxError
from interpreter.query.jsonpath import ValuePath, compile_value_path
from interpreter.query.jsontext import to_compact_json, to_java_string
from interpreter.query.scope import Scope

__all__ = ["IntrinsicCall", "compile_intrinsic", "is_intrinsic_call"]

_PREFIX: Final = "States."
# AWS caps the data of the encoding and hashing functions at 10,000 characters and ArrayRange at
# 1,000 items.
_MAX_TEXT: Final = 10_000
_MAX_RANGE: Final = 1_000


def is_intrinsic_call(text: object) -> bool:
    """Whether ``text`` is written as an intrinsic call (``States.Name(...)``)."""
    if not isinstance(text, str):
        return False
    stripped = text.strip()
    return stripped.startswith(_PREFIX) and stripped.endswith(")") and "(" in stripped


# --------------------------------------------------------------------------------------------
# Argument nodes
# --------------------------------------------------------------------------------------------


class _Node:
    __slots__ = ()

    def evaluate(self, scope: Scope) -> JSON:
        raise NotImplementedError


class _Literal(_Node):
    __slots__ = ("value",)

    def __init__(self, value: JSON) -> None:
        self.value = value

    def evaluate(self, scope: Scope) -> JSON:
        return self.value


class _StringLiteral(_Literal):
    """A quoted string; ``pieces`` splits it at unescaped ``{}`` for States.Format."""

    __slots__ = ("pieces",)

    def __init__(self, value: str, pieces: tuple[str, ...]) -> None:
        super().__init__(value)
        self.pieces = pieces


class _PathArg(_Node):
    __slots__ = ("path",)

    def __init__(self, path: ValuePath) -> None:
        self.path = path

    def evaluate(self, scope: Scope) -> JSON:
        return self.path.evaluate(scope)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, why: str) -> QuerySyntaxError:
        return QuerySyntaxError(f"Invalid intrinsic function call '{self.text}': {why}")

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> IntrinsicCall:
        self.skip_spaces()
        call = self.parse_call()
        self.skip_spaces()
        if self.pos != len(self.text):
            raise self.error(f"unexpected text after the call at position {self.pos}")
        return call

    def parse_call(self) -> IntrinsicCall:
        start = self.pos
        if not self.text.startswith(_PREFIX, self.pos):
            raise self.error(f"a function name starting with '{_PREFIX}' is expected")
        self.pos += len(_PREFIX)
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] == "_"
        ):
            self.pos += 1
        name = self.text[start : self.pos]
        self.skip_spaces()
        if self.peek() != "(":
            raise self.error(f"'(' is expected after {name}")
        self.pos += 1
        args: list[_Node] = []
        self.skip_spaces()
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                self.skip_spaces()
                args.append(self.parse_argument())
                self.skip_spaces()
                c = self.peek()
                self.pos += 1
                if c == ")":
                    break
                if c != ",":
                    raise self.error(f"',' or ')' is expected at position {self.pos - 1}")
        return _make_call(self.text[start : self.pos], name, args, self)

    def parse_argument(self) -> _Node:
        c = self.peek()
        if c == "'":
            return self.parse_string()
        if c == "$":
            return self.parse_path()
        if self.text.startswith(_PREFIX, self.pos):
            return self.parse_call()
        if c == "-" or c.isdigit():
            return self.parse_number()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                after = self.pos + len(word)
                if after == len(self.text) or not (
                    self.text[after].isalnum() or self.text[after] == "_"
                ):
                    self.pos = after
                    return _Literal(value)
        raise self.error(f"an argument is expected at position {self.pos}")

    def parse_string(self) -> _StringLiteral:
        self.pos += 1  # opening quote
        chars: list[str] = []
        pieces: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise self.error("unterminated string literal")
            c = self.text[self.pos]
            if c == "\\":
                escaped = self.text[self.pos + 1 : self.pos + 2]
                if escaped not in ("'", "{", "}", "\\"):
                    raise self.error(
                        f"invalid escape sequence '\\{escaped}' in a string literal "
                        "(only \\', \\{, \\} and \\\\ are allowed)"
                    )
                chars.append(escaped)
                self.pos += 2
                continue
            if c == "'":
                self.pos += 1
                break
            if c == "{" and self.text.startswith("{}", self.pos):
                pieces.append("".join(chars))
                chars = []
                self.pos += 2
                continue
            chars.append(c)
            self.pos += 1
        pieces.append("".join(chars))
        return _StringLiteral("{}".join(pieces), tuple(pieces))

    def parse_number(self) -> _Literal:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        digits_start = self.pos
        while self.peek().isdigit():
            self.pos += 1
        if self.pos == digits_start:
            raise self.error(f"a number is expected at position {start}")
        is_float = False
        if self.peek() == ".":
            is_float = True
            self.pos += 1
            fraction_start = self.pos
            while self.peek().isdigit():
                self.pos += 1
            if self.pos == fraction_start:
                raise self.error(f"digits are expected after '.' at position {self.pos}")
        if self.peek() in ("e", "E"):
            is_float = True
            self.pos += 1
            if self.peek() in ("+", "-"):
                self.pos += 1
            exponent_start = self.pos
            while self.peek().isdigit():
                self.pos += 1
            if self.pos == exponent_start:
                raise self.error(f"an exponent is expected at position {self.pos}")
        literal = self.text[start : self.pos]
        if not literal.isascii():
            raise self.error(f"'{literal}' is not a number")
        return _Literal(float(literal) if is_float else int(literal))

    def parse_path(self) -> _PathArg:
        """Read a path argument: it runs to the ',' or ')' that closes it at depth zero."""
        start = self.pos
        depth = 0
        quote: str | None = None
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if quote is not None:
                if c == "\\":
                    self.pos += 2
                    continue
                if c == quote:
                    quote = None
            elif c in "'\"" and depth > 0:
                quote = c
            elif c in "[(":
                depth += 1
            elif c in "])":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                break
            self.pos += 1
        text = self.text[start : self.pos].strip()
        try:
            return _PathArg(compile_value_path(text))
        except QuerySyntaxError as exc:
            raise self.error(exc.message) from None


# --------------------------------------------------------------------------------------------
# The compiled call
# --------------------------------------------------------------------------------------------

_Impl = Callable[["IntrinsicCall", list[JSON], Scope], JSON]


class IntrinsicCall(_Node):
    """A compiled intrinsic call; ``evaluate(scope)`` runs it."""

    __slots__ = ("_args", "_impl", "name", "text")

    def __init__(self, text: str, name: str, args: Sequence[_Node], impl: _Impl) -> None:
        self.text = text
        self.name = name
        self._args = tuple(args)
        self._impl = impl

    def evaluate(self, scope: Scope) -> JSON:
        """Evaluate the arguments, then the function (raises QueryRuntimeError on failure)."""
        return self._impl(self, [arg.evaluate(scope) for arg in self._args], scope)

    def fail(self, why: str) -> QueryRuntimeError:
        """An intrinsic failure of this call."""
        return QueryRuntimeError(
            "States.IntrinsicFailure", f"Invalid arguments in {self.name}: {why}"
        )

    def __repr__(self) -> str:
        return f"IntrinsicCall({self.text!r})"


@dataclass(frozen=True, slots=True)
class _Signature:
    min_args: int
    max_args: int | None
    impl: _Impl


def _make_call(text: str, name: str, args: list[_Node], parser: _Parser) -> IntrinsicCall:
    signature = _FUNCTIONS.get(name)
    if signature is None:
        raise parser.error(f"unknown intrinsic function {name}")
    count = len(args)
    if count < signature.min_args or (
        signature.max_args is not None and count > signature.max_args
    ):
        if signature.max_args == signature.min_args:
            expected = str(signature.min_args)
        elif signature.max_args is None:
            expected = f"at least {signature.min_args}"
        else:
            expected = f"{signature.min_args} to {signature.max_args}"
        raise parser.error(f"{name} takes {expected} argument(s), {count} given")
    if name == "States.Format":
        first = args[0]
        if isinstance(first, _Literal) and not isinstance(first.value, str):
            raise parser.error("the first argument of States.Format must be a string")
        if isinstance(first, _StringLiteral):
            return _FormatCall(text, name, args, first.pieces)
    return IntrinsicCall(text, name, args, signature.impl)


class _FormatCall(IntrinsicCall):
    """States.Format with a literal template: the template is split once, at compile time."""

    __slots__ = ("_pieces",)

    def __init__(self, text: str, name: str, args: Sequence[_Node], pieces: tuple[str, ...]):
        super().__init__(text, name, args, _format)
        self._pieces = pieces

    def evaluate(self, scope: Scope) -> JSON:
        values = [arg.evaluate(scope) for arg in self._args[1:]]
        return _fill(self, self._pieces, values)


def compile_intrinsic(text: str) -> IntrinsicCall:
    """Parse an intrinsic call (raises :class:`QuerySyntaxError`)."""
    if not isinstance(text, str):
        raise QuerySyntaxError(f"An intrinsic function call must be a string, not {type(text)}")
    return _Parser(text).parse()


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _integer(call: IntrinsicCall, value: JSON, what: str, *, bits: int = 32) -> int:
    """An argument AWS describes as an integer. A number with a fraction is rounded to the
    nearest integer, halves up (Java's ``Math.round``), as the developer guide documents for
    ArrayPartition, ArrayRange, MathRandom and MathAdd ("If you specify a non-integer value ...
    Step Functions will round it off to the nearest integer"). AWS reads it into a Java ``int``
    (a ``long`` with ``bits=64``): larger values fail; so does anything but a number (a numeric
    string included: the ASL specification says these arguments MUST be integers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise call.fail(f"{what} must be an integer, not {to_compact_json(value)}")
    rounded = value if isinstance(value, int) else _round_half_up(value)
    limit = 1 << (bits - 1)
    if not -limit <= rounded < limit:
        raise call.fail(f"{what} is outside the {bits}-bit integer range")
    return rounded


def _string(call: IntrinsicCall, value: JSON, what: str) -> str:
    if not isinstance(value, str):
        raise call.fail(f"{what} must be a string, not {to_compact_json(value)}")
    return value


def _array(call: IntrinsicCall, value: JSON, what: str) -> list[JSON]:
    if not isinstance(value, list):
        raise call.fail(f"{what} must be an array, not {to_compact_json(value)}")
    return value


def _identity_key(value: JSON) -> str:
    """A key equal for JSON-equal values: Jackson's node equality ignores key order and tells
    ``1`` from ``1.0`` and ``true`` from ``1``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# The functions
# --------------------------------------------------------------------------------------------


def _fill(call: IntrinsicCall, pieces: Sequence[str], values: list[JSON]) -> str:
    if len(pieces) - 1 != len(values):
        raise call.fail(
            f"the template has {len(pieces) - 1} placeholder(s) but {len(values)} "
            "argument(s) were given"
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(to_java_string(value))
        out.append(piece)
    return "".join(out)


def _format(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    # Only reached when the template is not a literal (it comes from a path or a nested call).
    template = _string(call, args[0], "the template (1st argument)")
    return _fill(call, template.split("{}"), args[1:])


def _string_to_json(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    text = _string(call, args[0], "the argument")
    if not text.strip():
        # Jackson reads blank text as "no content", which AWS returns as null.
        return None
    try:
        return parse_json(text)
    except (ValueError, RecursionError):
        raise call.fail(f"the string {to_compact_json(text)} is not valid JSON") from None


def _json_to_string(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    return to_compact_json(args[0])


def _array_fn(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    return list(args)


def _array_partition(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    items = _array(call, args[0], "the 1st argument")
    size = _integer(call, args[1], "the chunk size (2nd argument)")
    if size <= 0:
        raise call.fail(f"the chunk size must be greater than 0, not {size}")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_contains(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    items = _array(call, args[0], "the 1st argument")
    wanted = _identity_key(args[1])
    return any(_identity_key(item) == wanted for item in items)


def _array_range(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    start = _integer(call, args[0], "the start (1st argument)")
    end = _integer(call, args[1], "the end (2nd argument)")
    step = _integer(call, args[2], "the step (3rd argument)")
    if step == 0:
        raise call.fail("the step must not be 0")
    count = max(0, (end - start) // step + 1)
    if count > _MAX_RANGE:
        raise call.fail(f"the range has {count} items; at most {_MAX_RANGE} are allowed")
    return [start + i * step for i in range(count)]


def _array_get_item(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    items = _array(call, args[0], "the 1st argument")
    index = _integer(call, args[1], "the index (2nd argument)")
    if not 0 <= index < len(items):
        raise call.fail(f"the index {index} is out of bounds for an array of {len(items)} items")
    return items[index]


def _array_length(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    return len(_array(call, args[0], "the argument"))


def _array_unique(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    seen: set[str] = set()
    unique: list[JSON] = []
    for item in _array(call, args[0], "the argument"):
        key = _identity_key(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _base64_encode(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    text = _string(call, args[0], "the argument")
    if len(text) > _MAX_TEXT:
        raise call.fail(f"the string has more than {_MAX_TEXT} characters")
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _base64_decode(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    text = _string(call, args[0], "the argument")
    if len(text) > _MAX_TEXT:
        raise call.fail(f"the string has more than {_MAX_TEXT} characters")
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise call.fail(f"{to_compact_json(text)} is not valid base64 of UTF-8 text") from None


_HASHES: Final = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    data = _string(call, args[0], "the data (1st argument)")
    if len(data) > _MAX_TEXT:
        raise call.fail(f"the data has more than {_MAX_TEXT} characters")
    algorithm = _string(call, args[1], "the algorithm (2nd argument)")
    name = _HASHES.get(algorithm)
    if name is None:
        raise call.fail(
            f"the algorithm {algorithm!r} is not one of {', '.join(_HASHES)}",
        )
    return hashlib.new(name, data.encode("utf-8")).hexdigest()


def _json_merge(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise call.fail("the 1st and 2nd arguments must be JSON objects")
    if not isinstance(deep, bool):
        raise call.fail("the 3rd argument must be a boolean")
    if deep:
        # AWS documents shallow merging only: the flag must be false.
        raise call.fail("only the shallow merge (3rd argument false) is supported")
    merged = dict(left)
    merged.update(right)
    return merged


def _round_half_up(value: float) -> int:
    """Java's ``Math.round``: halves round towards positive infinity."""
    return math.floor(value + 0.5)


def _math_add(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    return _integer(call, args[0], "the 1st argument") + _integer(call, args[1], "the 2nd argument")


class JavaRandom:
    """``java.util.Random``'s linear congruential generator, for seeded ``States.MathRandom``."""

    _MULTIPLIER: Final = 0x5DEECE66D
    _MASK: Final = (1 << 48) - 1

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ self._MULTIPLIER) & self._MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * self._MULTIPLIER + 0xB) & self._MASK
        value = self._seed >> (48 - bits)
        # Java returns a signed 32-bit int.
        return value - (1 << 32) if value >= 1 << 31 else value

    def next_int(self, bound: int) -> int:
        """A value in ``[0, bound)``, exactly as ``Random.nextInt(bound)`` draws it."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & -bound == bound:
            return (bound * self._next(31)) >> 31
        while True:
            bits = self._next(31)
            value = bits % bound
            if bits - value + (bound - 1) < 1 << 31:
                return value


def _math_random(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    start = _integer(call, args[0], "the start (1st argument)")
    end = _integer(call, args[1], "the end (2nd argument)")
    if end <= start:
        raise call.fail(f"the end ({end}) must be greater than the start ({start})")
    span = end - start
    if len(args) == 3:
        seed = _integer(call, args[2], "the seed (3rd argument)", bits=64)
        if span >= 1 << 31:
            raise call.fail("the range is too large")
        return start + JavaRandom(seed).next_int(span)
    if scope.random is None:
        raise RuntimeError("States.MathRandom was evaluated with no random source in the scope")
    # The start is inclusive and the end exclusive, as AWS documents.
    return start + min(span - 1, math.floor(scope.random() * span))


def _string_split(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    text = _string(call, args[0], "the 1st argument")
    delimiters = _string(call, args[1], "the delimiter (2nd argument)")
    # Every character of the delimiter string separates tokens and empty tokens are dropped
    # (java.util.StringTokenizer), as the recorded cases show: ",,,," splits into [].
    tokens: list[str] = []
    current: list[str] = []
    separators = set(delimiters)
    for c in text:
        if c in separators:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(c)
    if current:
        tokens.append("".join(current))
    return tokens


def _uuid(call: IntrinsicCall, args: list[JSON], scope: Scope) -> JSON:
    return scope.new_uuid()


_FUNCTIONS: Final[dict[str, _Signature]] = {
    "States.Format": _Signature(1, None, _format),
    "States.StringToJson": _Signature(1, 1, _string_to_json),
    "States.JsonToString": _Signature(1, 1, _json_to_string),
    "States.Array": _Signature(0, None, _array_fn),
    "States.ArrayPartition": _Signature(2, 2, _array_partition),
    "States.ArrayContains": _Signature(2, 2, _array_contains),
    "States.ArrayRange": _Signature(3, 3, _array_range),
    "States.ArrayGetItem": _Signature(2, 2, _array_get_item),
    "States.ArrayLength": _Signature(1, 1, _array_length),
    "States.ArrayUnique": _Signature(1, 1, _array_unique),
    "States.Base64Encode": _Signature(1, 1, _base64_encode),
    "States.Base64Decode": _Signature(1, 1, _base64_decode),
    "States.Hash": _Signature(2, 2, _hash),
    "States.JsonMerge": _Signature(3, 3, _json_merge),
    "States.MathRandom": _Signature(2, 3, _math_random),
    "States.MathAdd": _Signature(2, 2, _math_add),
    "States.StringSplit": _Signature(2, 2, _string_split),
    "States.UUID": _Signature(0, 0, _uuid),
}
