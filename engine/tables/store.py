"""The versioned on-disk table store: `claimscrub data import` writes it, `open_tables()` reads it lazily.

Layout of a data directory (default ``$CLAIMSCRUB_DATA``, else ``$XDG_DATA_HOME/claimscrub``, else
``~/.local/share/claimscrub``)::

    manifest.json                                  what is imported: kind, setting, version, period, sources
    tables/ncci-ptp/practitioner/v322r0.bin        one compiled file per table version
    tables/mue/practitioner/2026Q3.bin
    tables/csv/<name>/<version>.bin

Every source file is recorded with its name, SHA-256, row and malformed-row counts and import time.
Importing a file whose SHA-256 is already recorded is a no-op; the f1..f4 parts of one PTP release merge
into one version; a different file for the same version and part replaces the old one (and says so).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .base import VersionSet, dump_payload, load_payload
from .common import (
    ALL,
    KINDS,
    ImportIssue,
    ImportReport,
    Period,
    TableImportError,
    normalize_setting,
    read_source,
    split_lines,
)
from .icd10 import Icd10Table, build_payload
from .importers.addon import identify_addon, parse_addon
from .importers.csvtable import file_date, load_definition, parse_csv_table
from .importers.mce import identify_mce, parse_mce
from .importers.mue import identify_mue, parse_mue
from .importers.ncci import identify_ptp, parse_ptp
from .ptp import PtpBuilder, PtpTable
from .simple import AddonTable, CsvTable, MceTable, MueTable, period_from_dict
from .source import TablesBase

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1


def default_data_dir() -> Path:
    """$CLAIMSCRUB_DATA, else $XDG_DATA_HOME/claimscrub, else ~/.local/share/claimscrub."""
    env = os.environ.get("CLAIMSCRUB_DATA")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "claimscrub"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _safe(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label)


@dataclass(slots=True)
class _Pending:
    """A table version being (re)built during one import command."""

    entry: dict[str, Any]
    payload: dict[str, Any] | None = None
    builder: PtpBuilder | None = None


class Store:
    """Reads and writes one data directory. Writers take an exclusive lock; readers never need one."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_data_dir()

    # ------------------------------------------------------------------------------------------ manifest

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def entries(self) -> list[dict[str, Any]]:
        """Manifest entries (one per table version), sorted by kind, setting and period start."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise TableImportError(f"{self.manifest_path}: unreadable manifest ({e}); re-import into a new --data dir") from None
        if data.get("format") != MANIFEST_FORMAT:
            raise TableImportError(f"{self.manifest_path}: manifest format {data.get('format')} is not supported")
        return sorted(data.get("tables", []), key=lambda e: (e["kind"], e["setting"], e["period"]["start"], e["version"]))

    def _write_manifest(self, entries: list[dict[str, Any]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=MANIFEST + ".", suffix=".tmp", dir=self.root)
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"format": MANIFEST_FORMAT, "tables": entries}, fh, indent=1, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, self.manifest_path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            try:
                import fcntl

                fcntl.flock(fh, fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - Windows: single writer assumed
                pass
            yield

    # -------------------------------------------------------------------------------------------- import

    def import_files(
        self,
        kind: str,
        files: list[Path],
        *,
        setting: str | None = None,
        effective: date | None = None,
        strict: bool = False,
        definition: Path | None = None,
    ) -> list[ImportReport]:
        """Import official files of one kind; all-or-nothing per call (nothing is written if any file fails)."""
        if kind not in KINDS:
            raise TableImportError(f"unknown table kind {kind!r}: use one of {', '.join(KINDS)}")
        if setting is not None:
            setting = normalize_setting(setting)
        if kind == "icd10cm":
            if files:
                raise TableImportError("icd10cm is built from the simple-icd-10-cm package: give no FILE")
        elif not files:
            raise TableImportError(f"{kind}: give at least one FILE to import")
        for f in files:
            if not f.is_file():
                raise TableImportError(f"{f}: no such file")
        table_def = load_definition(definition) if kind == "csv" and definition else None
        if kind == "csv" and table_def is None:
            raise TableImportError("csv: pass --definition TABLE.yaml describing the key and columns")
        with self._locked():
            entries = self.entries()
            pending: dict[tuple[str, str, str], _Pending] = {}
            reports: list[ImportReport] = []
            if kind == "icd10cm":
                reports.append(self._import_icd10(entries, pending))
            for path in files:
                reports.append(self._import_one(kind, path, entries, pending, setting, effective, table_def))
            bad = [r for r in reports if r.malformed]
            if strict and bad:
                issues = [i for r in bad for i in r.malformed]
                raise TableImportError(
                    f"{len(issues)} malformed row(s) and --strict: nothing imported (fix the file or drop --strict)",
                    issues,
                )
            self._commit(entries, pending)
        return reports

    def _find_sha(self, entries: list[dict[str, Any]], kind_label: str, sha: str) -> dict[str, Any] | None:
        for e in entries:
            if e["kind"] == kind_label and any(s["sha256"] == sha for s in e["sources"]):
                return e
        return None

    def _entry(
        self, entries: list[dict[str, Any]], pending: dict[tuple[str, str, str], _Pending],
        kind_label: str, setting: str, version: str, period: Period,
    ) -> _Pending:
        key = (kind_label, setting, version)
        p = pending.get(key)
        if p is not None:
            return p
        for e in entries:
            if (e["kind"], e["setting"], e["version"]) == key:
                p = pending[key] = _Pending(e)
                return p
        sub = kind_label.replace(":", "/")
        e = {
            "kind": kind_label,
            "setting": setting,
            "version": version,
            "period": period.as_dict(),
            "file": f"tables/{sub}/{_safe(setting)}/{_safe(version)}.bin",
            "rows": 0,
            "sources": [],
        }
        entries.append(e)
        p = pending[key] = _Pending(e)
        return p

    def _import_one(
        self, kind: str, path: Path, entries: list[dict[str, Any]], pending: dict[tuple[str, str, str], _Pending],
        setting: str | None, effective: date | None, table_def: dict[str, Any] | None,
    ) -> ImportReport:
        name = path.name
        sha = sha256_of(path)
        kind_label = f"csv:{table_def['name']}" if table_def else kind
        report = ImportReport(file=name, kind=kind_label, sha256=sha)
        same = self._find_sha(entries, kind_label, sha)
        if same is not None or any(
            s["sha256"] == sha for p in pending.values() if p.entry["kind"] == kind_label for s in p.entry["sources"]
        ):
            if same is not None:
                report.setting, report.version = same["setting"], same["version"]
                report.period = period_from_dict(same["period"])
            report.noop = True
            return report
        text, report.encoding = read_source(path)
        source = {"name": name, "sha256": sha, "imported_at": _now(), "encoding": report.encoding}
        if kind == "ncci-ptp":
            ident = identify_ptp(name, setting, effective)
            report.setting, report.version, report.period = ident.setting, ident.version, ident.period
            p = self._entry(entries, pending, kind_label, ident.setting, ident.version, ident.period)
            if p.builder is None:
                p.builder = (
                    PtpBuilder.from_table(PtpTable.from_payload(load_payload(self.root / p.entry["file"])))
                    if p.entry["sources"] else PtpBuilder(ident.version, ident.setting, ident.period)
                )
            old = next((s for s in p.entry["sources"] if s.get("part") == ident.part), None)
            if old is not None:
                slot = p.builder.source_slot(old["name"])
                p.builder.drop_source(slot)
                p.builder.sources[slot] = name
                p.entry["sources"].remove(old)
                report.replaced = old["name"]
            else:
                slot = p.builder.source_slot(name)
            lines, terminated = split_lines(text)
            del text
            parse_ptp(lines, terminated, name, p.builder, slot, report)
            source["part"] = ident.part
        else:
            if kind == "mue":
                data = parse_mue(text, name, setting, report)  # content first: "not an MUE file" beats "no date"
                period = identify_mue(name, effective)
                resolved, version = data.pop("setting"), period.label
            elif kind == "addon":
                data = parse_addon(text, name, report)
                period = identify_addon(name, effective)
                resolved, version = ALL, period.label
            elif kind == "mce":
                data = parse_mce(text, name, report)
                version, period, mce_version = identify_mce(name, effective, data["file_versions"])
                data["mce_version"] = mce_version
                resolved = ALL
            elif kind == "csv":
                assert table_def is not None
                d = effective or file_date(path)
                if table_def["version"]:
                    version = table_def["version"]
                    period = Period(version, d or date(1900, 1, 1), None)
                elif d is not None:
                    period = Period(d.isoformat(), d, None)
                    version = period.label
                else:
                    raise TableImportError(
                        f"{name}: csv table {table_def['name']!r} needs a date: pass --effective YYYY-MM-DD, "
                        "put 'version:' in the definition, or a date in the file name"
                    )
                data = parse_csv_table(text, name, table_def, report)
                data["name"] = table_def["name"]
                data["definition"] = {k: v for k, v in table_def.items() if k != "format"}
                resolved = ALL
            else:  # pragma: no cover - guarded by import_files
                raise TableImportError(f"unknown kind {kind}")
            report.setting, report.version, report.period = resolved, version, period
            p = self._entry(entries, pending, kind_label, resolved, version, period)
            if p.entry["sources"]:
                report.replaced = ", ".join(s["name"] for s in p.entry["sources"])
                p.entry["sources"] = []
            p.payload = {
                "kind": kind, "kind_label": kind_label, "version": version, "setting": resolved,
                "period": period.as_dict(), "sources": [name], **data,
            }
        source.update(rows=report.rows, malformed=len(report.malformed), skipped_lines=report.skipped_lines)
        p.entry["sources"].append(source)
        return report

    def _import_icd10(self, entries: list[dict[str, Any]], pending: dict[tuple[str, str, str], _Pending]) -> ImportReport:
        import simple_icd_10_cm as cm

        xmls = sorted((Path(cm.__file__).parent / "data").glob("*.xml"))
        if xmls:  # same package data as last time: no need to spend ~2 s building it again
            sha = sha256_of(xmls[0])
            same = self._find_sha(entries, "icd10cm", sha)
            if same is not None:
                return ImportReport(file=xmls[0].name, kind="icd10cm", setting=ALL, version=same["version"],
                                    period=period_from_dict(same["period"]), sha256=sha, noop=True)
        payload = build_payload()
        xml = Path(cm.__file__).parent / "data" / payload["sources"][0]
        sha = sha256_of(xml) if xml.is_file() else hashlib.sha256(payload["codes"].encode()).hexdigest()
        period = period_from_dict(payload["period"])
        report = ImportReport(file=payload["sources"][0], kind="icd10cm", setting=ALL, version=payload["version"],
                              period=period, sha256=sha, encoding="utf-8")
        if self._find_sha(entries, "icd10cm", sha) is not None:
            report.noop = True
            return report
        table = Icd10Table(payload)
        report.rows = len(table)
        p = self._entry(entries, pending, "icd10cm", ALL, payload["version"], period)
        p.entry["sources"] = [{"name": payload["sources"][0], "sha256": sha, "imported_at": _now(), "rows": report.rows,
                               "malformed": 0, "encoding": "utf-8", "package": f"simple-icd-10-cm {payload['package_version']}".strip()}]
        p.entry["release"] = payload["release"]
        p.payload = payload
        return report

    def _commit(self, entries: list[dict[str, Any]], pending: dict[tuple[str, str, str], _Pending]) -> None:
        changed = False
        for p in pending.values():
            if p.builder is not None:
                table = p.builder.build()
                payload = table.payload
            elif p.payload is not None:
                payload = p.payload
            else:
                continue
            size = dump_payload(self.root / p.entry["file"], payload)
            p.entry["rows"] = len(table) if p.builder is not None else sum(s.get("rows", 0) for s in p.entry["sources"])
            p.entry["bytes"] = size
            p.entry["updated_at"] = _now()
            changed = True
        if changed:
            self._write_manifest([e for e in entries if e["sources"]])


# ---------------------------------------------------------------------------------------------- reading


_LOADERS = {
    "ncci-ptp": lambda payload: PtpTable.from_payload(payload),
    "mue": MueTable,
    "addon": AddonTable,
    "mce": MceTable,
    "icd10cm": Icd10Table,
}


class StoreTables(TablesBase):
    """`TableSource` over a data directory. Only the manifest is read up front; each table version is loaded
    the first time a lookup needs it, so a run that never asks for MUE never pays for MUE."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.entries = store.entries()
        for e in self.entries:
            kind, setting, version = e["kind"], e["setting"], e["version"]
            period = period_from_dict(e["period"])
            path = store.root / e["file"]
            if kind.startswith("csv:"):
                vs: VersionSet[Any] = self._csv_set(kind[4:])
                loader = lambda path=path: CsvTable(load_payload(path))  # noqa: E731
                self._mark("csv")
            else:
                make = _LOADERS.get(kind)
                if make is None:
                    continue
                loader = lambda path=path, make=make: make(load_payload(path))  # noqa: E731
                if kind == "ncci-ptp":
                    vs = self._setting_set(self._ptp, setting)
                elif kind == "mue":
                    vs = self._setting_set(self._mue, setting)
                else:
                    vs = {"addon": self._addon, "mce": self._mce, "icd10cm": self._icd}[kind]
            vs.add(period.start, version, loader)
            self._mark(kind, setting)


def load_version(store: Store, kind: str, version: str, setting: str | None = None) -> Any:
    """One imported table version, loaded (for `data diff`): kind as imported (csv:NAME for payer tables)."""
    entries = [e for e in store.entries() if e["kind"] == kind and (setting is None or e["setting"] == setting)]
    hits = [e for e in entries if version in (e["version"], e["period"]["label"])]
    if not hits:
        have = ", ".join(sorted({f"{e['version']} ({e['setting']})" for e in entries})) or "none"
        raise TableImportError(f"no {kind} version {version!r} in {store.root} (imported: {have})")
    if len({e["setting"] for e in hits}) > 1:
        raise TableImportError(f"{kind} {version} is imported for several settings "
                               f"({', '.join(sorted(e['setting'] for e in hits))}): pass --setting")
    payload = load_payload(store.root / hits[0]["file"])
    return CsvTable(payload) if kind.startswith("csv:") else _LOADERS[kind](payload)


def open_tables(data_dir: Path | str | None = None, *, icd10_fallback: bool = True) -> StoreTables:
    """A lazily loading `TableSource` over `data_dir` (default: see `default_data_dir`).

    Without an imported ICD-10-CM table the release inside `simple-icd-10-cm` is built on first use (~1.5 s);
    `claimscrub data import icd10cm` precomputes it into the store (loads in ~40 ms).
    """
    tables = StoreTables(Store(data_dir))
    tables._icd_fallback = icd10_fallback
    return tables


def issues_text(issues: list[ImportIssue], limit: int = 20) -> str:
    lines = [str(i) for i in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"... and {len(issues) - limit} more")
    return "\n".join(lines)
