"""Parse condition text into the AST (Lark LALR, grammar in grammar.lark, built once per process).

Syntax errors are turned into messages an analyst can act on: `=` for `==`, `&&` for `and`, an unquoted
procedure code, an unclosed string or parenthesis, a condition that stops half-way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from lark import (
    Lark,
    Token,
    Transformer,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    v_args,
)

from . import ast as A

__all__ = ["DslSyntaxError", "parse", "parse_template", "TemplatePart"]


class DslSyntaxError(Exception):
    def __init__(self, message: str, start: int, end: int | None = None, hint: str | None = None,
                 code: str = "E101") -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end if end is not None else start + 1
        self.hint = hint
        self.code = code


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("claimscrub.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=True)


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _unescape(tok: str) -> str:
    """\\n, \\t, \\\\ and quotes are escapes; any other backslash stays (so "\\d" reaches a regex as \\d)."""
    body = tok[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def _span(meta) -> tuple[int, int]:
    return meta.start_pos, meta.end_pos


@v_args(meta=True, inline=True)
class _ToAst(Transformer):
    def string(self, meta, tok: Token) -> A.Literal:
        return A.Literal(*_span(meta), _unescape(str(tok)), "str")

    def number(self, meta, tok: Token) -> A.Literal:
        text = str(tok)
        value = int(text) if "." not in text else Decimal(text)
        return A.Literal(*_span(meta), value, "num")

    def money(self, meta, tok: Token) -> A.Literal:
        return A.Literal(*_span(meta), Decimal(str(tok)[1:]), "num")

    def true(self, meta) -> A.Literal:
        return A.Literal(*_span(meta), True, "bool")

    def false(self, meta) -> A.Literal:
        return A.Literal(*_span(meta), False, "bool")

    def null(self, meta) -> A.Literal:
        return A.Literal(*_span(meta), None, "null")

    def name(self, meta, tok: Token) -> A.Name:
        return A.Name(*_span(meta), str(tok))

    def call(self, meta, name: Token, args) -> A.Node:
        arglist = list(args.children) if args is not None else []
        if str(name) == "date" and len(arglist) == 1 and isinstance(arglist[0], A.Literal) and arglist[0].kind == "str":
            try:
                return A.Literal(*_span(meta), date.fromisoformat(arglist[0].value), "date")
            except ValueError:
                raise DslSyntaxError(
                    f"not a date: {arglist[0].value!r}", arglist[0].start, arglist[0].end,
                    "write dates as date(\"YYYY-MM-DD\")", code="E104",
                ) from None
        return A.Call(*_span(meta), str(name), arglist)

    def arglist(self, meta, *items):
        from lark import Tree

        return Tree("arglist", [i for i in items if i is not None])

    def attr(self, meta, obj: A.Node, name: Token) -> A.Attr:
        return A.Attr(*_span(meta), obj, str(name), name.start_pos)

    def index(self, meta, obj: A.Node, idx: A.Node) -> A.Index:
        return A.Index(*_span(meta), obj, idx)

    def neg(self, meta, _minus: Token, operand: A.Node) -> A.Node:
        if isinstance(operand, A.Literal) and operand.kind == "num":
            return A.Literal(*_span(meta), -operand.value, "num")
        return A.Neg(*_span(meta), operand)

    def not_(self, meta, operand: A.Node) -> A.Not:
        return A.Not(*_span(meta), operand)

    def _bool(self, meta, op: str, left: A.Node, right: A.Node) -> A.BoolOp:
        values: list[A.Node] = []
        for side in (left, right):
            if isinstance(side, A.BoolOp) and side.op == op and not getattr(side, "parenthesized", False):
                values.extend(side.values)
            else:
                values.append(side)
        return A.BoolOp(*_span(meta), op, values)

    def and_(self, meta, left, right):
        return self._bool(meta, "and", left, right)

    def or_(self, meta, left, right):
        return self._bool(meta, "or", left, right)

    def compare(self, meta, left, op: Token, right):
        return A.Compare(*_span(meta), str(op), left, right)

    def in_(self, meta, left, right):
        return A.Compare(*_span(meta), "in", left, right)

    def not_in(self, meta, left, right):
        return A.Compare(*_span(meta), "not in", left, right)

    def is_null(self, meta, operand):
        return A.IsNull(*_span(meta), operand, False)

    def is_not_null(self, meta, operand):
        return A.IsNull(*_span(meta), operand, True)

    def has_modifier(self, meta, subject, value):
        return A.Has(*_span(meta), subject, "one", value)

    def has_any_modifier(self, meta, subject, value):
        return A.Has(*_span(meta), subject, "any", value)

    def has_no_modifier(self, meta, subject, value):
        return A.Has(*_span(meta), subject, "none", value)

    def between(self, meta, operand, low, high):
        return A.Between(*_span(meta), operand, low, high)

    def cond(self, meta, test, then, orelse):
        return A.Cond(*_span(meta), test, then, orelse)

    def binop(self, meta, left, op: Token, right):
        return A.BinOp(*_span(meta), str(op), left, right)

    def code_range(self, meta, low: Token, high: Token):
        return A.CodeRange(*_span(meta), _unescape(str(low)), _unescape(str(high)))

    def set_items(self, meta, *items):
        from lark import Tree

        return Tree("set_items", [i for i in items if i is not None])

    def set_lit(self, meta, items):
        return A.SetLit(*_span(meta), list(items.children) if items is not None else [])

    def list_lit(self, meta, items):
        return A.ListLit(*_span(meta), list(items.children) if items is not None else [])

    def quant(self, meta, kind: Token, var: Token, coll, cond):
        return A.Quant(*_span(meta), str(kind), str(var), coll, cond, None, var.start_pos)

    def sum_(self, meta, value, var: Token, coll, cond):
        return A.Quant(*_span(meta), "sum", str(var), coll, cond, value, var.start_pos)


_TOKEN_WORDS = {
    "EQUAL": "=", "AMPERSAND": "&", "VBAR": "|", "BANG": "!", "RPAR": ")", "LPAR": "(",
    "$END": "the end of the condition",
}


def _describe(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the condition"
    return repr(str(tok))


def _syntax_error(text: str, exc: UnexpectedInput) -> DslSyntaxError:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None:
        pos = len(text)
    if isinstance(exc, UnexpectedCharacters):
        ch = text[pos] if pos < len(text) else ""
        rest = text[pos:]
        if ch == "=":
            return DslSyntaxError("unexpected '=': comparison is '=='", pos, pos + 1, "write `a == b` to compare",
                                  code="E102")
        if ch in "&|":
            op = ch * 2 if rest.startswith(ch * 2) else ch
            word = "and" if ch == "&" else "or"
            return DslSyntaxError(f"'{op}' is not an operator here", pos, pos + len(op), f"use `{word}`", code="E102")
        if ch == "!":
            return DslSyntaxError("'!' is not an operator here", pos, pos + 1, "use `not` (or `!=` to compare)",
                                  code="E102")
        if ch in "\"'":
            return DslSyntaxError("string is not closed", pos, len(text), f"add the closing {ch}", code="E103")
        m = re.match(r"[0-9]+[A-Za-z][0-9A-Za-z]*", text[_word_start(text, pos):])
        if m:
            start = _word_start(text, pos)
            return DslSyntaxError(
                f"unquoted code {m.group(0)!r}", start, start + len(m.group(0)),
                f'codes are strings: write "{m.group(0)}"', code="E105",
            )
        return DslSyntaxError(f"unexpected character {ch!r}", pos, pos + 1, code="E101")
    if isinstance(exc, UnexpectedEOF):
        return DslSyntaxError("the condition ends too early", len(text), len(text),
                              "complete the expression (a closing parenthesis or an operand is missing)", code="E106")
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            opens = text.count("(") - text.count(")")
            hint = "a ')' is missing" if opens > 0 else "an operand is missing after the last operator"
            return DslSyntaxError("the condition ends too early", len(text.rstrip()), len(text.rstrip()) + 1, hint,
                                  code="E106")
        start = tok.start_pos if tok.start_pos is not None else pos
        end = tok.end_pos if tok.end_pos is not None else start + 1
        if str(tok) == "=":
            return DslSyntaxError("unexpected '=': comparison is '=='", start, end, "write `a == b` to compare",
                                  code="E102")
        expected = sorted(_TOKEN_WORDS.get(e, e.lower()) for e in exc.expected if not e.startswith("__"))
        hint = None
        if "RPAR" in exc.expected and len(exc.expected) <= 3:
            hint = "a ')' is missing"
        elif str(tok) in ("and", "or") and "NAME" in exc.expected:
            hint = f"an operand is missing before '{tok}'"
        return DslSyntaxError(
            f"unexpected {_describe(tok)}" + (f" (expected one of: {', '.join(expected[:8])})" if expected else ""),
            start, end, hint, code="E101",
        )
    return DslSyntaxError(str(exc), pos, pos + 1)


def _word_start(text: str, pos: int) -> int:
    while pos > 0 and text[pos - 1].isalnum():
        pos -= 1
    return pos


def parse(text: str) -> A.Node:
    """Parse one expression; raises DslSyntaxError with offsets into `text`."""
    if not text.strip():
        raise DslSyntaxError("the condition is empty", 0, 1, code="E106")
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        return _ToAst().transform(tree)
    except Exception as exc:  # lark wraps transformer errors
        inner = getattr(exc, "orig_exc", exc)
        if isinstance(inner, DslSyntaxError):
            raise inner from None
        raise


# ---- message and fix templates -------------------------------------------------------------------------------

@dataclass
class TemplatePart:
    text: str | None  # literal text, or None for a placeholder
    expr: str | None = None
    start: int = 0  # offset of the placeholder's expression in the template
    node: A.Node | None = None


def parse_template(text: str) -> list[TemplatePart]:
    """Split `Line {line.number}: ...` into literal text and placeholders; `{{` and `}}` are literal braces."""
    parts: list[TemplatePart] = []
    buf: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and i + 1 < n and text[i + 1] == "{":
            buf.append("{")
            i += 2
            continue
        if ch == "}" and i + 1 < n and text[i + 1] == "}":
            buf.append("}")
            i += 2
            continue
        if ch == "{":
            close = text.find("}", i + 1)
            if close < 0:
                raise DslSyntaxError("'{' is not closed", i, n, "close the placeholder with '}' or write '{{' for a brace",
                                     code="E107")
            inner = text[i + 1 : close]
            if buf:
                parts.append(TemplatePart("".join(buf)))
                buf = []
            try:
                node = parse(inner)
            except DslSyntaxError as exc:
                raise DslSyntaxError(exc.message, i + 1 + exc.start, i + 1 + exc.end,
                                     exc.hint or "write '{{' and '}}' for literal braces", code="E107") from None
            _shift(node, i + 1)
            parts.append(TemplatePart(None, inner, i + 1, node))
            i = close + 1
            continue
        if ch == "}":
            raise DslSyntaxError("unmatched '}'", i, i + 1, "write '}}' for a literal brace", code="E107")
        buf.append(ch)
        i += 1
    if buf:
        parts.append(TemplatePart("".join(buf)))
    return parts


def _shift(node: A.Node, by: int) -> None:
    for n in A.walk(node):
        n.start += by
        n.end += by
        if isinstance(n, A.Attr):
            n.name_start += by
        if isinstance(n, A.Quant):
            n.var_start += by
