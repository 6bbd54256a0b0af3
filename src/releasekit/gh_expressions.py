"""A small evaluator of GitHub Actions expressions, for deciding which events reach a step.

doctor asks "can a push to a branch reach this upload?", and the answer is in ``if:`` conditions
such as ``github.event_name == 'release' && startsWith(github.ref, 'refs/tags/')``. Deciding that
by looking for substrings misreads conditions (``github.event.action == 'published'`` contains
neither ``release`` nor ``refs/tags``), so conditions are parsed and evaluated against each event
the workflow can start from.

The event is known only in part: a push to ``branches: [release/*]`` has a ref that starts with
``refs/heads/release/`` and nothing more is known. Values are therefore abstract: a plain string,
number, bool or null; a ``Prefix`` (a string known to start with some text); or ``UNKNOWN``.
Logic is three-valued (Kleene): ``UNKNOWN && false`` is false, ``UNKNOWN || true`` is true, and
anything else involving ``UNKNOWN`` is ``UNKNOWN``, which callers read as "may run". The result
is sound: whatever the unknown parts turn out to be, a known result does not change. Terms the
evaluator does not know (``github.repository``, ``inputs.x``, ``format(...)``) are collected so
that a caller can say which part of a condition it could not judge.

As GitHub does, string comparisons ignore case, and a condition wrapped in ``${{ }}`` is the
same as one without.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final

from releasekit.records import field, frozen


class _Unknown:
    """The value of a term the evaluator cannot know; a singleton."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


@frozen
class Prefix:
    """A string known only to start with ``text`` (a ref filtered by a glob)."""

    text: str


Value = str | bool | float | None | Prefix | _Unknown
Truth = bool | _Unknown

# The context terms the evaluator knows when an event supplies them; others are unknown terms.
KNOWN_TERMS: Final = frozenset(
    {
        "github.event_name",
        "github.event.action",
        "github.ref",
        "github.ref_type",
        "github.event.ref",
    }
)
# Status functions: an upload guarded by them is reached when the job gets that far.
_STATUS: Final[Mapping[str, Truth]] = {
    "success": True,
    "always": True,
    "cancelled": False,
    "failure": UNKNOWN,
}


class ExpressionError(ValueError):
    """The text is not a GitHub expression."""


_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>'(?:[^']|'')*')
    |(?P<number>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))
    |(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])
    |(?P<word>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)


@frozen
class _Token:
    kind: str  # string, number, op, word, end
    text: str


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"unexpected {text[position:].strip()[:20]!r}")
        kind = match.lastgroup or "op"
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    tokens.append(_Token("end", ""))
    return tokens


@frozen
class Expr:
    """A parsed expression; ``evaluate`` gives its truth for one (partly known) event."""

    kind: str  # literal, path, not, and, or, compare, call
    value: Value = None
    name: str = ""  # operator, function or path
    args: tuple[Expr, ...] = field(default=())

    def evaluate(self, context: Mapping[str, Value], unknown: set[str] | None = None) -> Value:
        """The value of the expression; terms outside ``context`` are added to ``unknown``."""
        seen = unknown if unknown is not None else set()
        return _evaluate(self, context, seen)

    def truth(self, context: Mapping[str, Value], unknown: set[str] | None = None) -> Truth:
        """Whether the expression holds: True, False, or ``UNKNOWN``."""
        return truthy(self.evaluate(context, unknown))


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def take(self, text: str | None = None) -> _Token:
        token = self.tokens[self.position]
        if text is not None and token.text != text:
            raise ExpressionError(f"expected {text!r}, found {token.text or 'the end'!r}")
        self.position += 1
        return token

    def parse(self) -> Expr:
        expression = self.disjunction()
        if self.peek().kind != "end":
            raise ExpressionError(f"unexpected {self.peek().text!r}")
        return expression

    def disjunction(self) -> Expr:
        parts = [self.conjunction()]
        while self.peek().text == "||":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Expr("or", args=tuple(parts))

    def conjunction(self) -> Expr:
        parts = [self.negation()]
        while self.peek().text == "&&":
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else Expr("and", args=tuple(parts))

    def negation(self) -> Expr:
        if self.peek().text == "!":
            self.take()
            return Expr("not", args=(self.negation(),))
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.primary()
        if self.peek().text in {"==", "!=", "<", "<=", ">", ">="}:
            operator = self.take().text
            return Expr("compare", name=operator, args=(left, self.primary()))
        return left

    def primary(self) -> Expr:
        token = self.take()
        if token.text == "(" and token.kind == "op":
            inner = self.disjunction()
            self.take(")")
            return self.postfix(inner)
        if token.kind == "string":
            return Expr("literal", token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            number = int(token.text, 16) if "x" in token.text.lower() else float(token.text)
            return Expr("literal", float(number))
        if token.kind != "word":
            raise ExpressionError(f"unexpected {token.text or 'end'!r}")
        word = token.text
        if word in {"true", "false"}:
            return Expr("literal", word == "true")
        if word == "null":
            return Expr("literal", None)
        if self.peek().text == "(":
            self.take()
            args: list[Expr] = []
            if self.peek().text != ")":
                args.append(self.disjunction())
                while self.peek().text == ",":
                    self.take()
                    args.append(self.disjunction())
            self.take(")")
            return self.postfix(Expr("call", name=word.lower(), args=tuple(args)))
        return self.postfix(Expr("path", name=word.lower()))

    def postfix(self, expression: Expr) -> Expr:
        """Property access (``.name``, ``.*``, ``[index]``) after a name, call or group."""
        path = expression.name if expression.kind == "path" else None
        accessed = False
        while self.peek().text in {".", "["}:
            accessed = True
            if self.take().text == ".":
                token = self.take()
                if token.kind != "word" and token.text != "*":
                    raise ExpressionError(f"unexpected {token.text!r} after '.'")
                part = token.text.lower()
            else:
                index = self.disjunction()
                self.take("]")
                part = "*" if index.kind != "literal" else str(index.value).lower()
            path = f"{path}.{part}" if path is not None else None
        if not accessed:
            return expression
        return Expr("path", name=path if path is not None else "(computed value)")


_CACHE: dict[str, Expr] = {}
_CACHE_SIZE = 4096  # distinct conditions kept parsed; a repository has a few dozen


def parse_expression(text: str) -> Expr:
    """Parse an expression, with or without its ``${{ }}``; raises ``ExpressionError``."""
    stripped = unwrap(text)
    if stripped not in _CACHE:
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[stripped] = _Parser(stripped).parse()
    return _CACHE[stripped]


def unwrap(text: str) -> str:
    """``${{ x }}`` -> ``x``; anything else as it is (stripped)."""
    stripped = text.strip()
    if stripped.startswith("${{") and stripped.endswith("}}") and stripped.count("${{") == 1:
        return stripped[3:-2].strip()
    return stripped


def truthy(value: Value) -> Truth:
    """GitHub's truthiness: false, 0, -0, NaN, '' and null are false."""
    if isinstance(value, _Unknown):
        return UNKNOWN
    if isinstance(value, Prefix):
        return True if value.text else UNKNOWN
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return value != ""


def _number(value: str | bool | float | None) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    text = value.strip()
    if text == "":
        return 0.0
    try:
        return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
    except ValueError:
        return math.nan


def _equal(left: Value, right: Value) -> Truth:
    if isinstance(left, _Unknown) or isinstance(right, _Unknown):
        return UNKNOWN
    if isinstance(left, Prefix) or isinstance(right, Prefix):
        return _prefix_equal(left, right)
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is type(right):
        return left == right
    return _number(left) == _number(right)


def _prefix_equal(left: Value, right: Value) -> Truth:
    """Whether a Prefix can equal the other side: false when the texts already differ."""
    if isinstance(left, Prefix) and isinstance(right, Prefix):
        a, b = left.text.casefold(), right.text.casefold()
        return UNKNOWN if a.startswith(b) or b.startswith(a) else False
    prefix, other = (left, right) if isinstance(left, Prefix) else (right, left)
    if isinstance(prefix, Prefix) and isinstance(other, str):
        return UNKNOWN if other.casefold().startswith(prefix.text.casefold()) else False
    return UNKNOWN


def _order(operator: str, left: Value, right: Value) -> Truth:
    if isinstance(left, _Unknown | Prefix) or isinstance(right, _Unknown | Prefix):
        return UNKNOWN
    if isinstance(left, str) and isinstance(right, str):
        a: str | float = left.casefold()
        b: str | float = right.casefold()
    else:
        a, b = _number(left), _number(right)
        if math.isnan(a) or math.isnan(b):
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]  # type: ignore[operator]


def _not(truth: Truth) -> Truth:
    return UNKNOWN if isinstance(truth, _Unknown) else not truth


def _starts_with(text: Value, start: Value) -> Truth:
    if isinstance(text, _Unknown) or isinstance(start, _Unknown | Prefix):
        return UNKNOWN
    wanted = _as_text(start).casefold()
    if isinstance(text, Prefix):
        known = text.text.casefold()
        if known.startswith(wanted):
            return True
        return UNKNOWN if wanted.startswith(known) else False
    return _as_text(text).casefold().startswith(wanted)


def _ends_with(text: Value, end: Value) -> Truth:
    if isinstance(text, _Unknown | Prefix) or isinstance(end, _Unknown | Prefix):
        return UNKNOWN
    return _as_text(text).casefold().endswith(_as_text(end).casefold())


def _contains(haystack: Value, needle: Value) -> Truth:
    if isinstance(haystack, _Unknown) or isinstance(needle, _Unknown | Prefix):
        return UNKNOWN
    wanted = _as_text(needle).casefold()
    if isinstance(haystack, Prefix):
        return True if wanted in haystack.text.casefold() else UNKNOWN
    return wanted in _as_text(haystack).casefold()


def _as_text(value: str | bool | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value


def _evaluate(expression: Expr, context: Mapping[str, Value], unknown: set[str]) -> Value:
    kind = expression.kind
    if kind == "literal":
        return expression.value
    if kind == "path":
        if expression.name in context:
            return context[expression.name]
        unknown.add(expression.name)
        return UNKNOWN
    if kind == "not":
        return _not(truthy(_evaluate(expression.args[0], context, unknown)))
    if kind in {"and", "or"}:
        stop = kind == "or"  # the truth that decides: true for ||, false for &&
        result: Truth = not stop
        for part in expression.args:
            truth = truthy(_evaluate(part, context, unknown))
            if truth is stop:
                return stop
            if isinstance(truth, _Unknown):
                result = UNKNOWN
        return result
    values = [_evaluate(arg, context, unknown) for arg in expression.args]
    if kind == "compare":
        left, right = values
        if expression.name == "==":
            return _equal(left, right)
        if expression.name == "!=":
            return _not(_equal(left, right))
        return _order(expression.name, left, right)
    return _call(expression.name, values, unknown)


def _call(name: str, values: list[Value], unknown: set[str]) -> Value:
    if name in _STATUS and not values:
        return _STATUS[name]
    binary = {"startswith": _starts_with, "endswith": _ends_with, "contains": _contains}
    if name in binary and len(values) == len(("text", "part")):
        return binary[name](*values)
    unknown.add(f"{name}()")
    return UNKNOWN


def condition_truth(text: str | None, context: Mapping[str, Value], unknown: set[str]) -> Truth:
    """Whether an ``if:`` holds for ``context``: absent is true, unparsable is ``UNKNOWN``.

    An ``if:`` with ``${{ }}`` around only part of it is a string with text around the
    expression, and any non-empty string is true: GitHub then always runs the step.
    """
    if text is None or text.strip() == "":
        return True
    stripped = unwrap(text)
    if "${{" in stripped:
        return True
    try:
        return parse_expression(stripped).truth(context, unknown)
    except ExpressionError:
        unknown.add(f"'{stripped[:40]}' (not an expression)")
        return UNKNOWN
