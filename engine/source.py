"""Source positions and diagnostics.

A rule condition lives inside a YAML scalar (plain, quoted, literal `|` or folded `>`), so an offset inside the
expression is not an offset in the file. `ScalarSource` maps each character of the scalar's value back to the
file's line and column by aligning the value with the raw text, which handles indentation, folding and escapes
without re-implementing YAML. Every error then points at `file:line:col` with a caret under the culprit.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any


class SourceFile:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._starts.append(i + 1)

    def linecol(self, index: int) -> tuple[int, int]:
        """1-based line and column of an absolute character index."""
        line = bisect.bisect_right(self._starts, index) - 1
        return line + 1, index - self._starts[line] + 1

    def line_text(self, line: int) -> str:
        if line < 1 or line > len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")


@dataclass
class Position:
    file: str
    line: int
    col: int
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class ScalarSource:
    """Maps offsets in a YAML scalar's value to positions in its file."""

    def __init__(self, source: SourceFile, value: str, start_index: int, end_index: int, style: str | None) -> None:
        self.source = source
        self.value = value
        raw = source.text[start_index:end_index]
        j = 0
        if style in ("|", ">"):
            nl = raw.find("\n")
            j = nl + 1 if nl >= 0 else len(raw)
        elif style in ('"', "'"):
            j = 1
        offsets: list[int] = []
        for ch in value:
            while j < len(raw) and raw[j] != ch and not (ch.isspace() and raw[j].isspace()):
                j += 1
            offsets.append(start_index + min(j, max(len(raw) - 1, 0)))
            if j < len(raw):
                j += 1
        offsets.append(start_index + min(j, len(raw)))
        self._offsets = offsets

    def position(self, offset: int, end: int | None = None) -> Position:
        offset = max(0, min(offset, len(self._offsets) - 1))
        line, col = self.source.linecol(self._offsets[offset])
        end_col = None
        if end is not None and end > offset:
            eline, ecol = self.source.linecol(self._offsets[min(end - 1, len(self._offsets) - 1)])
            end_col = ecol + 1 if eline == line else None
        return Position(self.source.path, line, col, end_col)


@dataclass
class Diagnostic:
    code: str  # stable id, e.g. E201 unknown field
    message: str
    position: Position | None = None
    hint: str | None = None
    severity: str = "error"
    source_line: str | None = field(default=None, repr=False)

    def render(self) -> str:
        where = f"{self.position}: " if self.position else ""
        out = f"{where}{self.severity}[{self.code}]: {self.message}"
        if self.position and self.source_line is not None:
            num = str(self.position.line)
            pad = " " * len(num)
            width = 1
            if self.position.end_col and self.position.end_col > self.position.col:
                width = self.position.end_col - self.position.col
            out += f"\n {num} | {self.source_line}\n {pad} | {' ' * (self.position.col - 1)}{'^' * width}"
        if self.hint:
            out += f"\n {' ' * len(str(self.position.line if self.position else ''))} = hint: {self.hint}"
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.position.file if self.position else None,
            "line": self.position.line if self.position else None,
            "col": self.position.col if self.position else None,
            "hint": self.hint,
        }


def make_diag(code: str, message: str, source: SourceFile | None, pos: Position | None, hint: str | None = None,
              severity: str = "error") -> Diagnostic:
    line_text = source.line_text(pos.line) if (source and pos) else None
    return Diagnostic(code, message, pos, hint, severity, line_text)


class RuleSetError(Exception):
    """Raised with every diagnostic of a rule set at once (never just the first)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.render() for d in diagnostics))
