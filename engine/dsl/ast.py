"""AST of the condition language. Every node keeps its [start, end) offsets in the expression text, so the
checker, the explainer and runtime errors can point at the exact characters inside the YAML file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Node:
    start: int
    end: int

    def children(self) -> list[Node]:
        return []


@dataclass(eq=False)
class Literal(Node):
    value: Any
    kind: str  # str, num, money, bool, null, date


@dataclass(eq=False)
class Name(Node):
    id: str


@dataclass(eq=False)
class Attr(Node):
    obj: Node
    name: str
    name_start: int = 0

    def children(self) -> list[Node]:
        return [self.obj]


@dataclass(eq=False)
class Index(Node):
    obj: Node
    index: Node

    def children(self) -> list[Node]:
        return [self.obj, self.index]


@dataclass(eq=False)
class Call(Node):
    func: str
    args: list[Node]

    def children(self) -> list[Node]:
        return list(self.args)


@dataclass(eq=False)
class Neg(Node):
    operand: Node

    def children(self) -> list[Node]:
        return [self.operand]


@dataclass(eq=False)
class Not(Node):
    operand: Node

    def children(self) -> list[Node]:
        return [self.operand]


@dataclass(eq=False)
class BinOp(Node):
    op: str  # + - * /
    left: Node
    right: Node

    def children(self) -> list[Node]:
        return [self.left, self.right]


@dataclass(eq=False)
class BoolOp(Node):
    op: str  # and, or
    values: list[Node]

    def children(self) -> list[Node]:
        return list(self.values)


@dataclass(eq=False)
class Compare(Node):
    op: str  # == != < <= > >= in "not in"
    left: Node
    right: Node

    def children(self) -> list[Node]:
        return [self.left, self.right]


@dataclass(eq=False)
class IsNull(Node):
    operand: Node
    negated: bool

    def children(self) -> list[Node]:
        return [self.operand]


@dataclass(eq=False)
class Cond(Node):
    """`if test then a else b`: `b` when the test is false or null."""

    test: Node
    then: Node
    orelse: Node

    def children(self) -> list[Node]:
        return [self.test, self.then, self.orelse]


@dataclass(eq=False)
class Between(Node):
    operand: Node
    low: Node
    high: Node

    def children(self) -> list[Node]:
        return [self.operand, self.low, self.high]


@dataclass(eq=False)
class Has(Node):
    subject: Node
    mode: str  # one, any, none
    value: Node

    def children(self) -> list[Node]:
        return [self.subject, self.value]


@dataclass(eq=False)
class CodeRange(Node):
    low: str
    high: str


@dataclass(eq=False)
class SetLit(Node):
    items: list[Node]  # Literal(str) (a trailing * makes it a prefix), CodeRange, Name (a named set)

    def children(self) -> list[Node]:
        return list(self.items)


@dataclass(eq=False)
class ListLit(Node):
    items: list[Node]

    def children(self) -> list[Node]:
        return list(self.items)


@dataclass(eq=False)
class Quant(Node):
    kind: str  # any, all, none, count, sum
    var: str
    coll: Node
    cond: Node | None
    value: Node | None = None  # for sum: the summed expression
    var_start: int = 0

    def children(self) -> list[Node]:
        out = [self.coll]
        if self.cond is not None:
            out.append(self.cond)
        if self.value is not None:
            out.append(self.value)
        return out


@dataclass(eq=False)
class PredicateCall(Node):
    """A call of a pack-level named predicate, expanded by the checker (`body` has the arguments substituted)."""

    name: str
    args: list[Node]
    body: Node | None = None
    origin: Any = field(default=None, repr=False)  # the Expr the body came from, for positions

    def children(self) -> list[Node]:
        return [self.body] if self.body is not None else list(self.args)


def walk(node: Node):
    yield node
    for child in node.children():
        yield from walk(child)
