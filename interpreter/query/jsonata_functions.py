"""The JSONata functions AWS Step Functions adds: ``$partition``, ``$range``, ``$hash``,
``$random``, ``$uuid`` and ``$parse`` (AWS developer guide, *Transforming data with JSONata*,
"JSONata functions provided by Step Functions").

What the guide fixes, and we follow:

* ``$partition(array, size)`` chunks ``array`` into arrays of ``size`` items, the last one
  shorter when the items run out (the conformance corpus records AWS's answers for sizes 1..5).
* ``$range(start, end, step)`` counts from ``start`` to ``end`` inclusive by ``step`` (negative
  steps count down) — the JSONata twin of ``States.ArrayRange``, but its result is a JSONata
  sequence: AWS's recorded ``$range(1, 9, 9)`` is ``1``, not ``[1]`` (and so an empty range is
  undefined); ``interpreter.query.jsonata`` turns this function's array into that sequence.
* ``$hash(text, algorithm)`` with MD5, SHA-1, SHA-256, SHA-384 or SHA-512: the hex digest of the
  UTF-8 bytes, as ``States.Hash``.
* ``$random()`` draws from the evaluation's random source; ``$random(seed)`` "returns an
  identical number" for the same seed.
* ``$uuid()`` is a version 4 UUID from the evaluation's UUID source.
* ``$parse(text)`` deserialises JSON text (AWS offers it instead of ``$eval``).
* "Built-in JSONata functions that require integer values as parameters will automatically round
  down any non-integer numbers provided": sizes, bounds, steps and seeds are floored.

What the guide leaves open, and what we chose (the corpus records none of it):

* a bad argument (wrong type, a size or step below one, an unknown algorithm, text that is not
  JSON) fails the evaluation with ``States.QueryEvaluationError``, its message written in
  JSONata's style (``T0410: Argument 1 of function "partition" does not match function
  signature``) or, for a value out of range, a D-code of ours (:class:`FunctionError` lists them);
* ``$random(seed)`` is ``new java.util.Random(seed).nextDouble()`` — Step Functions runs on the
  JVM (its Timestamp errors are ``java.time``'s wording), so that is the most likely algorithm;
  no recorded AWS value confirms it.

Pure functions: the random and UUID sources are arguments, never module state.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

from interpreter.json_types import JSON, parse_json

#: The algorithms ``$hash`` accepts, as AWS spells them, and hashlib's names for them.
HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}

#: The largest array ``$range`` builds: a runaway range must not exhaust memory. ASL payloads are
#: capped at 256 KiB, which a million numbers exceed anyway.
RANGE_LIMIT = 1_000_000


class FunctionError(Exception):
    """A call of one of AWS's functions that cannot be answered.

    ``code`` follows JSONata's catalogue where it has an entry (``T0410`` argument does not match
    the signature, ``D3030`` not a number); otherwise ``D3201`` (``$partition`` size below one),
    ``D3202`` (``$range`` step of zero), ``D3203`` (range too large), ``D3204`` (unknown
    ``$hash`` algorithm), ``D3205`` (``$parse`` given text that is not JSON).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _signature_error(function: str, argument: int) -> FunctionError:
    return FunctionError(
        "T0410", f'Argument {argument} of function "{function}" does not match function signature'
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(function: str, argument: int, value: Any) -> int:
    """A numeric argument rounded down, as the guide says AWS does."""
    if not _is_number(value) or not math.isfinite(value):
        raise _signature_error(function, argument)
    floored: int = math.floor(value)
    return floored


def _arity(function: str, args: tuple[Any, ...], least: int, most: int) -> None:
    if len(args) > most:
        raise _signature_error(function, most + 1)
    if len(args) < least:
        raise _signature_error(function, len(args) + 1)


def partition(*args: Any) -> JSON:
    """``$partition(array, size)``."""
    _arity("partition", args, 2, 2)
    items, size = args
    if not isinstance(items, list):
        raise _signature_error("partition", 1)
    chunk = _integer("partition", 2, size)
    if chunk < 1:
        raise FunctionError("D3201", f"The chunk size of $partition must be at least 1: {size}")
    return [items[start : start + chunk] for start in range(0, len(items), chunk)]


def range_(*args: Any) -> JSON:
    """``$range(start, end, step)`` (named ``range_`` so Python's ``range`` stays usable)."""
    _arity("range", args, 3, 3)
    start, end, step = (_integer("range", i + 1, value) for i, value in enumerate(args))
    if step == 0:
        raise FunctionError("D3202", "The step of $range must not be zero")
    count = (end - start) // step + 1
    if count <= 0:
        return []
    if count > RANGE_LIMIT:
        raise FunctionError("D3203", f"$range would build more than {RANGE_LIMIT} numbers")
    return list(range(start, start + count * step, step))


def hash_(*args: Any) -> JSON:
    """``$hash(text, algorithm)``."""
    _arity("hash", args, 2, 2)
    text, algorithm = args
    if not isinstance(text, str):
        raise _signature_error("hash", 1)
    if not isinstance(algorithm, str):
        raise _signature_error("hash", 2)
    name = HASH_ALGORITHMS.get(algorithm)
    if name is None:
        allowed = ", ".join(HASH_ALGORITHMS)
        raise FunctionError(
            "D3204", f"The hash algorithm {algorithm} is not supported; use one of {allowed}"
        )
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


def parse(*args: Any) -> JSON:
    """``$parse(text)``."""
    _arity("parse", args, 1, 1)
    (text,) = args
    if not isinstance(text, str):
        raise _signature_error("parse", 1)
    try:
        return parse_json(text)
    except (ValueError, RecursionError) as err:
        raise FunctionError("D3205", f"$parse was given text that is not JSON: {err}") from err


def java_random_double(seed: int) -> float:
    """``new java.util.Random(seed).nextDouble()``: the JDK's documented 48-bit LCG."""
    multiplier, mask = 0x5DEECE66D, (1 << 48) - 1
    state = (seed ^ multiplier) & mask

    def next_bits(bits: int) -> int:
        nonlocal state
        state = (state * multiplier + 0xB) & mask
        return state >> (48 - bits)

    high = next_bits(26)
    low = next_bits(27)
    return ((high << 27) + low) * 2.0**-53


def random_function(source: Callable[[], float] | None) -> Callable[..., JSON]:
    """``$random([seed])`` drawing from ``source`` when no seed is given."""

    def random(*args: Any) -> JSON:
        _arity("random", args, 0, 1)
        if args:
            # Java's long seed: wrap like a JVM cast would.
            seed = _integer("random", 1, args[0])
            return java_random_double(((seed + (1 << 63)) % (1 << 64)) - (1 << 63))
        if source is None:
            raise FunctionError("D3206", "This evaluation was given no random source")
        return source()

    return random


def uuid_function(source: Callable[[], str]) -> Callable[..., JSON]:
    """``$uuid()`` taking its value from ``source``."""

    def uuid(*args: Any) -> JSON:
        _arity("uuid", args, 0, 0)
        return source()

    return uuid


#: The pure functions, bound by name.
STATIC_FUNCTIONS: dict[str, Callable[..., JSON]] = {
    "partition": partition,
    "range": range_,
    "hash": hash_,
    "parse": parse,
}

#: Every function AWS adds (``random`` also replaces JSONata's own, to accept a seed).
AWS_FUNCTIONS = frozenset({*STATIC_FUNCTIONS, "random", "uuid"})
