"""Canonical text of condition ASTs: the readable form used by `rules doc` and `rules diff`, and the normalized
form `rules lint` compares to find duplicate conditions.

`to_text(node)` prints an expression with single spaces, double-quoted strings and only the parentheses the
grammar needs; parsing its output gives the same tree. `normalize(node)` also sorts the operands of `and`/`or`
(flattened), the items of set literals and the two sides of `==`/`!=`, expands predicates and named sets when
given, so two conditions that mean the same thing in an obvious way print the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from ..dsl import ast as A

# binding strength: higher binds tighter
_COND, _OR, _AND, _NOT, _TEST, _SUM, _PRODUCT, _UNARY, _POSTFIX = range(9)

SetResolver = Callable[[str], list[str] | None]


def _lit(value: Any, kind: str) -> str:
    if kind == "str":
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if kind == "bool":
        return "true" if value else "false"
    if kind == "null":
        return "null"
    if kind == "date" or isinstance(value, date):
        return f'date("{value.isoformat()}")'
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Printer:
    def __init__(self, normalize: bool = False, expand_predicates: bool = False,
                 sets: SetResolver | None = None) -> None:
        self.normalize = normalize
        self.expand_predicates = expand_predicates
        self.sets = sets

    def text(self, node: A.Node) -> str:
        return self._p(node)[0]

    def _wrap(self, node: A.Node, level: int) -> str:
        text, prec = self._p(node)
        return f"({text})" if prec < level else text

    def _p(self, node: A.Node) -> tuple[str, int]:  # noqa: C901 - one case per node type
        if isinstance(node, A.Literal):
            return _lit(node.value, node.kind), _POSTFIX + 1
        if isinstance(node, A.Name):
            if self.sets is not None and getattr(node, "ref", None) == "set":
                items = self.sets(node.id)
                if items is not None:
                    return "{" + ", ".join(sorted(set(items))) + "}", _POSTFIX + 1
            return node.id, _POSTFIX + 1
        if isinstance(node, A.Attr):
            return f"{self._wrap(node.obj, _POSTFIX)}.{node.name}", _POSTFIX
        if isinstance(node, A.Index):
            return f"{self._wrap(node.obj, _POSTFIX)}[{self.text(node.index)}]", _POSTFIX
        if isinstance(node, A.Call):
            return f"{node.func}({', '.join(self.text(a) for a in node.args)})", _POSTFIX + 1
        if isinstance(node, A.PredicateCall):
            if self.expand_predicates and node.body is not None:
                return self._p(node.body)
            return f"{node.name}({', '.join(self.text(a) for a in node.args)})", _POSTFIX + 1
        if isinstance(node, A.Neg):
            return f"-{self._wrap(node.operand, _UNARY)}", _UNARY
        if isinstance(node, A.Not):
            return f"not {self._wrap(node.operand, _NOT)}", _NOT
        if isinstance(node, A.BinOp):
            level = _SUM if node.op in "+-" else _PRODUCT
            return f"{self._wrap(node.left, level)} {node.op} {self._wrap(node.right, level + 1)}", level
        if isinstance(node, A.Cond):
            return (f"if {self.text(node.test)} then {self.text(node.then)} else {self._wrap(node.orelse, _COND)}",
                    _COND)
        if isinstance(node, A.BoolOp):
            level = _OR if node.op == "or" else _AND
            parts = [self._wrap(v, level + 1) for v in self._flat(node)]
            if self.normalize:
                parts = sorted(dict.fromkeys(parts))
            return f" {node.op} ".join(parts), level
        if isinstance(node, A.Compare):
            left, right = self._wrap(node.left, _SUM), self._wrap(node.right, _SUM)
            if self.normalize and node.op in ("==", "!=") and right < left:
                left, right = right, left
            return f"{left} {node.op} {right}", _TEST
        if isinstance(node, A.IsNull):
            return f"{self._wrap(node.operand, _SUM)} is {'not ' if node.negated else ''}null", _TEST
        if isinstance(node, A.Between):
            return (f"{self._wrap(node.operand, _SUM)} between {self._wrap(node.low, _SUM)} and "
                    f"{self._wrap(node.high, _SUM)}"), _TEST
        if isinstance(node, A.Has):
            verb = {"one": "has modifier", "any": "has any modifier in", "none": "has no modifier in"}[node.mode]
            return f"{self._wrap(node.subject, _SUM)} {verb} {self._wrap(node.value, _SUM)}", _TEST
        if isinstance(node, A.CodeRange):
            return f"{_lit(node.low, 'str')}..{_lit(node.high, 'str')}", _POSTFIX + 1
        if isinstance(node, A.SetLit):
            items = [self._set_item(i) for i in node.items]
            if self.normalize:
                items = sorted(dict.fromkeys(i for group in items for i in group.split(", ") if i))
            return "{" + ", ".join(items) + "}", _POSTFIX + 1
        if isinstance(node, A.ListLit):
            return f"[{', '.join(self.text(i) for i in node.items)}]", _POSTFIX + 1
        if isinstance(node, A.Quant):
            where = f" where {self.text(node.cond)}" if node.cond is not None else ""
            if node.kind == "sum":
                value = self.text(node.value) if node.value is not None else node.var
                return f"sum({value} for {node.var} in {self.text(node.coll)}{where})", _POSTFIX + 1
            return f"{node.kind}({node.var} in {self.text(node.coll)}{where})", _POSTFIX + 1
        return f"<{type(node).__name__}>", _POSTFIX + 1

    def _set_item(self, node: A.Node) -> str:
        if isinstance(node, A.Name) and self.sets is not None:
            items = self.sets(node.id)
            if items is not None:
                return ", ".join(sorted(set(items)))
        return self.text(node)

    def _flat(self, node: A.BoolOp) -> list[A.Node]:
        out: list[A.Node] = []
        for v in node.values:
            if isinstance(v, A.BoolOp) and v.op == node.op:
                out.extend(self._flat(v))
            elif (self.expand_predicates and isinstance(v, A.PredicateCall) and isinstance(v.body, A.BoolOp)
                  and v.body.op == node.op):
                out.extend(self._flat(v.body))
            else:
                out.append(v)
        return out


def to_text(node: A.Node | None) -> str:
    """Canonical readable text of a condition (predicate calls kept as calls)."""
    return Printer().text(node) if node is not None else ""


def normalize(node: A.Node | None, sets: SetResolver | None = None) -> str:
    """Normalized text: predicates expanded, and/or and set items sorted, == sides ordered, named sets inlined."""
    return Printer(normalize=True, expand_predicates=True, sets=sets).text(node) if node is not None else ""


def set_items_of(pack: Any) -> SetResolver:
    """A resolver that lists a pack's named set as quoted items (`"J*"`, `"99202".."99215"`)."""

    def resolve(name: str) -> list[str] | None:
        cs = pack.sets.get(name)
        if cs is None:
            return None
        return ([_lit(c, "str") for c in cs.exact] + [_lit(p + "*", "str") for p in cs.prefixes]
                + [f"{_lit(lo, 'str')}..{_lit(hi, 'str')}" for lo, hi in cs.ranges])

    return resolve
