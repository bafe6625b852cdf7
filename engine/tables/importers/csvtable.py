"""Generic payer tables (LCD covered diagnoses, prior-authorization lists, fee schedules) from CSV + a YAML definition.

A definition names the table, its key columns, typed value columns and optional row effective dates::

    name: lcd-l33333-covered-dx          # rules call lookup("lcd-l33333-covered-dx", "J1234|E11.9", on)
    description: Covered diagnoses for drug J1234 (LCD L33333)
    format: {delimiter: ",", skip_lines: 0, header: true}
    key: [hcpcs, icd10]                  # composite keys are joined with "|"
    columns:
      hcpcs: code                        # code: upper case; icd10: dotted; str, int, decimal, date, bool
      icd10: {type: icd10, source: "ICD-10 Code"}   # source: header name (or 0-based index without header)
      fee: {type: decimal, required: false}
    effective: {from: start_date, to: end_date}     # optional; inclusive dates per row
    version: 2026Q3                      # optional; else from --effective, else the file's date

Each row's key columns and required values must parse; other rows are reported with their line and skipped.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..common import (
    ImportIssue,
    ImportReport,
    TableImportError,
    csv_records,
    day_number,
    normalize_icd10,
    parse_date,
)

TYPES = ("str", "code", "icd10", "int", "decimal", "date", "bool")

DEFINITION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "key", "columns"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"},
        "description": {"type": "string"},
        "version": {"type": ["string", "number"]},
        "format": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "delimiter": {"type": "string"},
                "skip_lines": {"type": "integer", "minimum": 0},
                "header": {"type": "boolean"},
                "encoding": {"type": "string"},
            },
        },
        "key": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
        "columns": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "oneOf": [
                    {"enum": list(TYPES)},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "type": {"enum": list(TYPES)},
                            "source": {"type": ["string", "integer"]},
                            "required": {"type": "boolean"},
                        },
                    },
                ]
            },
        },
        "effective": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
        },
    },
}


def load_definition(path: Path) -> dict[str, Any]:
    """Read and check a table definition; errors name the file and the offending field."""
    import yaml  # imported here: only `data import csv` needs it, scrubbing start-up does not

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise TableImportError(f"{path.name}: cannot read the table definition: {e}") from None
    return check_definition(data, path.name)


def check_definition(data: Any, where: str = "definition") -> dict[str, Any]:
    import jsonschema  # imported here to keep `import claimscrub.tables` light

    try:
        jsonschema.validate(data, DEFINITION_SCHEMA)
    except jsonschema.ValidationError as e:
        loc = "/".join(str(p) for p in e.absolute_path) or "(top)"
        raise TableImportError(f"{where}: invalid table definition at {loc}: {e.message}") from None
    keys = [data["key"]] if isinstance(data["key"], str) else list(data["key"])
    columns: dict[str, dict[str, Any]] = {}
    for name, spec in data["columns"].items():
        spec = {"type": spec} if isinstance(spec, str) else dict(spec)
        spec.setdefault("type", "str")
        spec.setdefault("source", name)
        spec.setdefault("required", name in keys)
        columns[name] = spec
    for k in keys:
        if k not in columns:
            raise TableImportError(f"{where}: key column {k!r} is not listed under columns")
    eff = data.get("effective") or {}
    for end in ("from", "to"):
        if end in eff and eff[end] not in columns:
            columns[eff[end]] = {"type": "date", "source": eff[end], "required": False}
    fmt = {"delimiter": ",", "skip_lines": 0, "header": True, "encoding": "auto", **(data.get("format") or {})}
    if fmt["delimiter"] in ("tab", "\\t"):
        fmt["delimiter"] = "\t"
    if len(fmt["delimiter"]) != 1:
        raise TableImportError(f"{where}: format.delimiter must be one character (or 'tab')")
    return {
        "name": data["name"],
        "description": data.get("description", ""),
        "version": str(data["version"]) if data.get("version") is not None else None,
        "format": fmt,
        "key": keys,
        "columns": columns,
        "effective": eff,
    }


def convert(kind: str, raw: str) -> Any:
    """Convert one cell; raises ValueError with a reason. Empty cells are None."""
    s = raw.strip()
    if s == "":
        return None
    if kind == "str":
        return s
    if kind == "code":
        return s.upper()
    if kind == "icd10":
        return normalize_icd10(s)
    if kind == "int":
        return int(s.replace(",", ""))
    if kind == "decimal":
        try:
            return str(Decimal(s.replace(",", "").replace("$", "")))
        except InvalidOperation:
            raise ValueError(f"{s!r} is not a number") from None
    if kind == "date":
        d = parse_date(s)
        return None if d is None else day_number(d)
    if kind == "bool":
        low = s.lower()
        if low in ("y", "yes", "true", "1", "x"):
            return True
        if low in ("n", "no", "false", "0"):
            return False
        raise ValueError(f"{s!r} is not yes/no")
    raise ValueError(f"unknown type {kind}")


def build_rows(
    records: list[tuple[int, dict[str, Any]]], definition: dict[str, Any], file_name: str, report: ImportReport
) -> dict[str, Any]:
    """Typed rows -> payload {"rows", "columns", "types"}; `records` are (line, {column: raw value})."""
    cols = definition["columns"]
    names = list(cols)
    eff = definition["effective"]
    rows: dict[str, list[tuple[int, int, tuple[Any, ...], int]]] = {}
    for lineno, raw in records:
        values: dict[str, Any] = {}
        bad = None
        for name, spec in cols.items():
            cell = raw.get(name)
            try:
                v = None if cell is None else (convert(spec["type"], cell) if isinstance(cell, str) else _native(spec["type"], cell))
            except (ValueError, TypeError) as e:
                bad = f"column {name!r}: {e}"
                break
            if v is None and spec["required"]:
                bad = f"column {name!r} is empty"
                break
            values[name] = v
        if bad:
            report.malformed.append(ImportIssue(file_name, lineno, bad))
            continue
        key = "|".join(str(values[k]) for k in definition["key"])
        start = values.get(eff["from"]) if eff.get("from") else None
        end = values.get(eff["to"]) if eff.get("to") else None
        rows.setdefault(key, []).append((-1 if start is None else start, -1 if end is None else end,
                                         tuple(values[n] for n in names), lineno))
    for lst in rows.values():
        lst.sort(key=lambda r: r[0])
    report.rows = sum(len(v) for v in rows.values())
    return {"rows": rows, "columns": names, "types": [cols[n]["type"] for n in names]}


def _native(kind: str, value: Any) -> Any:
    """Values from in-memory row dicts may already be typed (dates, numbers)."""
    if kind == "date":
        d = parse_date(value)
        return None if d is None else day_number(d)
    if kind == "decimal":
        return str(Decimal(str(value)))
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return convert(kind, str(value))


def parse_csv_table(text: str, file_name: str, definition: dict[str, Any], report: ImportReport) -> dict[str, Any]:
    fmt = definition["format"]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt["delimiter"])
    header: list[str] | None = None
    index: dict[str, int] = {}
    records: list[tuple[int, dict[str, Any]]] = []
    norm = lambda s: re.sub(r"\s+", " ", s).strip().lower()  # noqa: E731
    for start, rec in csv_records(reader, file_name, report):
        if start <= fmt["skip_lines"]:
            report.skipped_lines += 1
            continue
        if not any(c.strip() for c in rec):
            continue
        if fmt["header"] and header is None:
            header = [norm(c) for c in rec]
            for name, spec in definition["columns"].items():
                src = spec["source"]
                if isinstance(src, int):
                    index[name] = src
                elif norm(src) in header:
                    index[name] = header.index(norm(src))
                elif spec["required"]:
                    raise TableImportError(
                        f"{file_name}:{start}: header has no column {src!r} (found: {', '.join(header)[:200]})"
                    )
            report.skipped_lines += 1
            continue
        if not fmt["header"] and not index:
            for name, spec in definition["columns"].items():
                if not isinstance(spec["source"], int):
                    raise TableImportError(f"{file_name}: without a header every column needs a numeric 'source' index")
                index[name] = spec["source"]
        raw = {name: (rec[j] if j < len(rec) else None) for name, j in index.items()}
        records.append((start, raw))
    payload = build_rows(records, definition, file_name, report)
    if report.rows == 0:
        raise TableImportError(f"{file_name}: no usable rows for table {definition['name']!r}", report.malformed)
    return payload


def file_date(path: Path) -> date | None:
    """Dates in names like ``..._Eff_07-01-2026.csv`` or ``..._2026-07-01.csv`` date a payer table."""
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", path.name) or None
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.search(r"(\d{2})-(\d{2})-(\d{4})", path.name)
    if m:
        return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    return None
