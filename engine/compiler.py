"""Compile stage: checked rules become one Python module, compiled once with `compile()`.

Each rule is a plain function over the claim objects (no AST walking per claim). Code sets become frozensets
or `CodeSet` constants, parameters and tables are bound as closure constants, and nullable values get the
null-aware helpers only where the checker says a value can be null. Each rule also gets an index key (the
codes, prefixes, ranges or modifiers its condition requires) so the evaluator only runs rules that can fire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import runtime as rt
from .dsl import ast as A
from .dsl.types import T
from .ruleset import Rule, RuleSet
from .source import Position

SCOPE_ARGS = {
    "claim": ("v_claim", "X"),
    "line": ("v_claim", "v_line", "X"),
    "pair": ("v_claim", "v_a", "v_b", "X"),
    "diagnosis": ("v_claim", "v_dx", "X"),
}
SCOPE_DOS = {"claim": "X.dos", "line": "v_line.service_date_from", "pair": "v_a.service_date_from",
             "diagnosis": "X.dos"}
GLOBAL_CODE = {
    "claim": "v_claim", "patient": "v_claim.patient", "subscriber": "v_claim.subscriber", "payer": "v_claim.payer",
    "provider": "v_claim.billing_provider", "rendering": "v_claim.rendering_provider", "lines": "v_claim.lines",
    "diagnoses": "v_claim.diagnoses", "as_of": "X.as_of",
}
BIN_HELPER = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod"}
CMP_HELPER = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
FILENAME = "<claimscrub-rules>"
_SLOT = re.compile("\x00(\\d+)\x00")
_LOCAL = re.compile(r"\bq_")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class IndexKey:
    """What a rule's condition requires of the keyed item: one of these codes/prefixes/ranges (or modifiers)."""

    kind: str  # code (line/pair/diagnosis item code), modifier, claim_code, claim_dx
    var: str  # which scope variable it keys: line, a, b, dx
    exact: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    ranges: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        items = sorted(self.exact)[:6] + [p + "*" for p in sorted(self.prefixes)][:3] + [
            f"{lo}..{hi}" for lo, hi in self.ranges[:3]]
        more = len(self.exact) + len(self.prefixes) + len(self.ranges) - len(items)
        what = {"modifier": "modifiers", "claim_code": "procedure codes on the claim",
                "claim_dx": "diagnosis codes on the claim"}.get(self.kind, f"{self.var}.code")
        return f"{what} in {{{', '.join(items)}{', ...' if more > 0 else ''}}}"

    def matches(self, code: str) -> bool:
        if code in self.exact:
            return True
        if any(code.startswith(p) for p in self.prefixes):
            return True
        return any(lo <= code[: len(lo)] <= hi for lo, hi in self.ranges)


@dataclass
class RuleBody:
    """One rule's compiled code, as the dispatcher inlines it: slot initialisations, `let` assignments and the
    condition expression over the scope variables (v_claim, v_line, v_a, v_b, v_dx, X)."""

    rule: Rule
    inits: list[str]
    lets: list[tuple[str, Position]]
    when: str | None  # None: the rule has no condition and never fires
    position: Position | None


@dataclass
class CompiledRules:
    source: str
    keys: list[IndexKey | None]
    line_map: dict[int, tuple[Rule, Position]]
    consts: dict[str, Any]
    bodies: list[RuleBody]


@dataclass
class DispatchPlan:
    """What the generated `fire` does: which rules it inlines per scope (unkeyed rules, run on every item), and
    which index lookups it makes for the rest."""

    inline: dict[str, list[int]]
    windows: dict[int, tuple[Any, Any]]
    claim_calls: bool
    line_calls: bool
    modifier_calls: bool
    pair_a_calls: bool  # rules keyed on a.code, or unkeyed and not inlined
    pair_b_calls: bool  # rules keyed on b.code
    dx_calls: bool


class _Gen:
    def __init__(self) -> None:
        self.consts: dict[Any, str] = {}
        self.const_values: dict[str, Any] = {}
        self.tmp = 0

    def const(self, value: Any, prefix: str) -> str:
        key = (prefix, value if not isinstance(value, rt.CodeSet) else ("cs", value.exact, value.prefixes,
                                                                          value.ranges))
        if key not in self.consts:
            name = f"{prefix}{len(self.consts)}"
            self.consts[key] = name
            self.const_values[name] = value
        return self.consts[key]

    def temp(self) -> str:
        self.tmp += 1
        return f"_t{self.tmp}"


def _t(node: A.Node) -> T:
    from .dsl.types import ANY

    return getattr(node, "type", ANY)


def _nullable(node: A.Node) -> bool:
    t = _t(node)
    return t.nullable or t.kind in ("null", "any")


class RuleCompiler:
    def __init__(self, ruleset: RuleSet, gen: _Gen) -> None:
        self.ruleset = ruleset
        self.g = gen
        self.rule: Rule | None = None
        self.iterable_depth = 0  # > 0 while compiling a quantifier's collection (no walrus allowed there)
        self.slots: list[str] = []  # table calls of the current rule, each emitted as a placeholder

    # ---- common table lookups ------------------------------------------------------------------------------------
    # A rule often reads one lookup twice (`mue(line.code) is not null and line.units > mue(line.code).value`).
    # Each lookup is emitted as a placeholder; `finish_rule` turns a lookup used more than once into a local that
    # the first evaluation fills (`(c0 if c0 is not _U else (c0 := lookup))`), so it runs once per binding.

    def slot(self, call: str) -> str:
        if self.iterable_depth or _LOCAL.search(call):  # depends on a quantifier variable: not hoistable
            return call
        self.slots.append(call)
        return f"\x00{len(self.slots) - 1}\x00"

    def finish_rule(self, lines: list[str]) -> tuple[list[str], list[str]]:
        """(local initialisations, lines with placeholders resolved)."""
        uses: dict[str, int] = {}
        for ln in lines:
            for m in _SLOT.finditer(ln):
                call = self.slots[int(m.group(1))]
                uses[call] = uses.get(call, 0) + 1
        names = {call: f"c{i}" for i, call in enumerate(c for c, n in uses.items() if n > 1)}

        def resolve(m: re.Match[str]) -> str:
            call = self.slots[int(m.group(1))]
            name = names.get(call)
            return call if name is None else f"({name} if {name} is not _U else ({name} := {call}))"

        out = [_SLOT.sub(resolve, ln) for ln in lines]
        self.slots = []
        return [f"{n} = _U" for n in names.values()], out

    # ---- sets ----------------------------------------------------------------------------------------------------

    def codeset(self, node: A.Node) -> rt.CodeSet:
        """Constant-fold a set literal or named set into one CodeSet (named sets are unioned in)."""
        assert self.rule is not None
        pack = self.rule.pack
        if isinstance(node, A.Name):
            return pack.sets[node.id]
        if isinstance(node, A.Attr) and getattr(node, "ref", None) == "param":
            value = self.ruleset.params.get(f"{pack.name}.{node.name}", pack.params[node.name].default)
            return value if isinstance(value, rt.CodeSet) else rt.CodeSet()
        assert isinstance(node, A.SetLit)
        exact, prefixes, ranges = [], [], []
        out = rt.CodeSet()
        for item in node.items:
            if isinstance(item, A.CodeRange):
                ranges.append((item.low.upper(), item.high.upper()))
            elif isinstance(item, A.Literal):
                kind, value = rt.parse_code_item(str(item.value))
                if kind == "prefix":
                    prefixes.append(value)
                elif kind == "range":
                    ranges.append(value)  # type: ignore[arg-type]
                else:
                    exact.append(value)
            elif isinstance(item, A.Name):
                out = out.union(pack.sets[item.id])
        return out.union(rt.CodeSet(exact, prefixes, ranges))

    def set_const(self, node: A.Node) -> tuple[str, bool]:
        cs = self.codeset(node)
        if cs.simple:
            return self.g.const(cs.exact, "S"), True
        return self.g.const(cs, "C"), False

    def is_static_set(self, node: A.Node) -> bool:
        return isinstance(node, A.SetLit) or getattr(node, "ref", None) in ("set", "param") and _t(node).kind == "set"

    # ---- expressions ---------------------------------------------------------------------------------------------

    def expr(self, node: A.Node) -> str:
        return getattr(self, "_e_" + type(node).__name__)(node)

    def _e_Literal(self, node: A.Literal) -> str:
        if node.kind == "date":
            return self.g.const(node.value, "D")
        if isinstance(node.value, Decimal):
            return self.g.const(node.value, "N")
        return repr(node.value)

    def _e_Name(self, node: A.Name) -> str:
        ref = getattr(node, "ref", None)
        if ref == "global":
            return GLOBAL_CODE[node.id]
        if ref == "scope":
            return f"v_{node.id}"
        if ref == "let":
            return f"l_{node.id}"
        if ref in ("local", "witness"):
            return f"q_{node.id}"
        if ref == "set":
            return self.set_const(node)[0]
        raise AssertionError(f"unresolved name {node.id}")

    def _e_Attr(self, node: A.Attr) -> str:
        if getattr(node, "ref", None) == "param":
            assert self.rule is not None
            pack = self.rule.pack
            value = self.ruleset.params.get(f"{pack.name}.{node.name}", pack.params[node.name].default)
            if isinstance(value, rt.CodeSet):
                return self.g.const(value.exact, "S") if value.simple else self.g.const(value, "C")
            return self.g.const(value, "P")
        obj = self.expr(node.obj)
        if _nullable(node.obj):
            if self.iterable_depth:  # a helper, not a walrus: no walrus in a comprehension's iterable
                return f"_rt.attr({obj}, {node.name!r})"
            ref, value = self.bind(obj)
            return f"(None if {value} is None else {ref}.{node.name})"
        return f"{obj}.{node.name}"

    def bind(self, code: str) -> tuple[str, str]:
        """(how to read it again, how to evaluate it first) for an expression used twice: a walrus temp."""
        if _IDENT.match(code):
            return code, code
        tmp = self.g.temp()
        return tmp, f"({tmp} := {code})"

    def _e_Index(self, node: A.Index) -> str:
        return f"_rt.index({self.expr(node.obj)}, {self.expr(node.index)})"

    def _e_Call(self, node: A.Call) -> str:
        args = [self.expr(a) for a in node.args]
        assert self.rule is not None
        dos = SCOPE_DOS[self.rule.scope]
        name = node.func
        if name in ("ptp", "mue"):
            want = 3 if name == "ptp" else 2
            if len(args) < want:
                args.append(dos)
            call = f"_T.{name}({', '.join(args)}, X.setting)"
        elif name in ("addon", "icd10", "excludes1", "mce"):
            want = 3 if name == "excludes1" else 2
            if len(args) < want:
                args.append(dos)
            call = f"_T.{name}({', '.join(args)})"
        elif name in ("lookup", "in_table"):
            if len(args) < 3:
                args.append(dos)
            call = f"_T.lookup({', '.join(args)})"
            if name == "in_table":
                call = f"({call} is not None)"
        else:
            if name == "len" and len(node.args) == 1 and not _nullable(node.args[0]) and \
                    _t(node.args[0]).kind in ("list", "str"):
                return f"len({args[0]})"  # the builtin: no null or code-set case to handle
            fname = {"abs": "abs_", "len": "length"}.get(name, name)
            return f"_rt.{fname}({', '.join(args)})"
        nullable_args = [a for a, n in zip(args, node.args, strict=False) if _nullable(n) and _t(n).kind == "str"]
        if nullable_args:
            guard = " or ".join(f"{a} is None" for a in nullable_args)
            fallback = "False" if name == "in_table" else "None"
            return self.slot(f"({fallback} if {guard} else {call})")
        return self.slot(call)

    def _e_PredicateCall(self, node: A.PredicateCall) -> str:
        assert node.body is not None
        return f"({self.expr(node.body)})"

    def _e_Neg(self, node: A.Neg) -> str:
        inner = self.expr(node.operand)
        return f"_rt.neg({inner})" if _nullable(node.operand) else f"(-{inner})"

    def _e_Not(self, node: A.Not) -> str:
        return f"(not {self.expr(node.operand)})"

    def _e_Cond(self, node: A.Cond) -> str:
        return f"({self.expr(node.then)} if {self.expr(node.test)} else {self.expr(node.orelse)})"

    def _e_BoolOp(self, node: A.BoolOp) -> str:
        return "(" + f" {node.op} ".join(self.expr(v) for v in node.values) + ")"

    def _e_BinOp(self, node: A.BinOp) -> str:
        left, right = self.expr(node.left), self.expr(node.right)
        plain = (not _nullable(node.left) and not _nullable(node.right) and _t(node.left).kind == "num"
                 and _t(node.right).kind == "num" and node.op not in ("/", "%"))
        if plain:
            return f"({left} {node.op} {right})"
        return f"_rt.{BIN_HELPER[node.op]}({left}, {right})"

    def _e_Compare(self, node: A.Compare) -> str:
        left = self.expr(node.left)
        if node.op in ("in", "not in"):
            if self.is_static_set(node.right):
                right, _simple = self.set_const(node.right)
            else:
                right = self.expr(node.right)
            if node.op == "in":
                if _nullable(node.right) and not self.is_static_set(node.right):
                    return f"_rt.member({left}, {right})"
                return f"({left} in {right})"
            if _nullable(node.left):
                tmp = self.g.temp()
                return f"(({tmp} := {left}) is not None and {tmp} not in {right})"
            return f"({left} not in {right})"
        right = self.expr(node.right)
        if not _nullable(node.left) and not _nullable(node.right):
            return f"({left} {node.op} {right})"
        if self.iterable_depth:
            return f"_rt.{CMP_HELPER[node.op]}({left}, {right})"
        tests = []  # null compares false: test each nullable side once, then compare inline
        if _nullable(node.left):
            left, value = self.bind(left)
            tests.append(f"{value} is not None")
        if _nullable(node.right):
            right, value = self.bind(right)
            tests.append(f"{value} is not None")
        return "(" + " and ".join([*tests, f"{left} {node.op} {right}"]) + ")"

    def _e_IsNull(self, node: A.IsNull) -> str:
        return f"({self.expr(node.operand)} is {'not ' if node.negated else ''}None)"

    def _e_Between(self, node: A.Between) -> str:
        x, lo, hi = self.expr(node.operand), self.expr(node.low), self.expr(node.high)
        if not any(_nullable(n) for n in (node.operand, node.low, node.high)):
            return f"({lo} <= {x} <= {hi})"
        return f"_rt.between({x}, {lo}, {hi})"

    def _e_Has(self, node: A.Has) -> str:
        mods = (f"({self.expr(node.subject)}.modifiers)" if not _nullable(node.subject)
                else f"(_rt.attr({self.expr(node.subject)}, 'modifiers') or ())")
        if node.mode == "one":
            return f"({self.expr(node.value)} in {mods})"
        if self.is_static_set(node.value):
            s, simple = self.set_const(node.value)
            test = f"(not {s}.isdisjoint({mods}))" if simple else f"any(_m in {s} for _m in {mods})"
        else:
            test = f"any(_m in {self.expr(node.value)} for _m in {mods})"
        return test if node.mode == "any" else f"(not {test})"

    def _e_SetLit(self, node: A.SetLit) -> str:
        return self.set_const(node)[0]

    def _e_ListLit(self, node: A.ListLit) -> str:
        return "(" + "".join(self.expr(i) + ", " for i in node.items) + ")"

    def _e_Quant(self, node: A.Quant) -> str:
        self.iterable_depth += 1
        try:
            coll = self.expr(node.coll)
        finally:
            self.iterable_depth -= 1
        if _nullable(node.coll):  # a list under a null record reads as empty
            coll = f"({coll} or ())"
        var = f"q_{node.var}"
        cond = self.expr(node.cond) if node.cond is not None else None
        if node.kind == "any":
            return f"any({cond} for {var} in {coll})" if cond else f"(len({coll}) > 0)"
        if node.kind == "all":
            return f"all({cond} for {var} in {coll})" if cond else "True"
        if node.kind == "none":
            return f"(not any({cond} for {var} in {coll}))" if cond else f"(len({coll}) == 0)"
        if node.kind == "count":
            return f"sum(1 for {var} in {coll} if {cond})" if cond else f"len({coll})"
        assert node.value is not None
        value = self.expr(node.value)
        filt = f" if {cond}" if cond else ""
        if _nullable(node.value):
            tmp = self.g.temp()
            filt = f"{filt} and ({tmp} := {value}) is not None" if cond else f" if ({tmp} := {value}) is not None"
            return f"sum({tmp} for {var} in {coll}{filt})"
        return f"sum({value} for {var} in {coll}{filt})"


# ---- index keys -------------------------------------------------------------------------------------------------

def _conjuncts(node: A.Node) -> list[A.Node]:
    if isinstance(node, A.BoolOp) and node.op == "and":
        return [c for v in node.values for c in _conjuncts(v)]
    if isinstance(node, A.PredicateCall) and node.body is not None:
        return _conjuncts(node.body)
    return [node]


def _is_code_of(node: A.Node, var: str, refs: tuple[str, ...]) -> bool:
    return (isinstance(node, A.Attr) and node.name == "code" and isinstance(node.obj, A.Name)
            and node.obj.id == var and getattr(node.obj, "ref", None) in refs)


def _key_from(node: A.Node, var: str, refs: tuple[str, ...], comp: RuleCompiler) -> IndexKey | None:
    """A key if `node` requires `var.code` to be in a static set (or `var` to have a modifier)."""
    if isinstance(node, A.Compare) and node.op == "==" and _is_code_of(node.left, var, refs) and isinstance(
            node.right, A.Literal) and node.right.kind == "str":
        return IndexKey("code", var, {node.right.value})
    if isinstance(node, A.Compare) and node.op == "in" and _is_code_of(node.left, var, refs) and comp.is_static_set(
            node.right):
        cs = comp.codeset(node.right)
        return IndexKey("code", var, set(cs.exact), set(cs.prefixes), list(cs.ranges))
    if isinstance(node, A.Has) and isinstance(node.subject, A.Name) and node.subject.id == var:
        if node.mode == "one" and isinstance(node.value, A.Literal) and node.value.kind == "str":
            return IndexKey("modifier", var, {node.value.value})
        if node.mode == "any" and comp.is_static_set(node.value):
            cs = comp.codeset(node.value)
            if cs.simple:
                return IndexKey("modifier", var, set(cs.exact))
    if isinstance(node, A.BoolOp) and node.op == "or":
        keys = [_key_from(v, var, refs, comp) for v in node.values]
        if all(k is not None and k.kind == "code" for k in keys):
            out = IndexKey("code", var)
            for k in keys:
                assert k is not None
                out.exact |= k.exact
                out.prefixes |= k.prefixes
                out.ranges += k.ranges
            return out
    return None


def index_key(rule: Rule, comp: RuleCompiler) -> IndexKey | None:
    node = rule.when.node
    if node is None:
        return None
    comp.rule = rule
    conj = _conjuncts(node)
    candidates: list[IndexKey] = []
    if rule.scope in ("line", "diagnosis"):
        var = "line" if rule.scope == "line" else "dx"
        candidates = [k for c in conj if (k := _key_from(c, var, ("scope",), comp)) is not None]
    elif rule.scope == "pair":
        candidates = [k for c in conj for v in ("a", "b") if (k := _key_from(c, v, ("scope",), comp)) is not None]
    elif rule.scope == "claim":
        for c in conj:
            if isinstance(c, A.Quant) and c.kind == "any" and c.cond is not None and isinstance(c.coll, A.Name):
                kind = {"lines": "claim_code", "diagnoses": "claim_dx"}.get(c.coll.id)
                if kind and getattr(c.coll, "ref", None) == "global":
                    for inner in _conjuncts(c.cond):
                        k = _key_from(inner, c.var, ("local",), comp)
                        if k is not None and k.kind == "code":
                            k.kind = kind
                            candidates.append(k)
    codes = [k for k in candidates if k.kind != "modifier"]
    if codes:  # the most selective code key
        return min(codes, key=lambda k: (bool(k.ranges), len(k.exact) + 50 * len(k.prefixes)))
    return candidates[0] if candidates else None


# ---- module ------------------------------------------------------------------------------------------------------

def compile_rules(ruleset: RuleSet) -> CompiledRules:
    """Generate the module source for all rules (one function each), their index keys and inlinable bodies."""
    gen = _Gen()
    comp = RuleCompiler(ruleset, gen)
    body: list[str] = []
    line_map: dict[int, tuple[Rule, Position]] = {}
    keys: list[IndexKey | None] = []
    names: list[str] = []
    bodies: list[RuleBody] = []
    for order, rule in enumerate(ruleset.rules):
        rule.order = order
        comp.rule = rule
        fname = f"r{order}_{rule.id.replace('-', '_')}"
        names.append(fname)
        args = ", ".join(SCOPE_ARGS[rule.scope])
        body.append(f"def {fname}({args}):")
        body.append(f"    # {rule.id}: {rule.title}  [{rule.location}]")
        stmts: list[tuple[str, Position]] = []
        for name, expr in rule.lets:
            if expr.node is not None:
                stmts.append((f"l_{name} = {comp.expr(expr.node)}", expr.position(0, len(expr.text))))
        when_pos = rule.when.position(0, len(rule.when.text)) if rule.when.node is not None else None
        when = comp.expr(rule.when.node) if rule.when.node is not None else None
        inits, texts = comp.finish_rule([t for t, _pos in stmts] + [when or "False"])
        lets = [(text, pos) for text, (_t0, pos) in zip(texts[:-1], stmts, strict=True)]
        body.extend("    " + i for i in inits)
        for text, pos in lets:
            line_map[len(body)] = (rule, pos)
            body.append("    " + text)
        if when_pos is not None:
            line_map[len(body)] = (rule, when_pos)
        body.append("    return " + texts[-1])
        body.append("")
        body.append("")
        keys.append(index_key(rule, comp))
        bodies.append(RuleBody(rule, inits, lets, texts[-1] if when is not None else None, when_pos))
    head = [
        "# Generated by claimscrub from the rule set below. Do not edit: edit the YAML and recompile.",
        f"# rule set {ruleset.name} {ruleset.version} sha256 {ruleset.sha256}",
        "# Module-level functions (nested ones make CPython's compile quadratic in the rule count); the tables",
        "# (_T), runtime helpers (_rt) and constants (" + (", ".join(sorted(gen.const_values)) or "none") +
        ") are this module's globals.",
    ]
    tail = [f"RULES = ({', '.join(names)}{',' if len(names) == 1 else ''})"]
    offset = len(head) + 1  # 1-based line numbers
    source = "\n".join(head + body + tail) + "\n"
    line_map = {ln + offset: v for ln, v in line_map.items()}
    return CompiledRules(source, keys, line_map, gen.const_values, bodies)


def compile_ruleset(ruleset: RuleSet) -> tuple[str, list[IndexKey | None], dict[int, tuple[Rule, Position]],
                                               dict[str, Any]]:
    """(source, index keys, line map, constants) of `compile_rules`."""
    c = compile_rules(ruleset)
    return c.source, c.keys, c.line_map, c.consts


BINDING = {"claim": "None", "line": "v_line", "pair": "(v_a, v_b)", "diagnosis": "v_dx"}


def dispatch_source(ruleset: RuleSet, compiled: CompiledRules,
                    plan: DispatchPlan) -> tuple[str, dict[int, tuple[Rule, Position | None]]]:
    """The generated `fire(v_claim, X)`: index lookups for keyed rules, unkeyed rules inlined in its loops.

    Inlining spares a call per rule and item (a PTP edit over every pair of lines, say); the functions in the
    rules module stay the reference (the interpreter is tested against them, and keyed rules call them).
    """
    out: list[str] = []
    line_map: dict[int, tuple[Rule, Position | None]] = {}

    def emit(indent: int, text: str, rule: Rule | None = None, pos: Position | None = None) -> None:
        if rule is not None:
            line_map[len(out) + 1] = (rule, pos)
        out.append("    " * indent + text)

    def calls(indent: int, entries: str, args: str, binding: str) -> None:
        emit(indent, f"for order, fn in {entries}:")
        emit(indent + 1, f"if fn({args}):")
        emit(indent + 2, f"add((order, {binding}))")

    def inline(indent: int, scope: str) -> None:
        for order in plan.inline.get(scope, []):
            b = compiled.bodies[order]
            if b.when is None:
                continue
            rule = b.rule
            emit(indent, f"# {rule.id}")
            for i in b.inits:
                emit(indent, i, rule, b.position)
            for text, pos in b.lets:
                emit(indent, text, rule, pos)
            cond = b.when
            if order in plan.windows:
                cond = f"_active(W[{order}], {SCOPE_DOS[scope]}) and {cond}"
            emit(indent, f"if {cond}:", rule, b.position)
            emit(indent + 1, f"add(({order}, {BINDING[scope]}))", rule, b.position)

    consts = sorted(compiled.consts)
    emit(0, "# Generated by claimscrub: the dispatcher of the rule set below (rules compile --show prints it).")
    emit(0, f"# rule set {ruleset.name} {ruleset.version} sha256 {ruleset.sha256}")
    emit(0, "def build_fire(" + ", ".join(["_T", "_rt", "_active", "W", "_ix", *consts]) + "):")
    emit(1, "claim_rules, line_entries, modifier_entries = _ix.claim_rules, _ix.line_entries, _ix.modifier_entries")
    emit(1, "pair_a_entries, pair_b_entries, dx_entries = _ix.pair_a_entries, _ix.pair_b_entries, _ix.dx_entries")
    emit(1, "def fire(v_claim, X):")
    emit(2, "hits = []")
    emit(2, "add = hits.append")
    emit(2, "lines = v_claim.lines")
    if plan.claim_calls:
        calls(2, "claim_rules(v_claim)", "v_claim, X", "None")
    inline(2, "claim")
    if plan.line_calls or plan.modifier_calls or plan.inline.get("line"):
        emit(2, "for v_line in lines:")
        if plan.line_calls:
            calls(3, "line_entries(v_line.code)", "v_claim, v_line, X", "v_line")
        if plan.modifier_calls:
            emit(3, "if v_line.modifiers:")
            calls(4, "modifier_entries(v_line.modifiers)", "v_claim, v_line, X", "v_line")
        inline(3, "line")
        emit(3, "pass")
    if plan.pair_a_calls or plan.pair_b_calls or plan.inline.get("pair"):
        emit(2, "if len(lines) > 1:")
        if plan.pair_b_calls:
            emit(3, "b_side = [pair_b_entries(ln.code) for ln in lines]")
        emit(3, "for v_a in lines:")
        if plan.pair_a_calls:
            emit(4, "a_rules = pair_a_entries(v_a.code)")
            if not plan.pair_b_calls and not plan.inline.get("pair"):
                emit(4, "if not a_rules:")  # nothing else runs for this a: skip its pairs
                emit(5, "continue")
        emit(4, "for j, v_b in enumerate(lines):" if plan.pair_b_calls else "for v_b in lines:")
        emit(5, "if v_b is v_a:")
        emit(6, "continue")
        if plan.pair_a_calls:
            calls(5, "a_rules", "v_claim, v_a, v_b, X", "(v_a, v_b)")
        if plan.pair_b_calls:
            calls(5, "b_side[j]", "v_claim, v_a, v_b, X", "(v_a, v_b)")
        inline(5, "pair")
    if plan.dx_calls or plan.inline.get("diagnosis"):
        emit(2, "for v_dx in v_claim.diagnoses:")
        if plan.dx_calls:
            calls(3, "dx_entries(v_dx.code)", "v_claim, v_dx, X", "v_dx")
        inline(3, "diagnosis")
        emit(3, "pass")
    emit(2, "return hits")
    emit(1, "return fire")
    return "\n".join(out) + "\n", line_map


DISPATCH_FILENAME = "<claimscrub-dispatch>"


# The only builtins generated code sees: no imports, no attribute tricks, nothing from outside the rule set.
_BUILTINS = {"any": any, "all": all, "sum": sum, "len": len, "enumerate": enumerate, "None": None, "True": True,
             "False": False}


def _exec(source: str, filename: str, names: dict[str, Any]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": _BUILTINS, "_U": rt.UNSET, **names}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code, from checked ASTs
    return namespace


def load_dispatch(source: str, consts: dict[str, Any], tables: Any, index: Any, active: Any,
                  windows: dict[int, Any]) -> Any:
    return _exec(source, DISPATCH_FILENAME, {})["build_fire"](tables, rt, active, windows, index, **consts)


def load_functions(source: str, consts: dict[str, Any], tables: Any) -> list[Any]:
    return list(_exec(source, FILENAME, {"_T": tables, "_rt": rt, **consts})["RULES"])
