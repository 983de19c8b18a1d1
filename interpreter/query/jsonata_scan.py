"""A lexical scan of JSONata expression text: what the engine does not tell us.

The engine (jlens) parses and evaluates; this module reads the same text token by token to learn,
once per definition:

* whether it uses the operators JSONata added after 2.0.6 (``?:``, ``??``), which AWS's engine
  does not know — they must fail to compile here as they do on AWS;
* which ``$name`` variables it reads from outside (its free variables), so that only those are
  handed to the engine and the validator can name them;
* which names it calls as functions, so that the AWS-only functions are bound only when used;
* whether it reads the context item ``$``/``$$`` or rebinds ``$states``, which decides how
  ``$states`` is passed to the engine (see :mod:`interpreter.query.jsonata`).

The tokenizer follows jsonata-js's lexical rules (strings with escapes, backtick names, regular
expression literals where an operand is expected, ``/* */`` comments). It only ever runs on text
the engine has already accepted, so it does not report syntax errors of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Characters that end a name (jsonata-js's operator characters and whitespace).
_OPERATOR_CHARS = frozenset(".[]{}(),@#;:?+-*/%|=<>^&!~`\"' \t\n\r\v\f")
_TWO_CHAR_OPERATORS = frozenset({"..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"})
# After one of these an operand is expected, so ``/`` opens a regular expression.
_VALUE_END = frozenset({")", "]", "}"})
_WORD_OPERATORS = frozenset({"and", "or", "in"})


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token: ``kind`` is op, name, variable, string, number or regex."""

    kind: str
    value: str
    position: int


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        text = self.text
        while True:
            self._skip_blank()
            if self.pos >= len(text):
                return self.tokens
            start = self.pos
            char = text[start]
            if char == "/" and self._operand_expected():
                self._regex()
            elif char in "\"'":
                self._string(char)
            elif char == "`":
                end = text.find("`", start + 1)
                end = len(text) if end < 0 else end
                self.tokens.append(Token("name", text[start + 1 : end], start))
                self.pos = end + 1
            elif char.isdigit():
                self._number()
            elif char == "$":
                self.pos += 1
                name = self._name_chars()
                if not name and self.pos < len(text) and text[self.pos] == "$":
                    self.pos += 1
                    name = "$"
                self.tokens.append(Token("variable", name, start))
            elif text[start : start + 2] in _TWO_CHAR_OPERATORS:
                self.tokens.append(Token("op", text[start : start + 2], start))
                self.pos += 2
            elif char in _OPERATOR_CHARS:
                self.tokens.append(Token("op", char, start))
                self.pos += 1
            else:
                name = self._name_chars()
                kind = "op" if name in _WORD_OPERATORS else "name"
                self.tokens.append(Token(kind, name, start))

    def _skip_blank(self) -> None:
        text = self.text
        while self.pos < len(text):
            if text[self.pos].isspace():
                self.pos += 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                self.pos = len(text) if end < 0 else end + 2
            else:
                return

    def _operand_expected(self) -> bool:
        if not self.tokens:
            return True
        last = self.tokens[-1]
        if last.kind == "op":
            return last.value not in _VALUE_END
        return False

    def _regex(self) -> None:
        text, start = self.text, self.pos
        pos = start + 1
        depth = 0
        while pos < len(text):
            char = text[pos]
            if char == "\\":
                pos += 2
                continue
            if char == "[":
                depth += 1
            elif char == "]" and depth:
                depth -= 1
            elif char == "/" and not depth:
                break
            pos += 1
        pos += 1
        while pos < len(text) and text[pos] in "imgsuy":
            pos += 1
        self.tokens.append(Token("regex", text[start:pos], start))
        self.pos = pos

    def _string(self, quote: str) -> None:
        text, start = self.text, self.pos
        pos = start + 1
        while pos < len(text) and text[pos] != quote:
            pos += 2 if text[pos] == "\\" else 1
        self.tokens.append(Token("string", text[start + 1 : pos], start))
        self.pos = pos + 1

    def _number(self) -> None:
        text, pos = self.text, self.pos
        start = pos
        while pos < len(text) and text[pos].isdigit():
            pos += 1
        if pos + 1 < len(text) and text[pos] == "." and text[pos + 1].isdigit():
            pos += 1
            while pos < len(text) and text[pos].isdigit():
                pos += 1
        if pos < len(text) and text[pos] in "eE":
            exp = pos + 1
            if exp < len(text) and text[exp] in "+-":
                exp += 1
            if exp < len(text) and text[exp].isdigit():
                pos = exp
                while pos < len(text) and text[pos].isdigit():
                    pos += 1
        self.tokens.append(Token("number", text[start:pos], start))
        self.pos = pos

    def _name_chars(self) -> str:
        text, start = self.text, self.pos
        pos = start
        while pos < len(text) and text[pos] not in _OPERATOR_CHARS:
            pos += 1
        self.pos = pos
        return text[start:pos]


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (an expression the engine accepted)."""
    return _Lexer(text).run()


@dataclass(slots=True)
class Scan:
    """What one pass over the tokens found."""

    #: ``$name`` variables read but not bound inside the expression (``$states`` included).
    free_variables: set[str] = field(default_factory=set)
    #: names called as functions (``$name(``), whether built in, AWS's, local or unknown.
    called: set[str] = field(default_factory=set)
    #: every ``$name`` written anywhere, bound or not.
    mentioned: set[str] = field(default_factory=set)
    #: ``$`` (the context item) or ``$$`` (the root) appears.
    reads_context: bool = False
    #: ``$$`` appears.
    reads_root: bool = False
    #: ``$states`` is bound inside the expression (``$states := ...`` or a lambda parameter).
    rebinds_states: bool = False
    #: the first operator JSONata added after 2.0.6, with its position, if any.
    newer_operator: Token | None = None


@dataclass(slots=True)
class _Frame:
    bound: set[str]
    lambda_body: bool
    # ``$x :=`` targets: bound once the block moves past the binding expression (``;``), so
    # that ``$x := $x + 1`` reads the outer ``$x``.
    deferred: list[str] = field(default_factory=list)
    # names read inside a lambda body, resolved when the enclosing frames close: a body runs
    # later, so a name its enclosing block binds after the lambda is still bound.
    pending: list[str] = field(default_factory=list)


def scan(text: str) -> Scan:
    """Scan ``text`` once; see :class:`Scan`."""
    tokens = tokenize(text)
    result = Scan()
    frames = [_Frame(set(), lambda_body=False)]
    index = 0
    count = len(tokens)
    while index < count:
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < count else None
        if token.kind == "op":
            if token.value in ("?:", "??") and result.newer_operator is None:
                result.newer_operator = token
            elif token.value in ("(", "[", "{"):
                frames.append(_Frame(set(), lambda_body=False))
            elif token.value in (")", "]", "}") and len(frames) > 1:
                _close(frames)
            elif token.value == ";":
                _settle(frames[-1])
        elif token.kind == "name" and token.value in ("function", "λ") and _is_op(following, "("):
            index = _lambda(tokens, index + 1, frames, result)
            continue
        elif token.kind == "variable":
            _variable(token.value, following, frames, result)
        index += 1
    while len(frames) > 1:
        _close(frames)
    top = frames[0]
    _settle(top)
    result.free_variables.update(name for name in top.pending if name not in top.bound)
    return result


def _is_op(token: Token | None, value: str) -> bool:
    return token is not None and token.kind == "op" and token.value == value


def _variable(name: str, following: Token | None, frames: list[_Frame], result: Scan) -> None:
    if name in ("", "$"):
        result.reads_context = True
        result.reads_root = result.reads_root or name == "$"
        return
    result.mentioned.add(name)
    if _is_op(following, ":="):
        frames[-1].deferred.append(name)
        result.rebinds_states = result.rebinds_states or name == "states"
    elif _is_op(following, "("):
        result.called.add(name)
    elif not any(name in frame.bound for frame in frames):
        if any(frame.lambda_body for frame in frames):
            frames[-1].pending.append(name)
        else:
            result.free_variables.add(name)


def _settle(frame: _Frame) -> None:
    frame.bound.update(frame.deferred)
    frame.deferred.clear()


def _close(frames: list[_Frame]) -> None:
    frame = frames.pop()
    _settle(frame)
    frames[-1].pending.extend(name for name in frame.pending if name not in frame.bound)


def _lambda(tokens: list[Token], index: int, frames: list[_Frame], result: Scan) -> int:
    """Read ``(params) <signature>? {`` starting at the ``(``; return the index after ``{``."""
    params: set[str] = set()
    index += 1
    while index < len(tokens) and not _is_op(tokens[index], ")"):
        if tokens[index].kind == "variable":
            params.add(tokens[index].value)
        index += 1
    index += 1
    if index < len(tokens) and _is_op(tokens[index], "<"):
        depth = 0
        while index < len(tokens):
            if _is_op(tokens[index], "<"):
                depth += 1
            elif _is_op(tokens[index], ">"):
                depth -= 1
                if depth == 0:
                    break
            index += 1
        index += 1
    result.rebinds_states = result.rebinds_states or "states" in params
    result.mentioned.update(params)
    frames.append(_Frame(params, lambda_body=True))
    return index + 1  # past the ``{``
