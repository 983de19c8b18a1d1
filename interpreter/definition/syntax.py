"""Syntax checks of paths, intrinsic function calls and JSONata expressions, for validation.

Each check returns ``None`` when the text is well formed, or the reason it is not. The judges are
the query layer's own compilers — the ones that compile the definition for execution — so the
validator accepts exactly what the engine can run:

* :func:`interpreter.query.jsonpath.compile_value_path` (``$...``, ``$$...``, ``$name...``);
* :func:`interpreter.query.jsonpath.compile_reference_path` (where ResultPath writes);
* :func:`interpreter.query.intrinsics.compile_intrinsic`;
* :func:`interpreter.query.jsonata.compile_jsonata`.

They are imported on first use, so validating a definition that has no JSONata does not load
the JSONata engine. Results are cached: definitions repeat the same paths many times.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Final

from interpreter.query.errors import QuerySyntaxError

_CACHE_SIZE: Final = 8192


def is_jsonata_expression(value: object) -> bool:
    """True for a string written as a JSONata expression: ``{% ... %}``, nothing around it."""
    return isinstance(value, str) and len(value) >= 4 and value[:2] == "{%" and value[-2:] == "%}"


def jsonata_body(value: str) -> str:
    """The expression inside ``{% ... %}``."""
    return value[2:-2]


def looks_like_intrinsic(text: str) -> bool:
    """True when ``text`` is meant as an intrinsic function call (``States.Name(...)``)."""
    return text.strip().startswith("States.")


def _reason(compile_text: Callable[[str], object], text: str) -> str | None:
    """Run a compiler: None when it accepts ``text``, its message when it refuses."""
    try:
        compile_text(text)
    except QuerySyntaxError as refusal:
        return refusal.message or "invalid syntax"
    except RecursionError:
        return "the expression is too deeply nested"
    return None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def path_error(text: str) -> str | None:
    """Why ``text`` is not a valid Path (``$...``, ``$$...`` or ``$variable...``), or None."""
    from interpreter.query.jsonpath import compile_value_path

    return _reason(compile_value_path, text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def definite_path_error(text: str) -> str | None:
    """Why ``text`` is not a Path that selects a single node (ItemsPath, SecondsPath...)."""
    from interpreter.query.jsonpath import compile_value_path

    try:
        path = compile_value_path(text)
    except QuerySyntaxError as refusal:
        return refusal.message or "invalid syntax"
    except RecursionError:
        return "the path is too deeply nested"
    if not path.is_definite:
        return "the path must select a single node (no wildcards, filters, slices, unions or '..')"
    return None


# What the developer guide rules out of a reference path's filters ("Using JSONPath paths"):
# lexical (word) operators such as subsetof, regular expressions, references to other values.
_REFERENCE_FILTER_WORDS: Final = re.compile(
    r"\b(?:in|nin|subsetof|anyof|noneof|size|empty|contains|exists|all|type)\b|=~|\$"
)


def _unquoted(expression: str) -> str:
    """``expression`` with the contents of its quoted strings and regexes blanked out."""
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(expression):
        c = expression[i]
        if quote is not None:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
                out.append(c)
        else:
            if c in "'\"/":
                quote = c
            out.append(c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def items_path_error(text: str) -> str | None:
    """Why ``text`` is not a valid ItemsPath, or None.

    ItemsPath is a reference path, which the developer guide shows selecting one node or
    filtering an array (``$.jar[?(@.a >= 5)]``), without lexical operators, regular expressions
    or references to other values in its filters.
    """
    from interpreter.query.jsonpath import compile_value_path, filter_expressions

    try:
        path = compile_value_path(text)
    except QuerySyntaxError as refusal:
        return refusal.message or "invalid syntax"
    except RecursionError:
        return "the path is too deeply nested"
    expressions = filter_expressions(path)
    if expressions is None:
        return "the path must select a single node or filter an array"
    for expression in expressions:
        if _REFERENCE_FILTER_WORDS.search(_unquoted(expression)):
            return (
                "a reference path's filter cannot use lexical operators, regular expressions "
                "or references to other values"
            )
    return None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def reference_path_error(text: str) -> str | None:
    """Why ``text`` is not a valid Reference Path to write to (ResultPath), or None."""
    from interpreter.query.jsonpath import compile_reference_path

    return _reason(compile_reference_path, text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def intrinsic_error(text: str) -> str | None:
    """Why ``text`` is not a valid intrinsic function call, or None."""
    from interpreter.query.intrinsics import compile_intrinsic

    return _reason(compile_intrinsic, text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def jsonata_error(expression: str) -> str | None:
    """Why the JSONata ``expression`` (the text inside ``{% %}``) does not compile, or None.

    The reason is the parser's sentence (``Expected "]", got ","``), as AWS prints it.
    """
    from interpreter.query.jsonata import compile_jsonata

    return _reason(compile_jsonata, expression)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def jsonata_top_level_references(expression: str) -> tuple[str, ...]:
    """What a (well-formed) JSONata expression reads from the top-level context.

    AWS evaluates expressions without a context item, so it refuses ``phone.number`` (a bare
    name as a path's first step), ``$`` and ``$$`` at definition time. Empty when the
    expression does not compile (:func:`jsonata_error` reports that).
    """
    from interpreter.query.jsonata import compile_jsonata

    try:
        return tuple(compile_jsonata(expression).top_level_references())
    except (QuerySyntaxError, RecursionError):
        return ()


def path_or_intrinsic_error(text: str) -> str | None:
    """Why ``text`` is neither a valid Path nor a valid intrinsic call, or None."""
    if looks_like_intrinsic(text):
        return intrinsic_error(text)
    return path_error(text)
