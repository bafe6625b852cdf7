"""Rule-set structures produced by the load, parse and check stages and consumed by the compiler."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .dsl import ast as A
from .dsl.parser import TemplatePart
from .loader import Document
from .runtime import CodeSet
from .source import Position, ScalarSource


@dataclass(eq=False)
class Expr:
    """A DSL expression with the text it came from and where that text sits in its YAML file."""

    text: str
    node: A.Node | None
    where: ScalarSource | None
    label: str
    fallback: Position | None = None

    def position(self, start: int, end: int | None = None) -> Position:
        if self.where is not None:
            return self.where.position(start, end)
        return self.fallback or Position("<expr>", 1, start + 1, (end or start + 1) + 1)

    def snippet(self, node: A.Node) -> str:
        return " ".join(self.text[node.start:node.end].split())


def src_of(node: A.Node) -> Expr:
    return node.src  # type: ignore[attr-defined]


@dataclass
class Param:
    name: str
    type: str
    default: Any
    description: str = ""


@dataclass
class Predicate:
    name: str
    params: list[str]
    body: Expr
    position: Position


@dataclass(eq=False)
class Rule:
    id: str
    title: str
    category: str
    severity: str
    scope: str
    when: Expr
    lets: list[tuple[str, Expr]]
    message: list[TemplatePart]
    message_src: Expr
    fix: list[TemplatePart]
    fix_src: Expr | None
    denial: dict[str, Any] | None
    source: str
    effective_from: date | None
    effective_to: date | None
    tags: list[str]
    examples: list[dict[str, Any]]
    pack: Pack
    position: Position
    order: int = 0
    tables: set[str] = field(default_factory=set)  # table kinds (or csv:<name>) the rule reads
    witnesses: dict[str, Any] = field(default_factory=dict)  # any-quantifier names usable in messages
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return str(self.position)


@dataclass(eq=False)
class Pack:
    name: str
    version: str
    description: str
    path: str
    doc: Document
    sha256: str
    params: dict[str, Param] = field(default_factory=dict)
    sets: dict[str, CodeSet] = field(default_factory=dict)
    predicates: dict[str, Predicate] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)


@dataclass(eq=False)
class RuleSet:
    name: str
    version: str
    packs: list[Pack]
    params: dict[str, Any] = field(default_factory=dict)  # resolved values (pack defaults + overrides)
    extra_hash: list[str] = field(default_factory=list)  # what else the result depends on (profile, tables)

    @property
    def rules(self) -> list[Rule]:
        return [r for p in self.packs for r in p.rules]

    def rule(self, rule_id: str) -> Rule | None:
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for p in sorted(self.packs, key=lambda p: p.name):
            h.update(f"pack {p.name} {p.version} {p.sha256}\n".encode())
        for k in sorted(self.params):
            h.update(f"param {k}={self.params[k]!r}\n".encode())
        for extra in self.extra_hash:
            h.update(f"{extra}\n".encode())
        return h.hexdigest()
