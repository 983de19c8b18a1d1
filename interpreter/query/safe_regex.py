"""Regular expressions from definitions, matched in linear time (the ``=~`` filter of JSONPath).

AWS evaluates ``$.a[?(@.name =~ /ab.*/i)]`` with Jayway JsonPath, which compiles the pattern with
``java.util.regex`` and tests ``Matcher.matches()`` (the whole text must match). A pattern written
in a definition is user text, and the project's rule is that no user text becomes a Python
regular expression: ``re`` backtracks, so a pattern such as ``(a+)+$`` can take exponential time.

This module compiles the Java syntax a filter needs into a Thompson NFA and runs it as a DFA built
lazily (each state is a set of NFA positions): the time is linear in the text for a given pattern,
whatever the pattern, and the pattern's size is bounded. Supported: literals and escapes (``\\t``,
``\\n``, ``\\xhh``, ``\\uhhhh``, ``\\Q...\\E``, escaped punctuation), ``.``, classes (``[a-z]``,
``[^...]``, ``\\d \\D \\w \\W \\s \\S``, also inside classes), groups (``(...)``, ``(?:...)``,
``(?<name>...)``), alternation, the quantifiers ``* + ? {n} {n,} {n,m}`` (greedy or lazy: the same
for a whole-text match), the anchors ``^ $ \\A \\z \\Z \\b \\B``, and the flags ``i`` (ASCII case),
``s`` (dot matches line ends) and ``m`` (``^``/``$`` at line ends), after the closing ``/`` or as a
leading ``(?flags)``. What a linear engine cannot do — back-references, lookaround, possessive
quantifiers, class intersections — is refused when the definition is compiled, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from interpreter.query.errors import QuerySyntaxError

__all__ = ["SafeRegex", "compile_regex"]

#: Bounds on what one pattern may cost: its text, and the NFA it expands into ({m,n} copies).
MAX_PATTERN_LENGTH: Final = 1_000
MAX_NFA_SIZE: Final = 20_000
#: DFA states kept per pattern before the cache starts over (memory stays bounded).
_MAX_CACHED_TRANSITIONS: Final = 10_000

_LINE_ENDS: Final = frozenset("\n\r\u0085\u2028\u2029")
_DIGITS: Final = frozenset("0123456789")
_WORD: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SPACES: Final = frozenset(" \t\n\x0b\f\r")
_SIMPLE_ESCAPES: Final = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "a": "\a", "e": "\x1b"}


def _error(pattern: str, why: str) -> QuerySyntaxError:
    return QuerySyntaxError(f"Invalid regular expression /{pattern}/: {why}")


# --------------------------------------------------------------------------------------------
# Character sets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CharSet:
    """A set of characters: explicit characters, ranges and named classes, maybe negated."""

    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...] = ()
    members: tuple[_CharSet, ...] = ()
    negated: bool = False

    def contains(self, c: str, ignore_case: bool) -> bool:
        found = self._has(c, ignore_case)
        if not found and ignore_case and c.isascii():
            other = c.lower() if c.isupper() else c.upper()
            found = other != c and self._has(other, ignore_case)
        return found != self.negated

    def _has(self, c: str, ignore_case: bool) -> bool:
        if c in self.chars:
            return True
        if any(low <= c <= high for low, high in self.ranges):
            return True
        return any(member.contains(c, ignore_case) for member in self.members)


def _class_escape(letter: str) -> _CharSet | None:
    base = {"d": _DIGITS, "w": _WORD, "s": _SPACES}.get(letter.lower())
    if base is None:
        return None
    return _CharSet(base, negated=letter.isupper())


_ANY_BUT_LINE_END: Final = _CharSet(_LINE_ENDS, negated=True)
_ANY: Final = _CharSet(frozenset(), negated=True)


# --------------------------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Char:
    matcher: _CharSet


@dataclass(frozen=True, slots=True)
class _Assert:
    kind: str  # "^", "$", "A", "z", "Z", "b", "B"


@dataclass(frozen=True, slots=True)
class _Seq:
    items: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Alt:
    options: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Repeat:
    node: _Node
    low: int
    high: int | None


_Node = _Char | _Assert | _Seq | _Alt | _Repeat


class _Parser:
    """Java regex syntax (the supported subset) into a syntax tree."""

    def __init__(self, pattern: str, flags: set[str]) -> None:
        self.pattern = pattern
        self.pos = 0
        self.flags = flags

    def fail(self, why: str) -> QuerySyntaxError:
        return _error(self.pattern, why)

    def peek(self) -> str:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else ""

    def parse(self) -> _Node:
        self.leading_flags()
        node = self.alternation()
        if self.pos < len(self.pattern):
            raise self.fail(f"unmatched ')' at position {self.pos}")
        return node

    def leading_flags(self) -> None:
        while self.pattern.startswith("(?", self.pos):
            end = self.pattern.find(")", self.pos)
            letters = self.pattern[self.pos + 2 : end] if end > 0 else ""
            if not letters or not set(letters) <= set("ims"):
                return
            self.flags.update(letters)
            self.pos = end + 1

    def alternation(self) -> _Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else _Alt(tuple(options))

    def sequence(self) -> _Node:
        items: list[_Node] = []
        while self.pos < len(self.pattern) and self.peek() not in "|)":
            atom = self.atom()
            if atom is None:
                continue
            items.append(self.quantified(atom))
        return items[0] if len(items) == 1 else _Seq(tuple(items))

    def quantified(self, atom: _Node) -> _Node:
        while True:
            c = self.peek()
            if c == "*":
                low, high = 0, None
                self.pos += 1
            elif c == "+":
                low, high = 1, None
                self.pos += 1
            elif c == "?":
                low, high = 0, 1
                self.pos += 1
            elif c == "{" and self.counted():
                low, high = self.read_counts()
            else:
                return atom
            if isinstance(atom, _Assert):
                raise self.fail("a quantifier cannot follow an anchor")
            if self.peek() == "+":
                raise self.fail("possessive quantifiers are not supported")
            if self.peek() == "?":
                self.pos += 1  # lazy: the same set of whole-text matches
            atom = _Repeat(atom, low, high)

    def counted(self) -> bool:
        end = self.pattern.find("}", self.pos)
        body = self.pattern[self.pos + 1 : end] if end > 0 else ""
        low, _, high = body.partition(",")
        return low.isdigit() and (high == "" or high.isdigit())

    def read_counts(self) -> tuple[int, int | None]:
        end = self.pattern.index("}", self.pos)
        body = self.pattern[self.pos + 1 : end]
        self.pos = end + 1
        low_text, comma, high_text = body.partition(",")
        low = int(low_text)
        high = low if not comma else (int(high_text) if high_text else None)
        if high is not None and high < low:
            raise self.fail(f"the repetition {{{body}}} has its bounds the wrong way round")
        if max(low, high or 0) > MAX_NFA_SIZE:
            raise self.fail(f"the repetition {{{body}}} is too large")
        return low, high

    def atom(self) -> _Node | None:
        c = self.peek()
        self.pos += 1
        if c == "(":
            return self.group()
        if c == "[":
            return _Char(self.char_class())
        if c == ".":
            return _Char(_ANY if "s" in self.flags else _ANY_BUT_LINE_END)
        if c == "^":
            return _Assert("^")
        if c == "$":
            return _Assert("$")
        if c == "\\":
            return self.escape()
        if c in "*+?":
            raise self.fail(f"nothing to repeat before '{c}' at position {self.pos - 1}")
        return _Char(_CharSet(frozenset(c)))

    def group(self) -> _Node:
        if self.peek() == "?":
            nxt = self.pattern[self.pos + 1 : self.pos + 2]
            if nxt == ":":
                self.pos += 2
            elif nxt == "<" and self.pattern[self.pos + 2 : self.pos + 3] not in ("=", "!"):
                end = self.pattern.find(">", self.pos)
                if end < 0:
                    raise self.fail("unterminated group name")
                self.pos = end + 1
            elif nxt in ("=", "!", "<"):
                raise self.fail("lookahead and lookbehind are not supported")
            else:
                raise self.fail(f"the group construct '(?{nxt}' is not supported")
        node = self.alternation()
        if self.peek() != ")":
            raise self.fail("missing ')'")
        self.pos += 1
        return node

    def escape(self) -> _Node | None:
        c = self.peek()
        if not c:
            raise self.fail("a pattern cannot end with '\\'")
        self.pos += 1
        named = _class_escape(c)
        if named is not None:
            return _Char(named)
        if c in "AzZbB":
            return _Assert(c)
        if c == "Q":
            end = self.pattern.find("\\E", self.pos)
            quoted = self.pattern[self.pos :] if end < 0 else self.pattern[self.pos : end]
            self.pos = len(self.pattern) if end < 0 else end + 2
            chars = tuple(_Char(_CharSet(frozenset(q))) for q in quoted)
            return _Seq(chars) if chars else None
        if (c.isdigit() and c != "0") or c == "k":
            raise self.fail("back-references are not supported")
        return _Char(_CharSet(frozenset(self.escaped_char(c))))

    def escaped_char(self, c: str) -> str:
        """The character an escape (other than a class or an anchor) stands for."""
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c]
        if c in "xu":
            width = 2 if c == "x" else 4
            digits = self.pattern[self.pos : self.pos + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.fail(f"\\{c} needs {width} hexadecimal digits")
            self.pos += width
            return chr(int(digits, 16))
        if c == "0":
            start = self.pos
            while self.pos < len(self.pattern) and self.pattern[self.pos] in "01234567":
                self.pos += 1
            if self.pos == start:
                raise self.fail("\\0 needs octal digits")
            return chr(int(self.pattern[start : self.pos], 8))
        if c.isalpha():
            raise self.fail(f"the escape \\{c} is not supported")
        return c

    def char_class(self) -> _CharSet:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        chars: set[str] = set()
        ranges: list[tuple[str, str]] = []
        members: list[_CharSet] = []
        first = True
        while True:
            c = self.peek()
            if not c:
                raise self.fail("unterminated character class")
            if c == "]" and not first:
                self.pos += 1
                return _CharSet(frozenset(chars), tuple(ranges), tuple(members), negated)
            first = False
            if c == "[" or self.pattern.startswith("&&", self.pos):
                raise self.fail("nested classes and class intersections are not supported")
            low = self.class_atom()
            if isinstance(low, _CharSet):
                members.append(low)
                continue
            if self.peek() == "-" and self.pattern[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                high = self.class_atom()
                if isinstance(high, _CharSet) or high < low:
                    raise self.fail(f"the range starting at '{low}' is not valid")
                ranges.append((low, high))
            else:
                chars.add(low)

    def class_atom(self) -> str | _CharSet:
        """One character of a class, or a named class (``\\d``) inside it."""
        c = self.peek()
        self.pos += 1
        if c != "\\":
            return c
        letter = self.peek()
        if not letter:
            raise self.fail("unterminated character class")
        self.pos += 1
        named = _class_escape(letter)
        return named if named is not None else self.escaped_char(letter)


# --------------------------------------------------------------------------------------------
# NFA and its lazy DFA
# --------------------------------------------------------------------------------------------

# NFA nodes: ("char", charset, next) | ("split", a, b) | ("assert", kind, next) | ("match",)
_NfaNode = tuple[Any, ...]


class _Builder:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.nodes: list[list[Any]] = []

    def add(self, *fields: Any) -> int:
        if len(self.nodes) >= MAX_NFA_SIZE:
            raise _error(self.pattern, "the pattern is too large")
        self.nodes.append(list(fields))
        return len(self.nodes) - 1

    def build(self, node: _Node, follow: int) -> int:
        """Add ``node`` so that it continues at ``follow``; return its entry."""
        if isinstance(node, _Char):
            return self.add("char", node.matcher, follow)
        if isinstance(node, _Assert):
            return self.add("assert", node.kind, follow)
        if isinstance(node, _Seq):
            entry = follow
            for item in reversed(node.items):
                entry = self.build(item, entry)
            return entry
        if isinstance(node, _Alt):
            entries = [self.build(option, follow) for option in node.options]
            entry = entries[-1]
            for other in reversed(entries[:-1]):
                entry = self.add("split", other, entry)
            return entry
        return self.build_repeat(node, follow)

    def build_repeat(self, node: _Repeat, follow: int) -> int:
        """``x{low,high}``: ``low`` copies, then optional ones (or a loop when unbounded)."""
        entry = follow
        if node.high is None:
            loop = self.add("split", -1, follow)
            self.nodes[loop][1] = self.build(node.node, loop)
            entry = loop
        else:
            for _ in range(node.high - node.low):
                entry = self.add("split", self.build(node.node, entry), follow)
        for _ in range(node.low):
            entry = self.build(node.node, entry)
        return entry


def _context(text: str, index: int) -> tuple[bool, bool, bool, bool, bool, bool]:
    """What the anchors need to know about the position before ``text[index]``."""
    before = text[index - 1] if index > 0 else ""
    after = text[index] if index < len(text) else ""
    return (
        index == 0,
        index == len(text),
        before in _LINE_ENDS and before != "",
        after in _LINE_ENDS and after != "",
        before in _WORD and before != "",
        after in _WORD and after != "",
    )


class SafeRegex:
    """A compiled pattern; :meth:`matches` is Java's ``Matcher.matches()``."""

    __slots__ = ("_cache", "_ignore_case", "_multiline", "_nodes", "_start", "pattern")

    def __init__(self, pattern: str, nodes: list[list[Any]], start: int, flags: set[str]):
        self.pattern = pattern
        self._nodes: list[_NfaNode] = [tuple(n) for n in nodes]
        self._start = start
        self._ignore_case = "i" in flags
        self._multiline = "m" in flags
        self._cache: dict[tuple[object, ...], frozenset[int]] = {}

    def _holds(self, kind: object, ctx: tuple[bool, ...], final_line_end: bool) -> bool:
        at_start, at_end, after_line_end, before_line_end, word_before, word_after = ctx
        if kind in ("^", "A"):
            return at_start or (kind == "^" and self._multiline and after_line_end)
        if kind == "z":
            return at_end
        if kind in ("$", "Z"):
            if at_end or (kind == "$" and self._multiline and before_line_end):
                return True
            return final_line_end
        if kind == "b":
            return word_before != word_after
        return word_before == word_after  # "B"

    def _closure(
        self, seeds: list[int], ctx: tuple[bool, ...], final_line_end: bool
    ) -> frozenset[int]:
        seen: set[int] = set()
        stack = list(seeds)
        while stack:
            index = stack.pop()
            if index in seen:
                continue
            seen.add(index)
            node = self._nodes[index]
            kind = node[0]
            if kind == "split":
                stack.append(node[1])
                stack.append(node[2])
            elif kind == "assert" and self._holds(node[1], ctx, final_line_end):
                stack.append(node[2])
        return frozenset(seen)

    def matches(self, text: str) -> bool:
        """Whether the whole of ``text`` matches (linear in ``len(text)``)."""
        length = len(text)
        # "$" and "\Z" also hold before a line end that ends the text (java.util.regex).
        final_ends = {length - 1} if length and text[-1] in _LINE_ENDS else set()
        states = self._closure([self._start], _context(text, 0), 0 in final_ends)
        cache = self._cache
        for index, c in enumerate(text):
            if not states:
                return False
            ctx = _context(text, index + 1)
            final = index + 1 in final_ends
            key = (states, c, ctx, final)
            nxt = cache.get(key)
            if nxt is None:
                seeds = []
                for position in states:
                    node = self._nodes[position]
                    if node[0] == "char" and self._accepts(node[1], c):
                        seeds.append(node[2])
                nxt = self._closure(seeds, ctx, final)
                if len(cache) >= _MAX_CACHED_TRANSITIONS:
                    cache.clear()
                cache[key] = nxt
            states = nxt
        return any(self._nodes[p][0] == "match" for p in states)

    def _accepts(self, matcher: object, c: str) -> bool:
        assert isinstance(matcher, _CharSet)
        return matcher.contains(c, self._ignore_case)

    def __repr__(self) -> str:
        return f"SafeRegex({self.pattern!r})"


_FLAG_LETTERS: Final = frozenset("imsdux")


def compile_regex(pattern: str, flags: str = "") -> SafeRegex:
    """Compile a Java-syntax pattern with Jayway's flag letters (raises QuerySyntaxError)."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise _error(
            pattern[:40] + "...", f"patterns are limited to {MAX_PATTERN_LENGTH} characters"
        )
    unknown = set(flags) - _FLAG_LETTERS
    if unknown:
        raise _error(pattern, f"unknown flag(s) {''.join(sorted(unknown))}")
    if "x" in flags:
        raise _error(pattern, "the flag x (comments) is not supported")
    active = set(flags) & set("ims")
    tree = _Parser(pattern, active).parse()
    builder = _Builder(pattern)
    accept = builder.add("match")
    start = builder.build(tree, accept)
    return SafeRegex(pattern, builder.nodes, start, active)
