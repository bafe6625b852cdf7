"""Payer profiles: which rule packs apply to a payer, with overrides, parameters, tables and effective dates.

A profile (`payers/<id>.yaml`, schema `payer.schema.json`) selects base packs by name or glob, overrides rules
(severity, disable with a reason, parameter values), sets parameters, brings its own payer tables and custom rules
(pack `payer.<id>`), and may `extends` another profile. Dated `versions` are layered over the profile's own
settings; the one in effect on the claim's date (date of service, or the processing date with
`edit_by: processing_date`) applies. Every resolved setting keeps where it came from (file:line, which profile of
the chain), so `claimscrub payers show` can print an audit trail and `payers check` can point at mistakes.

`PayerScrubber` routes each claim to a profile by `claim.payer.id` (or a forced `--payer`), compiles one `Engine`
per (profile, versions in effect) and caches it; the rule set's sha256 covers the resolved profile so a result
can be replayed.
"""

from __future__ import annotations

import copy
import csv
import difflib
import fnmatch
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from .api import Scrubber, _display, check_files, set_param, summarize
from .checker import check_document
from .evaluator import Engine
from .inputs import InputFileError, InputItem, expand_paths, read_path
from .loader import Document, Path_, load_yaml, read_text, validate_schema
from .model import Claim
from .ruleset import Pack, Rule, RuleSet
from .source import Diagnostic, Position, RuleSetError

DEFAULT_PROFILE = "default"
SETTINGS = ("severity", "disable")

# Diagnostic codes of `payers check` (E0xx/E2xx come from the YAML loader, schema and rule checker).
P_UNKNOWN_RULE = "P001"
P_NO_REASON = "P002"
P_CONFLICT = "P003"
P_SHADOW = "P004"
P_UNKNOWN_PACK = "P005"
P_UNKNOWN_PARAM = "P006"
P_CYCLE = "P007"
P_UNKNOWN_PROFILE = "P008"
P_VERSION_DATES = "P009"
P_DUPLICATE = "P010"
P_TABLE = "P011"
P_NO_DEFAULT = "P012"


def default_payers_path() -> Path:
    return Path(str(resources.files("claimscrub.payers")))


def _suggest(name: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# ---- profiles ------------------------------------------------------------------------------------------------------

@dataclass(eq=False)
class Profile:
    """One profile file as loaded (validated, not yet resolved)."""

    id: str
    name: str
    path: Path
    doc: Document
    data: dict[str, Any]
    sha256: str

    @property
    def meta(self) -> dict[str, Any]:
        return self.data.get("payer") or {}

    @property
    def payer_ids(self) -> list[str]:
        return [str(x) for x in self.meta.get("payer_ids") or []]

    @property
    def extends(self) -> str | None:
        return self.meta.get("extends")

    def versions(self) -> list[tuple[int, dict[str, Any]]]:
        return [(i, v) for i, v in enumerate(self.data.get("versions") or []) if isinstance(v, dict)]

    def pick(self, on: date | None) -> tuple[int, dict[str, Any]] | None:
        """The dated version in effect on `on` (the latest-starting one if several overlap)."""
        if on is None:
            return None
        hits = []
        for i, v in self.versions():
            eff = v.get("effective") or {}
            lo, hi = _date(eff.get("from")), _date(eff.get("to"))
            if (lo is None or lo <= on) and (hi is None or on <= hi):
                hits.append((lo or date.min, i, v))
        return max(hits, key=lambda h: (h[0], h[1]))[1:] if hits else None

    def pos(self, path: Path_, key: bool = False) -> Position:
        return self.doc.position(path, key)


@dataclass
class Setting:
    """A resolved value and where it was set: the audit trail of `payers show`."""

    value: Any
    origin: str  # "pack" (base default) | "override" | "params" | "version <v>"
    profile: str | None
    where: Position | None
    reason: str | None = None

    def describe(self) -> str:
        who = f"{self.profile} " if self.profile else ""
        at = f" ({self.where})" if self.where else ""
        return f"{who}{self.origin}{at}"


@dataclass
class TableSpec:
    name: str
    spec: dict[str, Any]
    profile: Profile
    path: Path_

    def rows(self) -> list[dict[str, Any]]:
        if "rows" in self.spec:
            return [dict(r) for r in self.spec["rows"]]
        file = self.profile.path.parent / str(self.spec["file"])
        return list(csv.DictReader(io.StringIO(read_text(file))))

    def digest(self) -> str:
        raw = json.dumps(self.rows(), sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def source(self) -> str:
        return str(self.spec.get("file") or f"{self.profile.doc.source.path}:{self.profile.pos(self.path).line}")


@dataclass
class Resolution:
    """A profile resolved for one date: the chain, the versions in effect, every setting with its origin."""

    profile: Profile
    chain: list[Profile]
    on: date | None
    picks: dict[str, str | None]  # profile id -> version label in effect (None: no dated version)
    version: str
    edit_by: str
    packs: list[Pack]  # selected base packs
    pack_origin: dict[str, Setting]
    custom: list[Pack]
    overrides: dict[str, dict[str, Setting]]
    params: dict[str, Setting]
    tables: dict[str, TableSpec]
    diags: list[Diagnostic] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.profile.id}@{self.version}"

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str | None], ...]]:
        return (self.profile.id, tuple(sorted(self.picks.items())))


class PayerRegistry:
    """All profiles of a directory plus the base rule packs they draw from."""

    def __init__(self, profiles: dict[str, Profile], base_packs: list[Pack], diags: list[Diagnostic]) -> None:
        self.profiles = profiles
        self.base_packs = base_packs
        self.diags = diags
        self.by_payer_id: dict[str, Profile] = {}
        for p in profiles.values():
            for i, pid in enumerate(p.payer_ids):
                other = self.by_payer_id.get(pid)
                if other is not None and other is not p:
                    self.diags.append(p.doc.diag(P_DUPLICATE, f"payer id {pid!r} is also claimed by profile "
                                                 f"{other.id!r} ({other.doc.source.path})",
                                                 ("payer", "payer_ids", i)))
                    continue
                self.by_payer_id[pid] = p
        self._custom: dict[str, tuple[list[Pack], list[Diagnostic]]] = {}

    # ---- loading -------------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, payers: Path | None = None, base_packs: list[Pack] | None = None) -> PayerRegistry:
        """Load every `*.yaml` profile of a directory (default: the shipped ones); errors land in `.diags`."""
        directory = payers or default_payers_path()
        files = sorted(directory.glob("*.yaml")) if directory.is_dir() else [directory]
        profiles: dict[str, Profile] = {}
        diags: list[Diagnostic] = []
        for f in files:
            name = _display(f)
            text = read_text(f)
            doc, errs = load_yaml(name, text)
            diags.extend(errs)
            if doc is None or not isinstance(doc.data, dict):
                continue
            schema_errs = validate_schema(doc, "payer")
            diags.extend(schema_errs)
            meta = doc.data.get("payer")
            if not isinstance(meta, dict) or not isinstance(meta.get("id"), str):
                continue
            pid = meta["id"]
            if pid in profiles:
                diags.append(doc.diag(P_DUPLICATE, f"profile id {pid!r} is also used by "
                                      f"{profiles[pid].doc.source.path}", ("payer", "id")))
                continue
            profiles[pid] = Profile(pid, str(meta.get("name", pid)), f, doc, doc.data,
                                    hashlib.sha256(text.encode()).hexdigest())
        if profiles and DEFAULT_PROFILE not in profiles:
            diags.append(Diagnostic(P_NO_DEFAULT, f"no {DEFAULT_PROFILE!r} profile in {directory}: claims of "
                                    "unknown payers run the base packs without a profile", None, severity="warning"))
        return cls(profiles, base_packs if base_packs is not None else [], diags)

    # ---- resolution ----------------------------------------------------------------------------------------------

    def chain(self, profile_id: str, diags: list[Diagnostic] | None = None) -> list[Profile]:
        """Root-first inheritance chain; a cycle or an unknown parent stops it (and is reported)."""
        out: list[Profile] = []
        seen: list[str] = []
        cur: Profile | None = self.profiles[profile_id]
        while cur is not None:
            if cur.id in seen:
                if diags is not None:
                    loop = " -> ".join([*seen[seen.index(cur.id):], cur.id])
                    diags.append(out[0].doc.diag(P_CYCLE, f"extends cycle: {loop}", ("payer", "extends")))
                break
            seen.append(cur.id)
            out.insert(0, cur)
            parent = cur.extends
            if parent is None:
                break
            if parent not in self.profiles:
                if diags is not None:
                    diags.append(cur.doc.diag(P_UNKNOWN_PROFILE, f"extends unknown profile {parent!r}",
                                              ("payer", "extends"), _suggest(parent, self.profiles)))
                break
            cur = self.profiles[parent]
        return out

    def custom_packs(self, prof: Profile) -> tuple[list[Pack], list[Diagnostic]]:
        """The profile's own rules as pack `payer.<id>` plus its `rule_files`, checked once and cached."""
        hit = self._custom.get(prof.id)
        if hit is not None:
            return hit
        packs: list[Pack] = []
        diags: list[Diagnostic] = []
        data = prof.data
        if data.get("rules"):
            pack_data = {
                "pack": {"name": f"payer.{prof.id}", "version": str(prof.meta.get("version", "0"))},
                **{k: data[k] for k in ("parameters", "sets", "predicates", "rules") if k in data},
            }
            tables = {}
            for p in self.chain(prof.id):
                for name, spec in (p.data.get("tables") or {}).items():
                    tables[name] = str(spec.get("description", name)) if isinstance(spec, dict) else name
            if tables:
                pack_data["tables"] = tables
            doc = Document(prof.doc.source, pack_data, prof.doc.nodes)
            diags.extend(validate_schema(doc, "rules"))
            pack, errs = check_document(doc, set())
            diags.extend(errs)
            packs.append(pack)
        files = [prof.path.parent / str(f) for f in data.get("rule_files") or []]
        for i, f in enumerate(files):
            if not f.exists():
                diags.append(prof.doc.diag(P_TABLE, f"rule file {f.name} not found next to the profile",
                                           ("rule_files", i)))
        fpacks, fdiags = check_files([f for f in files if f.exists()])
        packs.extend(fpacks)
        diags.extend(fdiags)
        self._custom[prof.id] = (packs, diags)
        return packs, diags

    def resolve(self, profile_id: str, on: date | None) -> Resolution:
        """Resolve a profile for one date: chain, versions, packs, overrides, params, tables, with origins."""
        diags: list[Diagnostic] = []
        chain = self.chain(profile_id, diags)
        prof = self.profiles[profile_id]
        picks: dict[str, str | None] = {}
        layers: list[tuple[Profile, Path_, dict[str, Any], str]] = []
        for p in chain:
            layers.append((p, (), p.data, "profile"))
            picked = p.pick(on)
            picks[p.id] = str(picked[1]["version"]) if picked else None
            if picked:
                layers.append((p, ("versions", picked[0]), picked[1], f"version {picked[1]['version']}"))
        edit_by = "date_of_service"
        for p in chain:
            edit_by = p.meta.get("edit_by", edit_by)
        version = picks.get(prof.id) or str(prof.meta.get("version", "base"))

        # packs: the last layer that lists packs wins (a child's list replaces its parent's)
        pack_layer = next(((p, path, d) for p, path, d, _ in reversed(layers) if d.get("packs") is not None), None)
        selected: list[Pack] = []
        pack_origin: dict[str, Setting] = {}
        if pack_layer is not None:
            p, path, d = pack_layer
            globs = [(i, str(g)) for i, g in enumerate(d["packs"])]
            for i, g in globs:
                pattern = g.lstrip("!")
                if not any(fnmatch.fnmatchcase(bp.name, pattern) for bp in self.base_packs):
                    # a glob may name packs that are optional (ncci.* when NCCI packs are installed): warn;
                    # an exact name that matches nothing is a typo: error
                    glob = any(c in pattern for c in "*?[")
                    diags.append(p.doc.diag(P_UNKNOWN_PACK, f"no rule pack matches {g!r}", path + ("packs", i),
                                            _suggest(pattern, [bp.name for bp in self.base_packs])
                                            or f"packs: {', '.join(bp.name for bp in self.base_packs) or 'none'}",
                                            severity="warning" if glob else "error"))
            for bp in self.base_packs:
                inc = next((i for i, g in globs if not g.startswith("!") and fnmatch.fnmatchcase(bp.name, g)), None)
                exc = any(g.startswith("!") and fnmatch.fnmatchcase(bp.name, g[1:]) for _, g in globs)
                if inc is not None and not exc:
                    selected.append(bp)
                    pack_origin[bp.name] = Setting(globs[inc][1], "packs", p.id, p.pos(path + ("packs", inc)))

        # custom rules of every profile of the chain
        base_ids = {r.id: r for bp in self.base_packs for r in bp.rules}
        custom: list[Pack] = []
        seen_custom: dict[str, Rule] = {}
        for p in chain:
            cpacks, cdiags = self.custom_packs(p)
            diags.extend(cdiags)
            for cp in cpacks:
                kept = []
                for r in cp.rules:
                    b = base_ids.get(r.id) or seen_custom.get(r.id)
                    if b is not None:
                        diags.append(_at(r.position, P_SHADOW, f"custom rule {r.id!r} shadows rule {r.id!r} "
                                         f"of pack {b.pack.name} ({b.location})", p,
                                         "give the custom rule its own id and disable the base rule with an "
                                         "override (with a reason) if it should not run"))
                    else:
                        kept.append(r)
                        seen_custom[r.id] = r
                if len(kept) != len(cp.rules):
                    cp = copy.copy(cp)
                    cp.rules = kept
                custom.append(cp)
        active = [*selected, *custom]
        known = {r.id: r for pk in active for r in pk.rules}

        overrides: dict[str, dict[str, Setting]] = {}
        params: dict[str, Setting] = {}
        tables: dict[str, TableSpec] = {}
        scratch = RuleSet("scratch", "0", active)
        for p, path, d, origin in layers:
            for name, spec in (d.get("tables") or {}).items():
                if isinstance(spec, dict):
                    tables[name] = TableSpec(name, spec, p, path + ("tables", name))
                    if "file" in spec and not (p.path.parent / str(spec["file"])).exists():
                        diags.append(p.doc.diag(P_TABLE, f"table file {spec['file']} not found next to the profile",
                                                path + ("tables", name, "file")))
            for key, raw in (d.get("params") or {}).items():
                self._param(p, path + ("params", key), key, raw, origin, scratch, params, diags, None)
            for rid, spec in (d.get("overrides") or {}).items():
                if not isinstance(spec, dict):
                    continue
                opath = path + ("overrides", rid)
                rule = known.get(rid)
                if rule is None:
                    hint = _suggest(rid, known)
                    if rid in base_ids:
                        hint = f"{rid} is in pack {base_ids[rid].pack.name}, which this profile does not use"
                    diags.append(p.doc.diag(P_UNKNOWN_RULE, f"override of unknown rule {rid!r}", opath, hint,
                                            key=True))
                    continue
                reason = spec.get("reason")
                if spec.get("disable") is True and not reason:
                    diags.append(p.doc.diag(P_NO_REASON, f"rule {rid} is disabled without a reason",
                                            opath + ("disable",), "add `reason:` (who decided, and why) so the "
                                            "audit trail explains it", key=True))
                slot = overrides.setdefault(rid, {})
                for s in SETTINGS:
                    if s not in spec:
                        continue
                    prev = slot.get(s)
                    if prev is not None and prev.profile != p.id and prev.value != spec[s] and not reason:
                        diags.append(p.doc.diag(P_CONFLICT, f"{rid} {s}={spec[s]!r} contradicts {prev.profile}'s "
                                                f"{s}={prev.value!r} ({prev.where}) without a reason",
                                                opath + (s,), "add `reason:` to confirm the change", key=True,
                                                severity="warning"))
                    slot[s] = Setting(spec[s], origin if origin != "profile" else "override", p.id,
                                      p.pos(opath + (s,)), reason)
                for key, raw in (spec.get("params") or {}).items():
                    self._param(p, opath + ("params", key), key, raw, origin, scratch, params, diags, rule.pack)
        for rid, slot in overrides.items():
            dis, sev = slot.get("disable"), slot.get("severity")
            if dis is not None and dis.value is True and sev is not None and sev.profile != dis.profile:
                child_sets_severity = [p.id for p in chain].index(sev.profile) > [p.id for p in chain].index(
                    dis.profile)
                prof_of = self.profiles[sev.profile if child_sets_severity else dis.profile]
                path = _path_of(prof_of, rid, "severity" if child_sets_severity else "disable")
                diags.append(prof_of.doc.diag(P_CONFLICT, f"{rid}: severity {sev.value!r} set by {sev.profile} "
                                              f"has no effect, the rule is disabled by {dis.profile} ({dis.where})",
                                              path, "set `disable: false` to re-enable it, or drop the severity",
                                              key=True))
        return Resolution(prof, chain, on, picks, version, edit_by, selected, pack_origin, custom, overrides,
                          params, tables, diags)

    def _param(self, p: Profile, path: Path_, key: str, raw: Any, origin: str, scratch: RuleSet,
               params: dict[str, Setting], diags: list[Diagnostic], pack: Pack | None) -> None:
        value = raw.get("value") if isinstance(raw, dict) else raw
        reason = raw.get("reason") or raw.get("source") if isinstance(raw, dict) else None
        full = f"{pack.name}.{key}" if pack is not None and "." not in key else key
        try:
            set_param(scratch, full, value)
        except KeyError:
            declared = sorted({f"{pk.name}.{n}" for pk in scratch.packs for n in pk.params})
            diags.append(p.doc.diag(P_UNKNOWN_PARAM, f"unknown parameter {key!r}", path,
                                    _suggest(full, declared) or (f"declared: {', '.join(declared)}" if declared
                                                                 else "no pack in use declares parameters"),
                                    key=True))
            return
        except (TypeError, ValueError) as exc:
            diags.append(p.doc.diag("E215", f"parameter {key!r}: {exc}", path))
            return
        name = full.rsplit(".", 1)[-1]
        for pk in scratch.packs:
            if name in pk.params and ("." not in full or full.rsplit(".", 1)[0] == pk.name):
                k = f"{pk.name}.{name}"
                params[k] = Setting(scratch.params[k], "params" if origin == "profile" else origin, p.id,
                                    p.pos(path), reason)

    # ---- build ---------------------------------------------------------------------------------------------------

    def build(self, res: Resolution, params: dict[str, Any] | None = None) -> RuleSet:
        """A RuleSet for one resolution: copied packs (overrides never touch the shared base rules)."""
        packs: list[Pack] = []
        for pk in [*res.packs, *res.custom]:
            new = copy.copy(pk)
            new.rules = []
            for r in pk.rules:
                slot = res.overrides.get(r.id, {})
                if "disable" in slot and slot["disable"].value is True:
                    continue
                nr: Rule = copy.copy(r)
                nr.pack = new
                if "severity" in slot:
                    nr.severity = slot["severity"].value
                new.rules.append(nr)
            packs.append(new)
        rs = RuleSet(f"payer:{res.profile.id}", res.version, packs)
        for pk in packs:
            for name, prm in pk.params.items():
                rs.params[f"{pk.name}.{name}"] = prm.default
        for k, s in res.params.items():
            rs.params[k] = s.value
        for k, v in (params or {}).items():
            set_param(rs, k, v)
        rs.extra_hash.append(f"payer {res.profile.id}@{res.version} edit_by={res.edit_by}")
        for p in res.chain:
            rs.extra_hash.append(f"profile {p.id} {p.sha256} version={res.picks.get(p.id)}")
        for rid in sorted(res.overrides):
            for s, st in sorted(res.overrides[rid].items()):
                rs.extra_hash.append(f"override {rid} {s}={st.value!r}")
        for name in sorted(res.tables):
            t = res.tables[name]
            rs.extra_hash.append(f"table {name} {t.spec.get('version')} {t.digest()}")
        return rs

    def tables_for(self, res: Resolution, base: Any | None) -> Any | None:
        if not res.tables:
            return base
        return PayerTables(base, res.tables)

    def route(self, payer_id: str | None, forced: str | None = None) -> tuple[str | None, str]:
        """(profile id, routed_by). `forced` is a profile id or a payer id."""
        if forced:
            if forced in self.profiles:
                return forced, "--payer"
            if forced in self.by_payer_id:
                return self.by_payer_id[forced].id, "--payer"
            raise KeyError(f"no payer profile {forced!r}" + (f"; {h}" if (h := _suggest(forced, self.profiles))
                                                             else ""))
        if payer_id and payer_id in self.by_payer_id:
            return self.by_payer_id[payer_id].id, "payer_id"
        return (DEFAULT_PROFILE if DEFAULT_PROFILE in self.profiles else None), "default"

    # ---- check ---------------------------------------------------------------------------------------------------

    def check(self) -> list[Diagnostic]:
        """Every problem of every profile, for every date a version starts (deduplicated)."""
        out = list(self.diags)
        for pid, prof in self.profiles.items():
            dates: list[date | None] = [date.min]
            prev: tuple[date, date | None, int] | None = None
            spans = []
            for i, v in prof.versions():
                eff = v.get("effective") or {}
                lo, hi = _date(eff.get("from")) or date.min, _date(eff.get("to"))
                if hi is not None and hi < lo:
                    out.append(prof.doc.diag(P_VERSION_DATES, f"version {v.get('version')}: `to` is before `from`",
                                             ("versions", i, "effective")))
                spans.append((lo, hi, i))
                dates.append(lo)
            for lo, hi, i in sorted(spans):
                if prev is not None and (prev[1] is None or prev[1] >= lo):
                    out.append(prof.doc.diag(P_VERSION_DATES, f"version {prof.data['versions'][i].get('version')} "
                                             f"overlaps version {prof.data['versions'][prev[2]].get('version')}",
                                             ("versions", i, "effective", "from")))
                prev = (lo, hi, i)
            for anc in self.chain(pid)[:-1]:
                dates.extend(_date((v.get("effective") or {}).get("from")) for _, v in anc.versions())
            for on in sorted({d for d in dates if d is not None}):
                out.extend(self.resolve(pid, on).diags)
        seen: set[tuple[Any, ...]] = set()
        unique = []
        for d in out:
            k = (d.code, d.message, str(d.position))
            if k not in seen:
                seen.add(k)
                unique.append(d)
        return unique


def _path_of(prof: Profile, rid: str, setting: str) -> Path_:
    for path in [("overrides", rid, setting)] + [("versions", i, "overrides", rid, setting)
                                                 for i, _ in prof.versions()]:
        if path in prof.doc.nodes:
            return path
    return ("overrides", rid)


def _at(pos: Position, code: str, message: str, prof: Profile, hint: str | None = None) -> Diagnostic:
    from .source import make_diag

    return make_diag(code, message, prof.doc.source, pos, hint)


class PayerTables:
    """The claim's table source plus the profile's named payer tables (`lookup("prior_auth", code)`)."""

    def __init__(self, base: Any | None, specs: dict[str, TableSpec]) -> None:
        from .runtime import MissingTables
        from .tables.memory import MemoryTables

        self.base = base if base is not None else MissingTables()
        self.payer: dict[str, Any] = {}
        for name, t in specs.items():
            key = t.spec.get("key")
            rows = t.rows()
            value: Any = {"key": key, "rows": rows} if key else rows
            self.payer[name] = MemoryTables.from_rows({f"csv:{name}": value}, version=str(t.spec["version"]),
                                                      source=t.source, icd10_fallback=False)

    def lookup(self, table: str, key: str, on: date | None) -> Any:
        name = table[4:] if table.startswith("csv:") else table
        t = self.payer.get(name)
        if t is not None:
            return t.lookup(name, key, on)
        return self.base.lookup(table, key, on)

    def has(self, kind: str) -> bool:
        if kind.startswith("csv:") and kind[4:] in self.payer:
            return True
        if kind == "csv" and self.payer:
            return True
        try:
            return bool(self.base.has(kind))
        except Exception:  # noqa: BLE001 - a broken base source means the table is not usable
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


# ---- scrubbing -----------------------------------------------------------------------------------------------------

class PayerScrubber:
    """Same interface as `api.Scrubber`, routing each claim to its payer profile (one cached Engine per version)."""

    def __init__(self, registry: PayerRegistry, tables: Any | None = None, as_of: date | None = None,
                 show_phi: bool = False, payer: str | None = None, params: dict[str, Any] | None = None) -> None:
        errors = [d for d in registry.check() if d.severity == "error"]
        if errors:
            raise RuleSetError(errors)
        self.registry = registry
        self.tables = tables
        self.as_of = as_of or date.today()
        self.show_phi = show_phi
        self.payer = payer
        self.params = params or {}
        self._cache: dict[Any, tuple[Resolution, Scrubber]] = {}
        self.forced, _ = registry.route(None, payer) if payer else (None, "default")
        self._fallback: Scrubber | None = None

    def _for(self, profile_id: str | None, on: date | None) -> tuple[Resolution | None, Scrubber]:
        if profile_id is None:  # no profiles at all: the base packs as they are
            if self._fallback is None:
                rs = RuleSet("claimscrub", "base", list(self.registry.base_packs))
                for pk in rs.packs:
                    for n, prm in pk.params.items():
                        rs.params[f"{pk.name}.{n}"] = prm.default
                for k, v in self.params.items():
                    set_param(rs, k, v)
                self._fallback = Scrubber(rs, self.tables, self.as_of, self.show_phi)
            return None, self._fallback
        prof = self.registry.profiles[profile_id]
        edit_by = next((p.meta["edit_by"] for p in reversed(self.registry.chain(profile_id))
                        if "edit_by" in p.meta), "date_of_service")
        when = self.as_of if edit_by == "processing_date" or on is None else on
        picks = tuple((p.id, (v[1]["version"] if (v := p.pick(when)) else None))
                      for p in self.registry.chain(prof.id))
        key = (profile_id, picks)
        hit = self._cache.get(key)
        if hit is None:
            res = self.registry.resolve(profile_id, when)
            rs = self.registry.build(res, self.params)
            hit = (res, Scrubber(rs, self.registry.tables_for(res, self.tables), self.as_of, self.show_phi))
            self._cache[key] = hit
        return hit

    def primary(self) -> tuple[Resolution | None, Scrubber]:
        """The profile a claim without a payer id gets (forced, else default), on the processing date."""
        return self._for(self.forced or self.registry.route(None)[0], self.as_of)

    @property
    def engine(self) -> Engine:
        return self.primary()[1].engine

    @property
    def ruleset(self) -> RuleSet:
        return self.primary()[1].ruleset

    @property
    def skipped(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for _, s in self._cache.values():
            out.update(s.engine.skipped)
        return out

    def route(self, claim: Claim | None) -> tuple[Resolution | None, Scrubber, str, str | None]:
        """(resolved profile or None, its scrubber, how it was routed, the claim's payer id) for one claim."""
        payer_id = claim.payer.id if claim is not None and claim.payer is not None else None
        profile_id, routed_by = (self.forced, "--payer") if self.forced else self.registry.route(payer_id)
        res, scrubber = self._for(profile_id, claim.service_date if claim is not None else None)
        return res, scrubber, routed_by, payer_id

    def scrub_item(self, item: InputItem) -> dict[str, Any]:
        res, scrubber, routed_by, payer_id = self.route(item.claim)
        result = scrubber.scrub_item(item)
        rs = scrubber.ruleset
        sha = scrubber.sha256
        result["ruleset"] = {"name": rs.name, "version": rs.version, "sha256": sha}
        if res is None:
            result["payer_profile"] = {"id": None, "version": None, "sha256": sha, "routed_by": routed_by}
            return result
        result["payer_profile"] = {"id": res.profile.id, "version": res.version, "sha256": sha,
                                   "routed_by": routed_by}
        if routed_by == "default":
            result["payer_profile"]["payer_id"] = payer_id
        for f in result["findings"]:
            f["payer_profile"] = res.label
        return result

    def scrub_items(self, items: Iterable[InputItem]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield self.scrub_item(item)

    def scrub_path(self, path: Path, input_format: str = "auto") -> Iterator[dict[str, Any]]:
        """Results for every claim in a file or directory; an unreadable file becomes one error result."""
        for f in expand_paths([path]):
            try:
                yield from self.scrub_items(read_path(f, input_format))
            except InputFileError as exc:
                yield {"claim_id": None, "source": {"file": str(f)}, "status": "error", "findings": [],
                       "error": {"message": exc.message, "location": exc.location}, "payer_profile": None}
            except OSError as exc:
                yield {"claim_id": None, "source": {"file": str(f)}, "status": "error", "findings": [],
                       "error": {"message": f"cannot read: {exc.strerror}", "location": str(f)},
                       "payer_profile": None}

    def header(self) -> dict[str, Any]:
        res, scrubber = self.primary()
        head = scrubber.header()
        head["ruleset"]["skipped_rules"] = dict(sorted(self.skipped.items()))
        head["payer_profiles"] = sorted(f"{r.label} sha256={s.ruleset.sha256[:12]}"
                                        for r, s in self._cache.values() if r is not None)
        return head

    def report(self, results: Iterable[dict[str, Any]]) -> dict[str, Any]:
        results = list(results)
        return {**self.header(), "results": results, "summary": summarize(results)}


def load_registry(payers: Path | None = None, rules: list[Path] | None = None) -> PayerRegistry:
    """Profiles plus the base packs (default: shipped rules). Raises RuleSetError on rule-pack errors."""
    from .api import default_rules_path

    packs, diags = check_files(rules or [default_rules_path()])
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise RuleSetError(errors)
    return PayerRegistry.load(payers, packs)


__all__ = ["PayerRegistry", "PayerScrubber", "PayerTables", "Profile", "Resolution", "Setting",
           "default_payers_path", "load_registry"]
