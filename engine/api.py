"""The library API: load a rule set, bind it to tables, scrub claims into the output contract.

    from claimscrub.api import load_ruleset, Scrubber
    scrubber = Scrubber(load_ruleset())            # shipped rules
    report = scrubber.report(scrubber.scrub_path(Path("claims.json")))
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from . import __version__
from .checker import check_document, coerce_param
from .evaluator import Engine, RuleRuntimeError
from .inputs import InputError, InputFileError, InputItem, expand_paths, read_path
from .loader import Document, load_yaml, read_text, validate_schema
from .ruleset import Pack, RuleSet
from .source import Diagnostic, RuleSetError

RULESET_MANIFEST = "ruleset.yaml"


def default_rules_path() -> Path:
    return Path(str(resources.files("claimscrub.rules")))


def _rule_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.glob("*.yaml") if f.name != RULESET_MANIFEST))
        else:
            out.append(p)
    return out


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_files(paths: Iterable[Path]) -> tuple[list[Pack], list[Diagnostic]]:
    """Load, parse and check every pack; all diagnostics of all files are returned together."""
    packs: list[Pack] = []
    diags: list[Diagnostic] = []
    ids: set[str] = set()
    names: dict[str, str] = {}
    for path in _rule_files(paths):
        name = _display(path)
        try:
            text = read_text(path)
        except OSError as exc:
            diags.append(Diagnostic("E000", f"cannot read rule file: {exc.strerror}", None))
            continue
        doc, errs = load_yaml(name, text)
        diags.extend(errs)
        if doc is None:
            continue
        schema_errs = validate_schema(doc, "rules")
        diags.extend(schema_errs)
        if not isinstance(doc.data, dict):
            continue
        pack, errs = check_document(doc, ids)
        diags.extend(errs)
        if pack.name in names:
            diags.append(doc.diag("E011", f"pack name {pack.name!r} is also used by {names[pack.name]}",
                                  ("pack", "name")))
        names[pack.name] = name
        packs.append(pack)
    return packs, diags


def load_ruleset(paths: Iterable[Path] | None = None, params: dict[str, Any] | None = None,
                 name: str | None = None, version: str | None = None) -> RuleSet:
    """Load and check rule packs (default: the shipped ones). Raises RuleSetError with every error found."""
    paths = list(paths) if paths else [default_rules_path()]
    packs, diags = check_files(paths)
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise RuleSetError(errors)
    if not packs:
        raise RuleSetError([Diagnostic("E000", f"no rule files found in {', '.join(map(str, paths))}", None)])
    meta = _manifest(paths)
    rs = RuleSet(name or meta.get("name") or "claimscrub", version or meta.get("version") or _combined_version(packs),
                 packs)
    for pack in packs:
        for pname, p in pack.params.items():
            rs.params[f"{pack.name}.{pname}"] = p.default
    for key, value in (params or {}).items():
        set_param(rs, key, value)
    return rs


def set_param(rs: RuleSet, key: str, value: Any) -> None:
    """Set `pack.param` (or a bare `param` in every pack that declares it), coercing to the declared type."""
    hits = [(p, p.params[key.split(".")[-1]]) for p in rs.packs if key.split(".")[-1] in p.params
            and ("." not in key or key.rsplit(".", 1)[0] == p.name)]
    if not hits:
        raise KeyError(f"unknown parameter {key!r}")
    for pack, param in hits:
        rs.params[f"{pack.name}.{param.name}"] = coerce_param(param.type, value)


def _manifest(paths: list[Path]) -> dict[str, str]:
    for p in paths:
        m = p / RULESET_MANIFEST if p.is_dir() else None
        if m and m.exists():
            doc, _ = load_yaml(str(m), read_text(m))
            if doc and isinstance(doc.data, dict) and isinstance(doc.data.get("ruleset"), dict):
                return {k: str(v) for k, v in doc.data["ruleset"].items()}
    return {}


def _combined_version(packs: list[Pack]) -> str:
    return "+".join(f"{p.name}@{p.version}" for p in sorted(packs, key=lambda p: p.name))


def _claim_id_hash(claim_id: str | None) -> str | None:
    return hashlib.sha256(claim_id.encode()).hexdigest()[:16] if claim_id else None


class Scrubber:
    """Scrubs claims with one compiled rule set. Every input item yields exactly one result."""

    def __init__(self, ruleset: RuleSet, tables: Any | None = None, as_of: date | None = None,
                 show_phi: bool = False) -> None:
        self.engine = Engine(ruleset, tables, show_phi)
        self.tables = self.engine.tables
        self.ruleset = ruleset
        self.sha256 = ruleset.sha256  # of what was compiled: every result of this scrubber carries it
        self.as_of = as_of or date.today()

    def scrub_item(self, item: InputItem) -> dict[str, Any]:
        source = dict(item.source)
        if item.claim is None:
            assert item.error is not None
            return {"claim_id": item.claim_id, "source": source, "status": "error", "findings": [],
                    "error": item.error.as_dict()}
        claim = item.claim
        if claim.source:
            source = dict(claim.source)
        try:
            findings = self.engine.evaluate(claim, self.as_of)
        except RuleRuntimeError as exc:
            return {"claim_id": claim.claim_id, "source": source, "status": "error", "findings": [],
                    "error": {"message": f"rule {exc.rule.id} failed: {type(exc.exc).__name__}: {exc.exc}",
                              "location": str(exc.position or exc.rule.location)}}
        return {"claim_id": claim.claim_id, "source": source, "status": "findings" if findings else "clean",
                "findings": findings, "error": None}

    def scrub_items(self, items: Iterable[InputItem]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield self.scrub_item(item)

    def scrub_path(self, path: Path, input_format: str = "auto") -> Iterator[dict[str, Any]]:
        """Results for every claim in a file or directory; an unreadable file becomes one error result."""
        yield from self.scrub_items(input_items(path, input_format))

    def header(self) -> dict[str, Any]:
        return {
            "engine": {"name": "claimscrub", "version": __version__},
            "ruleset": {"name": self.ruleset.name, "version": self.ruleset.version, "sha256": self.ruleset.sha256,
                        "rules": len(self.ruleset.rules),
                        "skipped_rules": dict(sorted(self.engine.skipped.items()))},
            "as_of": self.as_of.isoformat(),
        }

    def report(self, results: Iterable[dict[str, Any]]) -> dict[str, Any]:
        results = list(results)
        return {**self.header(), "results": results, "summary": summarize(results)}


def input_items(path: Path, input_format: str = "auto", defer: bool = False) -> Iterator[InputItem]:
    """Every claim of a file or directory as an InputItem; a file that cannot be read is one error item.
    With `defer`, JSON claims come as `PendingClaim`s to validate later (in a `--jobs` worker)."""
    for f in expand_paths([path]):
        try:
            yield from read_path(f, input_format, defer)  # type: ignore[misc]
        except InputFileError as exc:
            yield InputItem(None, {"file": str(f)}, InputError(exc.message, exc.location))
        except OSError as exc:
            yield InputItem(None, {"file": str(f)}, InputError(f"cannot read: {exc.strerror}", str(f)))


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    status = Counter(r["status"] for r in results)
    by_cat: Counter[str] = Counter()
    by_sev: Counter[str] = Counter()
    for r in results:
        for f in r["findings"]:
            by_cat[f["category"]] += 1
            by_sev[f["severity"]] += 1
    return {"claims": len(results), "clean": status["clean"], "with_findings": status["findings"],
            "errors": status["error"], "findings": sum(by_cat.values()),
            "by_category": dict(sorted(by_cat.items())), "by_severity": dict(sorted(by_sev.items()))}


__all__ = ["Scrubber", "load_ruleset", "check_files", "default_rules_path", "summarize", "set_param", "Document", "input_items"]
