"""`claimscrub rules fmt`: canonical key order inside each rule, keeping every comment.

A careful line-based rewrite (no YAML round-trip library needed): the `rules:` list is split into items, each
item into key blocks (a key line at the item's key indent plus every more-indented line under it); comment and
blank lines directly above a key travel with it. Blocks are re-emitted in RULE_KEY_ORDER (unknown keys keep their
order, just before `examples`), trailing whitespace is removed and the file ends with one newline. The result is
re-parsed and must load to exactly the same data, otherwise the file is left alone and an error reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

RULE_KEY_ORDER = ("id", "title", "category", "severity", "scope", "let", "when", "message", "fix", "denial",
                  "source", "effective", "tags", "examples")
_KEY = re.compile(r"^(?P<indent> *)(?P<dash>- +)?(?P<key>[A-Za-z_][\w-]*|\"[^\"]+\"|'[^']+')\s*:(\s|$)")


class FormatError(Exception):
    pass


@dataclass
class Block:
    key: str
    lines: list[str]  # leading comments/blanks, the key line, its body


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_trivia(line: str) -> bool:
    s = line.strip()
    return not s or s.startswith("#")


def _format_item(lines: list[str], item_indent: int) -> list[str]:
    """One `- id: ...` item (first line is the dash line) -> reordered lines."""
    key_indent = item_indent + 2
    first = lines[0]
    dash = _KEY.match(first)
    if dash is None or not dash.group("dash"):
        return lines  # `- {inline mapping}` or something unusual: leave it
    norm = [" " * key_indent + first[dash.end("dash"):], *lines[1:]]
    blocks: list[Block] = []
    pending: list[str] = []
    for line in norm:
        m = _KEY.match(line)
        if m and not m.group("dash") and _indent(line) == key_indent:
            blocks.append(Block(m.group("key").strip("\"'"), [*pending, line]))
            pending = []
        elif _is_trivia(line) and (not line.strip() or _indent(line) <= key_indent):
            pending.append(line)
        elif not blocks:
            return lines
        else:
            blocks[-1].lines.extend(pending)
            pending = []
            blocks[-1].lines.append(line)
    # trailing comments/blank lines stay at the end of the item
    rank = {k: i for i, k in enumerate(RULE_KEY_ORDER)}
    other = rank["examples"] - 0.5  # unknown keys (notes, ...) keep their order just before the examples
    ordered = sorted(blocks, key=lambda b: (rank.get(b.key, other), blocks.index(b)))
    out: list[str] = []
    for i, b in enumerate(ordered):
        body = list(b.lines)
        if i == 0:
            lead = [x for x in body if _is_trivia(x) and body.index(x) < _first_key(body)]
            body = body[len(lead):]
            out.extend(lead)
            body[0] = " " * item_indent + "- " + body[0][key_indent:]
        out.extend(body)
    return out + pending


def _first_key(body: list[str]) -> int:
    return next(i for i, x in enumerate(body) if not _is_trivia(x))


def format_text(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    start = next((i for i, x in enumerate(lines) if re.match(r"^rules\s*:\s*(#.*)?$", x)), None)
    if start is not None:
        end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith((" ", "#", "-"))),
                   len(lines))
        section = lines[start + 1:end]
        items: list[list[str]] = []
        prefix: list[str] = []
        item_indent = next((_indent(x) for x in section if x.lstrip().startswith("- ")), None)
        if item_indent is not None:
            for line in section:
                if _indent(line) == item_indent and line.lstrip().startswith("- "):
                    items.append([line])
                elif items:
                    items[-1].append(line)
                else:
                    prefix.append(line)
            new_section = list(prefix)
            for item in items:
                tail: list[str] = []
                while len(item) > 1 and _is_trivia(item[-1]) and (not item[-1].strip() or _indent(item[-1]) <= item_indent):
                    tail.insert(0, item.pop())
                new_section.extend(_format_item(item, item_indent) + tail)
            lines = lines[:start + 1] + new_section + lines[end:]
    result = "\n".join(lines) + "\n"
    try:
        same = yaml.safe_load(result) == yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FormatError(f"cannot format: {exc}") from None
    if not same:
        raise FormatError("formatting would change the data; file left as it is (please report this)")
    return result
