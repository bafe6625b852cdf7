"""Load stage: YAML rule packs to plain data plus a map of where every value sits in the file.

PyYAML's composer keeps marks on nodes; we build values from the node tree ourselves so that (1) duplicate keys
are an error instead of a silent overwrite, (2) dates stay the strings the author wrote, and (3) every JSON
Schema error and every DSL error can be reported at `file:line:col`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .source import Diagnostic, Position, ScalarSource, SourceFile, make_diag

Path_ = tuple[Any, ...]


@dataclass
class Document:
    """One YAML file's data with node positions by JSON path."""

    source: SourceFile
    data: Any
    nodes: dict[Path_, yaml.Node] = field(default_factory=dict)

    def position(self, path: Path_, key: bool = False) -> Position:
        """Position of the value at `path` (or of its key when `key`), falling back to the nearest parent."""
        p = tuple(path)
        while p not in self.nodes and p:
            p = p[:-1]
        node = self.nodes.get(p)
        if node is None:
            return Position(self.source.path, 1, 1)
        if key and (p + ("<key>",)) in self.nodes:
            node = self.nodes[p + ("<key>",)]
        line, col = self.source.linecol(node.start_mark.index)
        end_col = None
        if isinstance(node, yaml.ScalarNode) and node.end_mark.line == node.start_mark.line:
            end_col = col + (node.end_mark.index - node.start_mark.index)
        return Position(self.source.path, line, col, end_col)

    def scalar(self, path: Path_) -> ScalarSource | None:
        node = self.nodes.get(tuple(path))
        if not isinstance(node, yaml.ScalarNode):
            return None
        return ScalarSource(self.source, node.value, node.start_mark.index, node.end_mark.index, node.style or None)

    def diag(self, code: str, message: str, path: Path_, hint: str | None = None, key: bool = False,
             severity: str = "error") -> Diagnostic:
        return make_diag(code, message, self.source, self.position(path, key), hint, severity)


_constructor = yaml.constructor.SafeConstructor()


def _build(node: yaml.Node, path: Path_, nodes: dict[Path_, yaml.Node], diags: list[Diagnostic],
           src: SourceFile) -> Any:
    nodes[path] = node
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            key = _build(knode, path + ("<k>",), {}, diags, src)
            if not isinstance(key, str | int):
                key = str(key)
            if key in out:
                line, col = src.linecol(knode.start_mark.index)
                diags.append(make_diag("E002", f"duplicate key {key!r} (YAML would silently keep only the last)",
                                       src, Position(src.path, line, col, col + len(str(key))),
                                       "remove or rename one of them"))
            nodes[path + (key, "<key>")] = knode
            out[key] = _build(vnode, path + (key,), nodes, diags, src)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, path + (i,), nodes, diags, src) for i, v in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value
    return _constructor.construct_object(node, deep=True)


# libyaml composes about 10x faster and gives the same character-index marks; plain PyYAML where it is missing
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: str, text: str) -> tuple[Document | None, list[Diagnostic]]:
    src = SourceFile(path, text)
    diags: list[Diagnostic] = []
    try:
        try:
            root = yaml.compose(text, Loader=_COMPOSER)
        except yaml.YAMLError:  # re-read with plain PyYAML: the same error, worded the same on every machine
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path, 1, 1)
        msg = f"bad YAML: {exc.problem or exc.context}"
        hint = "check indentation and quoting; conditions with ':' or '#' need quotes or a block scalar (when: |)"
        return None, [make_diag("E001", msg, src, pos, hint)]
    except yaml.YAMLError as exc:
        return None, [make_diag("E001", f"bad YAML: {exc}", src, Position(path, 1, 1))]
    if root is None:
        return Document(src, None), []
    nodes: dict[Path_, yaml.Node] = {}
    data = _build(root, (), nodes, diags, src)
    return Document(src, data, nodes), diags


@lru_cache(maxsize=4)
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("claimscrub.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _schema_hint(err: jsonschema.ValidationError) -> str | None:
    if err.validator == "additionalProperties":
        allowed = sorted((err.schema.get("properties") or {}).keys())
        return f"allowed keys: {', '.join(allowed)}" if allowed else None
    if err.validator == "enum":
        return "one of: " + ", ".join(map(str, err.validator_value))
    if err.validator == "pattern":
        return f"must match {err.validator_value}"
    if err.validator == "anyOf" and "category" in str(err.schema_path):
        return "use a category from the vocabulary (README: Categories) or payer.<name>"
    return None


def _schema_message(err: jsonschema.ValidationError) -> str:
    if err.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)' was unexpected", err.message)
        if extra:
            return f"unknown key {extra[0]!r}"
    if err.validator == "required":
        return err.message.replace("is a required property", "is required here")
    if err.validator == "anyOf" and "category" in str(err.schema_path):
        return f"unknown category {err.instance!r}"
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        return "an example needs exactly one of `fires:` or `passes:`"
    return err.message


def validate_schema(doc: Document, schema_name: str) -> list[Diagnostic]:
    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    out = []
    # in document order: list indexes compare as numbers (rule 4 before rule 10), keys as text
    errors = sorted(validator.iter_errors(doc.data),
                    key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e.absolute_path])
    for err in errors:
        path = tuple(err.absolute_path)
        key = False
        if err.validator == "additionalProperties":
            extra = re.findall(r"'([^']+)' was unexpected", err.message)
            if extra:
                path, key = path + (extra[0],), True
        out.append(doc.diag("E010", _schema_message(err), path, _schema_hint(err), key=key))
    out.sort(key=lambda d: (d.position.line, d.position.col) if d.position else (0, 0))  # stable: ties keep path order
    return out


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
