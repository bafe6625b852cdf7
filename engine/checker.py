"""Check stage: turn a validated YAML document into a `Pack` whose expressions are parsed, name-resolved and
typed, collecting every error (with file:line:col and a caret) instead of stopping at the first."""

from __future__ import annotations

import difflib
import hashlib
import re
from datetime import date
from typing import Any

from .dsl import ast as A
from .dsl import types as TY
from .dsl.parser import DslSyntaxError, TemplatePart, parse, parse_template
from .dsl.types import FUNCS, GLOBALS, RECORDS, SCOPE_VARS, T
from .loader import Document, Path_
from .ruleset import Expr, Pack, Param, Predicate, Rule
from .runtime import CodeSet, parse_code_item
from .source import Diagnostic, make_diag

PARAM_TYPES = {"int": TY.NUM, "number": TY.NUM, "string": TY.STR, "date": TY.DATE, "bool": TY.BOOL,
               "codes": TY.CODESET}
_PRED_KEY = re.compile(r"^([a-z_][a-z0-9_]*)\s*(?:\((.*)\))?$")


def _suggest(name: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(name, options, n=3, cutoff=0.6)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None


class Scope:
    """Names visible at a point: a chain of frames (locals over lets over scope variables over globals)."""

    def __init__(self, names: dict[str, tuple[str, T]], parent: Scope | None = None) -> None:
        self.names = names
        self.parent = parent

    def get(self, name: str) -> tuple[str, T] | None:
        s: Scope | None = self
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        return None

    def all_names(self) -> list[str]:
        out: list[str] = []
        s: Scope | None = self
        while s is not None:
            out.extend(s.names)
            s = s.parent
        return out

    def child(self, names: dict[str, tuple[str, T]]) -> Scope:
        return Scope(names, self)


def _clone(node: A.Node, subst: dict[str, A.Node]) -> A.Node:
    """Copy a predicate body, replacing its parameter names by the call's argument nodes."""
    if isinstance(node, A.Name) and node.id in subst and not getattr(node, "bound_local", False):
        return subst[node.id]
    new = object.__new__(type(node))
    new.__dict__.update(node.__dict__)
    for key, value in node.__dict__.items():
        if isinstance(value, A.Node):
            setattr(new, key, _clone(value, subst))
        elif isinstance(value, list) and value and isinstance(value[0], A.Node):
            setattr(new, key, [_clone(v, subst) for v in value])
    if isinstance(node, A.Quant) and node.var in subst:
        inner = {k: v for k, v in subst.items() if k != node.var}
        new.coll = _clone(node.coll, subst)
        new.cond = _clone(node.cond, inner) if node.cond is not None else None
        new.value = _clone(node.value, inner) if node.value is not None else None
    return new


def set_src(node: A.Node, expr: Expr) -> None:
    for n in A.walk(node):
        if not hasattr(n, "src"):
            n.src = expr  # type: ignore[attr-defined]


class PackChecker:
    def __init__(self, doc: Document, known_rule_ids: set[str] | None = None) -> None:
        self.doc = doc
        self.diags: list[Diagnostic] = []
        self.data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
        self.known_rule_ids = known_rule_ids if known_rule_ids is not None else set()
        self.pack: Pack | None = None
        self._expanding: list[str] = []
        self._tables_used: set[str] = set()
        self._witnesses: dict[str, T] = {}

    # ---- diagnostics ---------------------------------------------------------------------------------------------

    def error(self, code: str, message: str, expr: Expr, node: A.Node | None = None, hint: str | None = None,
              start: int | None = None, end: int | None = None, severity: str = "error") -> None:
        if node is not None:
            expr = getattr(node, "src", expr)
            start, end = node.start, node.end
        pos = expr.position(start or 0, end)
        self.diags.append(make_diag(code, message, self.doc.source, pos, hint, severity))

    def _expr(self, path: Path_, label: str) -> Expr | None:
        text = self._get(path)
        if not isinstance(text, str):
            return None
        where = self.doc.scalar(path)
        expr = Expr(text, None, where, label, self.doc.position(path))
        try:
            expr.node = parse(text)
        except DslSyntaxError as exc:
            self.error(exc.code, exc.message, expr, start=exc.start, end=exc.end, hint=exc.hint)
            return expr
        set_src(expr.node, expr)
        return expr

    def _get(self, path: Path_) -> Any:
        cur: Any = self.data
        for p in path:
            try:
                cur = cur[p]
            except (KeyError, IndexError, TypeError):
                return None
        return cur

    # ---- pack ----------------------------------------------------------------------------------------------------

    def build(self) -> Pack:
        meta = self.data.get("pack") or {}
        sha = hashlib.sha256(self.doc.source.text.encode("utf-8")).hexdigest()
        pack = Pack(str(meta.get("name", "unnamed")), str(meta.get("version", "0")), str(meta.get("description", "")),
                    self.doc.source.path, self.doc, sha)
        self.pack = pack
        for name, spec in (self.data.get("parameters") or {}).items():
            if isinstance(spec, dict):
                self._param(pack, name, spec)
        for name, items in (self.data.get("sets") or {}).items():
            pack.sets[name] = self._set(name, items)
        pack.tables = {k: str(v) for k, v in (self.data.get("tables") or {}).items()}
        for key in self.data.get("predicates") or {}:
            self._predicate_def(pack, key)
        for i, raw in enumerate(self.data.get("rules") or []):
            if isinstance(raw, dict):
                rule = self._rule(pack, i, raw)
                if rule is not None:
                    pack.rules.append(rule)
        return pack

    def _param(self, pack: Pack, name: str, spec: dict[str, Any]) -> None:
        ptype = spec.get("type", "string")
        default = spec.get("default")
        ok = {
            "int": isinstance(default, int) and not isinstance(default, bool),
            "number": isinstance(default, int | float) and not isinstance(default, bool),
            "string": isinstance(default, str),
            "bool": isinstance(default, bool),
            "date": isinstance(default, str) and bool(re.match(r"^\d{4}-\d{2}-\d{2}$", default)),
            "codes": isinstance(default, list) and all(isinstance(x, str) for x in default),
        }.get(ptype, False)
        if not ok:
            self.diags.append(self.doc.diag("E215", f"default of parameter {name!r} is not a {ptype}",
                                            ("parameters", name, "default")))
        pack.params[name] = Param(name, ptype, coerce_param(ptype, default) if ok else None,
                                  str(spec.get("description", "")))

    def _set(self, name: str, items: Any, path: Path_ | None = None) -> CodeSet:
        exact, prefixes, ranges = [], [], []
        for i, item in enumerate(items or []):
            if not isinstance(item, str):
                self.diags.append(self.doc.diag("E216", f"set {name!r} item is not a code string", ("sets", name, i),
                                                'quote codes: "0001A"'))
                continue
            kind, value = parse_code_item(item)
            if kind == "range":
                lo, hi = value  # type: ignore[misc]
                if len(lo) != len(hi) or lo > hi:
                    self.diags.append(self.doc.diag("E210", f"bad range {item!r}: ends must have the same length "
                                                    "and low <= high", ("sets", name, i)))
                    continue
                ranges.append((lo, hi))
            elif kind == "prefix":
                prefixes.append(value)
            else:
                exact.append(value)
        return CodeSet(exact, prefixes, ranges, name=name)

    def _predicate_def(self, pack: Pack, key: str) -> None:
        m = _PRED_KEY.match(key.strip())
        path = ("predicates", key)
        if not m:
            self.diags.append(self.doc.diag("E212", f"bad predicate name {key!r}", path, "write `name(a, b): condition`",
                                            key=True))
            return
        name = m.group(1)
        params = [p.strip() for p in (m.group(2) or "").split(",") if p.strip()]
        if name in FUNCS or name in GLOBALS or name in TY.KEYWORDS:
            self.diags.append(self.doc.diag("E211", f"predicate {name!r} hides a built-in name", path, key=True))
            return
        expr = self._expr(path, f"predicate {name}")
        if expr is None:
            return
        pack.predicates[name] = Predicate(name, params, expr, self.doc.position(path, key=True))

    def _rule(self, pack: Pack, i: int, raw: dict[str, Any]) -> Rule | None:
        base: Path_ = ("rules", i)
        rid = str(raw.get("id", f"#{i}"))
        if rid in self.known_rule_ids:
            self.diags.append(self.doc.diag("E209", f"duplicate rule id {rid!r}", base + ("id",),
                                            "rule ids must be unique across the rule set"))
        self.known_rule_ids.add(rid)
        scope = raw.get("scope", "claim")
        if scope not in SCOPE_VARS:
            return None
        self._tables_used = set()
        self._witnesses = {}
        env = Scope({k: ("global", t) for k, t in GLOBALS.items()})
        env = env.child({k: ("scope", t) for k, t in SCOPE_VARS[scope].items()})
        lets: list[tuple[str, Expr]] = []
        let_names: dict[str, tuple[str, T]] = {}
        for name in raw.get("let") or {}:
            path = base + ("let", name)
            expr = self._expr(path, f"{rid} let {name}")
            if not re.match(r"^[a-z_][a-z0-9_]*$", str(name)) or name in TY.KEYWORDS:
                self.diags.append(self.doc.diag("E219", f"bad let name {name!r}", path, "use lower_case names",
                                                key=True))
                continue
            if env.get(name) is not None or name in let_names:
                self.diags.append(self.doc.diag("E211", f"let {name!r} hides another name", path, key=True))
            if expr is None or expr.node is None:
                continue
            expr.node = self.check(expr.node, env.child(dict(let_names)), expr)
            let_names[name] = ("let", getattr(expr.node, "type", TY.ANY))
            lets.append((name, expr))
        env = env.child(let_names)
        when = self._expr(base + ("when",), f"{rid} when")
        if when is not None and when.node is not None:
            when.node = self.check(when.node, env, when)
            t: T = getattr(when.node, "type", TY.ANY)
            if t.kind not in ("bool", "any"):
                self.error("E214", f"the condition is a {t}, not true/false", when, when.node,
                           "compare it with something, e.g. `... > 0` or `... is not null`")
        witnesses = dict(self._witnesses)
        tmpl_env = env.child({k: ("witness", t) for k, t in witnesses.items()})
        message, msg_src = self._template(base + ("message",), rid, tmpl_env)
        fix, fix_src = ([], None)
        if "fix" in raw:
            fix, fix_src = self._template(base + ("fix",), rid, tmpl_env)
        eff = raw.get("effective") or {}
        eff_from = self._date(eff.get("from"), base + ("effective", "from"))
        eff_to = self._date(eff.get("to"), base + ("effective", "to"))
        if eff_from and eff_to and eff_from > eff_to:
            self.diags.append(self.doc.diag("E217", "effective `from` is after `to`", base + ("effective",)))
        if when is None:
            return None
        rule = Rule(
            id=rid, title=str(raw.get("title", "")), category=str(raw.get("category", "")),
            severity=str(raw.get("severity", "error")), scope=scope, when=when, lets=lets, message=message,
            message_src=msg_src, fix=fix, fix_src=fix_src, denial=raw.get("denial"), source=str(raw.get("source", "")),
            effective_from=eff_from, effective_to=eff_to, tags=list(raw.get("tags") or []),
            examples=list(raw.get("examples") or []), pack=pack, position=self.doc.position(base + ("id",)),
            tables=set(self._tables_used), witnesses=witnesses, raw=raw,
        )
        return rule

    def _date(self, value: Any, path: Path_) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.diags.append(self.doc.diag("E217", f"not a date: {value!r}", path, "write YYYY-MM-DD"))
            return None

    def _template(self, path: Path_, rid: str, env: Scope) -> tuple[list[TemplatePart], Expr]:
        text = self._get(path)
        where = self.doc.scalar(path)
        src = Expr(text if isinstance(text, str) else "", None, where, f"{rid} {path[-1]}", self.doc.position(path))
        if not isinstance(text, str):
            return [], src
        try:
            parts = parse_template(text)
        except DslSyntaxError as exc:
            self.error(exc.code, exc.message, src, start=exc.start, end=exc.end, hint=exc.hint)
            return [TemplatePart(text)], src
        for part in parts:
            if part.node is not None:
                set_src(part.node, src)
                before = len(self.diags)
                part.node = self.check(part.node, env, src)
                for d in self.diags[before:]:
                    if d.code == "E201":
                        d.code = "E213"
                        d.hint = (d.hint + "; " if d.hint else "") + "write {{ and }} for literal braces"
        return parts, src

    # ---- expressions ---------------------------------------------------------------------------------------------

    def check(self, node: A.Node, env: Scope, expr: Expr) -> A.Node:
        """Resolve and type a node; returns the node to use (predicate calls are replaced by expansions)."""
        if getattr(node, "checked", False):
            return node
        method = getattr(self, "_c_" + type(node).__name__)
        result = method(node, env, expr)
        result.checked = True  # type: ignore[attr-defined]
        if not hasattr(result, "type"):
            result.type = TY.ANY  # type: ignore[attr-defined]
        return result

    def _t(self, node: A.Node) -> T:
        return getattr(node, "type", TY.ANY)

    def _c_Literal(self, node: A.Literal, env: Scope, expr: Expr) -> A.Node:
        node.type = {"str": TY.STR, "num": TY.NUM, "bool": TY.BOOL, "null": TY.NULL, "date": TY.DATE}[node.kind]
        return node

    def _c_Name(self, node: A.Name, env: Scope, expr: Expr) -> A.Node:
        found = env.get(node.id)
        if found is not None:
            node.ref, node.type = found  # type: ignore[attr-defined]
            return node
        pack = self.pack
        if pack and node.id in pack.sets:
            node.ref, node.type = "set", TY.CODESET  # type: ignore[attr-defined]
            return node
        if pack and node.id in pack.predicates and not pack.predicates[node.id].params:
            return self._expand(A.Call(node.start, node.end, node.id, []), env, expr, node)
        if node.id == "param":
            self.error("E206", "`param` needs a parameter name: param.NAME", expr, node)
            return node
        options = env.all_names() + (list(pack.sets) if pack else []) + ["param"]
        hint = _suggest(node.id, options)
        if node.id in FUNCS:
            hint = f"{node.id} is a function: call it as {node.id}(...)"
        self.error("E201", f"unknown name {node.id!r}", expr, node, hint)
        return node

    def _c_Attr(self, node: A.Attr, env: Scope, expr: Expr) -> A.Node:
        if isinstance(node.obj, A.Name) and node.obj.id == "param" and env.get("param") is None:
            pack = self.pack
            if pack and node.name in pack.params:
                node.ref = "param"  # type: ignore[attr-defined]
                node.type = PARAM_TYPES.get(pack.params[node.name].type, TY.ANY)  # type: ignore[attr-defined]
            else:
                hint = _suggest(node.name, list(pack.params) if pack else [])
                self.error("E206", f"unknown parameter {node.name!r}", expr, None, hint or
                           "declare it under `parameters:` in the pack", start=node.name_start, end=node.end)
            node.obj.checked = True  # type: ignore[attr-defined]
            node.obj.type = TY.ANY  # type: ignore[attr-defined]
            return node
        node.obj = self.check(node.obj, env, expr)
        ot = self._t(node.obj)
        if ot.kind == "any":
            node.type = TY.ANY  # type: ignore[attr-defined]
            return node
        if ot.kind != "record":
            hint = None
            if ot.kind == "list":
                hint = f"{expr.snippet(node.obj)} is a list: use any(x in {expr.snippet(node.obj)} where x.{node.name} ...)"
            self.error("E202", f"{ot} has no field {node.name!r}", expr, None, hint, start=node.name_start,
                       end=node.end)
            return node
        ft = TY.field_type(ot.record or "", node.name)
        if ft is None:
            fields = list(RECORDS[ot.record or ""].fields)
            self.error("E202", f"unknown field {node.name!r} on {ot.record}", expr, None,
                       _suggest(node.name, fields) or f"fields: {', '.join(fields)}", start=node.name_start,
                       end=node.end)
            return node
        node.type = ft.opt() if ot.nullable else ft  # type: ignore[attr-defined]
        return node

    def _c_Index(self, node: A.Index, env: Scope, expr: Expr) -> A.Node:
        node.obj = self.check(node.obj, env, expr)
        node.index = self.check(node.index, env, expr)
        ot = self._t(node.obj)
        if ot.kind not in ("list", "any"):
            self.error("E205", f"cannot index a {ot}", expr, node)
        if not TY.is_numeric(self._t(node.index)):
            self.error("E205", "an index must be a number (1 is the first item)", expr, node.index)
        node.type = (ot.elem or TY.ANY).opt() if ot.kind == "list" else TY.ANY  # type: ignore[attr-defined]
        return node

    def _c_Call(self, node: A.Call, env: Scope, expr: Expr) -> A.Node:
        pack = self.pack
        if pack and node.func in pack.predicates:
            return self._expand(node, env, expr, node)
        func = FUNCS.get(node.func)
        if func is None:
            options = list(FUNCS) + (list(pack.predicates) if pack else [])
            self.error("E203", f"unknown function {node.func!r}", expr, None, _suggest(node.func, options),
                       start=node.start, end=node.start + len(node.func))
            node.args = [self.check(a, env, expr) for a in node.args]
            return node
        n = len(node.args)
        lo, hi = len(func.params) - func.optional, len(func.params)
        if not lo <= n <= hi:
            want = f"{lo}" if lo == hi else f"{lo} to {hi}"
            self.error("E204", f"{func.name}() takes {want} argument{'s' if hi != 1 else ''}, got {n}", expr, node,
                       func.doc)
        node.args = [self.check(a, env, expr) for a in node.args]
        for arg, pt in zip(node.args, func.params, strict=False):
            at = self._t(arg)
            if not TY.compatible(at, pt) or (pt.kind != "any" and at.kind == "null"):
                hint = None
                if pt.kind == "str" and at.kind == "num" and isinstance(arg, A.Literal):
                    hint = f'codes are strings: write "{expr.snippet(arg)}"'
                self.error("E205", f"{func.name}() expects a {pt} here, got a {at}", expr, arg, hint)
        if func.table:
            kind = func.table
            if kind == "csv":
                kind = self._table_name(node, expr)
            if kind:
                self._tables_used.add(kind)
        if func.name == "matches" and len(node.args) == 2:
            self._check_pattern(node.args[1], expr)
        if func.name == "coalesce" and node.args:
            node.type = self._t(node.args[0]).opt(False)  # type: ignore[attr-defined]
        else:
            node.type = func.result  # type: ignore[attr-defined]
        return node

    def _check_pattern(self, arg: A.Node, expr: Expr) -> None:
        """A regular expression is a quoted string checked now, so a bad one fails at load, not mid-batch."""
        if not (isinstance(arg, A.Literal) and arg.kind == "str"):
            self.error("E220", "matches() needs the pattern as a quoted string", expr, arg,
                       'write the regular expression itself, e.g. matches(line.ndc, "[0-9]{11}")')
            return
        try:
            re.compile(str(arg.value))
        except re.error as exc:
            self.error("E220", f"bad regular expression: {exc.msg}" + (f" at position {exc.pos}" if exc.pos is not None else ""),
                       expr, arg, "Python re syntax; the whole text must match (use .* for 'contains')")

    def _table_name(self, node: A.Call, expr: Expr) -> str | None:
        first = node.args[0] if node.args else None
        if not (isinstance(first, A.Literal) and first.kind == "str"):
            self.error("E208", f"{node.func}() needs the table name as a quoted string", expr, first or node)
            return None
        pack = self.pack
        if pack is not None and first.value not in pack.tables:
            self.error("E208", f"unknown table {first.value!r}", expr, first,
                       _suggest(first.value, list(pack.tables)) or "declare it under `tables:` in the pack")
        return f"csv:{first.value}"

    def _expand(self, node: A.Call, env: Scope, expr: Expr, at: A.Node) -> A.Node:
        assert self.pack is not None
        pred = self.pack.predicates[node.func]
        if len(node.args) != len(pred.params):
            self.error("E204", f"predicate {pred.name}() takes {len(pred.params)} argument(s), got {len(node.args)}",
                       expr, at)
            return node
        if pred.name in self._expanding:
            self.error("E212", f"predicate {pred.name!r} refers to itself", expr, at)
            return node
        if pred.body.node is None:
            node.type = TY.BOOL  # type: ignore[attr-defined]
            return node
        args = [self.check(a, env, expr) for a in node.args]
        body = _clone(pred.body.node, dict(zip(pred.params, args, strict=True)))
        self._expanding.append(pred.name)
        globals_only = Scope({k: ("global", t) for k, t in GLOBALS.items()})
        try:
            body = self.check(body, globals_only, pred.body)
        finally:
            self._expanding.pop()
        call = A.PredicateCall(node.start, node.end, pred.name, args, body, pred)
        call.src = getattr(node, "src", expr)  # type: ignore[attr-defined]
        call.type = self._t(body)  # type: ignore[attr-defined]
        return call

    def _c_PredicateCall(self, node: A.PredicateCall, env: Scope, expr: Expr) -> A.Node:
        return node

    def _c_Neg(self, node: A.Neg, env: Scope, expr: Expr) -> A.Node:
        node.operand = self.check(node.operand, env, expr)
        if not TY.is_numeric(self._t(node.operand)):
            self.error("E205", f"cannot negate a {self._t(node.operand)}", expr, node.operand)
        node.type = self._t(node.operand)  # type: ignore[attr-defined]
        return node

    def _c_Not(self, node: A.Not, env: Scope, expr: Expr) -> A.Node:
        node.operand = self.check(node.operand, env, expr)
        self._want_bool(node.operand, expr)
        node.type = TY.BOOL  # type: ignore[attr-defined]
        return node

    def _want_bool(self, node: A.Node, expr: Expr) -> None:
        t = self._t(node)
        if t.kind not in ("bool", "any"):
            self.error("E205", f"expected true/false, got a {t}", expr, node,
                       "compare it, e.g. `... > 0`, `... is not null`, `... in {...}`")

    def _c_Cond(self, node: A.Cond, env: Scope, expr: Expr) -> A.Node:
        node.test = self.check(node.test, env, expr)
        self._want_bool(node.test, expr)
        node.then = self.check(node.then, env, expr)
        node.orelse = self.check(node.orelse, env, expr)
        a, b = self._t(node.then), self._t(node.orelse)
        if not TY.compatible(a, b):
            self.error("E205", f"the branches of if/then/else differ: a {a} and a {b}", expr, node,
                       "both branches must give the same kind of value (a null branch is fine)")
            node.type = TY.ANY  # type: ignore[attr-defined] - one error, not a cascade
            return node
        base = b if a.kind == "null" else a
        node.type = base if base.kind in ("any", "null") else base.opt(a.nullable or b.nullable or "null" in (a.kind, b.kind))  # type: ignore[attr-defined]
        return node

    def _c_BoolOp(self, node: A.BoolOp, env: Scope, expr: Expr) -> A.Node:
        node.values = [self.check(v, env, expr) for v in node.values]
        for v in node.values:
            self._want_bool(v, expr)
        node.type = TY.BOOL  # type: ignore[attr-defined]
        return node

    def _c_BinOp(self, node: A.BinOp, env: Scope, expr: Expr) -> A.Node:
        node.left = self.check(node.left, env, expr)
        node.right = self.check(node.right, env, expr)
        lt, rt = self._t(node.left), self._t(node.right)
        nullable = lt.nullable or rt.nullable
        result: T | None = None
        if lt.kind == "any" or rt.kind == "any":
            result = TY.ANY
        elif lt.kind == "num" and rt.kind == "num":
            result = TY.NUM
        elif lt.kind == "date" and rt.kind == "num" and node.op in "+-":
            result = TY.DATE
        elif lt.kind == "date" and rt.kind == "date" and node.op == "-":
            result = TY.NUM
        elif lt.kind == "str" and rt.kind == "str" and node.op == "+":
            result = TY.STR
        if result is None:
            self.error("E205", f"cannot apply {node.op!r} to a {lt} and a {rt}", expr, node,
                       "dates take + and - with a number of days; date - date is days between" if "date" in
                       (lt.kind, rt.kind) else None)
            result = TY.ANY
        node.type = result.opt(nullable or node.op in ("/", "%")) if result.kind != "any" else result  # type: ignore
        return node

    def _c_Compare(self, node: A.Compare, env: Scope, expr: Expr) -> A.Node:
        node.left = self.check(node.left, env, expr)
        node.right = self.check(node.right, env, expr)
        lt, rt = self._t(node.left), self._t(node.right)
        node.type = TY.BOOL  # type: ignore[attr-defined]
        if node.op in ("in", "not in"):
            if rt.kind == "set":
                if lt.kind not in ("str", "any", "null"):
                    self.error("E205", f"a code set holds codes (strings), not a {lt}", expr, node.left)
            elif rt.kind == "list":
                if not TY.compatible(lt, rt.elem or TY.ANY):
                    self.error("E205", f"a {lt} is never in a {rt}", expr, node, self._code_hint(node, expr))
            elif rt.kind == "str":
                self.error("E205", "`in` a text is not supported", expr, node.right,
                           "use startswith(text, prefix) or a code set with a pattern: {\"J*\"}")
            elif rt.kind != "any":
                self.error("E205", f"`in` needs a code set or a list on the right, got a {rt}", expr, node.right)
            return node
        if lt.kind == "null" or rt.kind == "null":
            self.error("E205", f"comparing with null using {node.op!r} is never true", expr, node,
                       "write `x is null` or `x is not null`")
            return node
        if not TY.compatible(lt, rt):
            self.error("E205", f"cannot compare a {lt} with a {rt}", expr, node, self._code_hint(node, expr))
            return node
        if node.op not in ("==", "!=") and lt.kind not in ("num", "date", "str", "any"):
            self.error("E205", f"{node.op!r} needs numbers, dates or text, got a {lt}", expr, node)
        return node

    def _code_hint(self, node: A.Compare, expr: Expr) -> str | None:
        for side in (node.left, node.right):
            if isinstance(side, A.Literal) and side.kind == "num":
                return f'codes are strings: write "{expr.snippet(side)}"'
        return None

    def _c_IsNull(self, node: A.IsNull, env: Scope, expr: Expr) -> A.Node:
        node.operand = self.check(node.operand, env, expr)
        node.type = TY.BOOL  # type: ignore[attr-defined]
        return node

    def _c_Between(self, node: A.Between, env: Scope, expr: Expr) -> A.Node:
        node.operand = self.check(node.operand, env, expr)
        node.low = self.check(node.low, env, expr)
        node.high = self.check(node.high, env, expr)
        ts = [self._t(n) for n in (node.operand, node.low, node.high)]
        kinds = {t.kind for t in ts} - {"any"}
        if len(kinds) > 1 or (kinds and kinds.pop() not in ("num", "date", "str")):
            self.error("E205", "between needs three numbers or three dates", expr, node)
        node.type = TY.BOOL  # type: ignore[attr-defined]
        return node

    def _c_Has(self, node: A.Has, env: Scope, expr: Expr) -> A.Node:
        node.subject = self.check(node.subject, env, expr)
        node.value = self.check(node.value, env, expr)
        st, vt = self._t(node.subject), self._t(node.value)
        if st.kind not in ("any",) and not (st.kind == "record" and st.record == "line"):
            self.error("E205", f"`has modifier` applies to a service line, not a {st}", expr, node.subject)
        if node.mode == "one" and vt.kind not in ("str", "any"):
            self.error("E205", f"`has modifier` needs one modifier (a string), got a {vt}", expr, node.value,
                       "for several, write `has any modifier in {...}`")
        if node.mode != "one" and vt.kind not in ("set", "list", "any"):
            self.error("E205", f"`has {node.mode} modifier in` needs a set, got a {vt}", expr, node.value)
        node.type = TY.BOOL  # type: ignore[attr-defined]
        return node

    def _c_SetLit(self, node: A.SetLit, env: Scope, expr: Expr) -> A.Node:
        for i, item in enumerate(node.items):
            if isinstance(item, A.CodeRange):
                if len(item.low) != len(item.high) or item.low > item.high:
                    self.error("E210", f"bad range {item.low!r}..{item.high!r}: ends must have the same length and "
                               "low <= high", expr, item)
                item.checked = True  # type: ignore[attr-defined]
            elif isinstance(item, A.Literal):
                if item.kind != "str":
                    self.error("E216", f"a code set holds codes (strings), not {expr.snippet(item)}", expr, item,
                               f'write "{expr.snippet(item)}"')
                item.type = TY.STR  # type: ignore[attr-defined]
                item.checked = True  # type: ignore[attr-defined]
            elif isinstance(item, A.Name):
                node.items[i] = self.check(item, env, expr)
                t = self._t(node.items[i])
                if t.kind not in ("set", "any"):
                    self.error("E207", f"{item.id!r} is not a named set", expr, item)
        node.type = TY.CODESET  # type: ignore[attr-defined]
        return node

    def _c_ListLit(self, node: A.ListLit, env: Scope, expr: Expr) -> A.Node:
        node.items = [self.check(i, env, expr) for i in node.items]
        kinds = {self._t(i).kind for i in node.items}
        elem = self._t(node.items[0]) if len(kinds) == 1 else TY.ANY
        node.type = TY.list_of(elem)  # type: ignore[attr-defined]
        return node

    def _c_Quant(self, node: A.Quant, env: Scope, expr: Expr) -> A.Node:
        node.coll = self.check(node.coll, env, expr)
        ct = self._t(node.coll)
        elem = TY.ANY
        if ct.kind == "list":
            elem = ct.elem or TY.ANY
        elif ct.kind == "set":
            elem = TY.STR
        elif ct.kind != "any":
            self.error("E205", f"{node.kind}() needs a list to go over, got a {ct}", expr, node.coll)
        if env.get(node.var) is not None and env.get(node.var)[0] in ("scope", "global", "let"):  # type: ignore
            self.error("E211", f"{node.var!r} hides another name", expr, None, "pick another name",
                       start=node.var_start, end=node.var_start + len(node.var))
        inner = env.child({node.var: ("local", elem)})
        if node.cond is not None:
            node.cond = self.check(node.cond, inner, expr)
            self._want_bool(node.cond, expr)
        if node.value is not None:
            node.value = self.check(node.value, inner, expr)
            if not TY.is_numeric(self._t(node.value)):
                self.error("E205", f"sum() adds numbers, not a {self._t(node.value)}", expr, node.value)
        if node.kind == "any":
            self._witnesses.setdefault(node.var, elem)
        node.type = TY.NUM if node.kind in ("count", "sum") else TY.BOOL  # type: ignore[attr-defined]
        return node

    def _c_CodeRange(self, node: A.CodeRange, env: Scope, expr: Expr) -> A.Node:
        return node


def coerce_param(ptype: str, value: Any) -> Any:
    from decimal import Decimal

    if value is None:
        return None
    if ptype == "date":
        return date.fromisoformat(str(value))
    if ptype == "number":
        return Decimal(str(value))
    if ptype == "codes":
        exact, prefixes, ranges = [], [], []
        for item in value:
            kind, v = parse_code_item(item)
            {"exact": exact, "prefix": prefixes, "range": ranges}[kind].append(v)
        return CodeSet(exact, prefixes, ranges)
    return value


def check_document(doc: Document, known_rule_ids: set[str] | None = None) -> tuple[Pack, list[Diagnostic]]:
    checker = PackChecker(doc, known_rule_ids)
    pack = checker.build()
    return pack, checker.diags


__all__ = ["check_document", "coerce_param", "PackChecker", "TemplatePart"]
