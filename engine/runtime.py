"""The small runtime that compiled rules and the tracing interpreter share, so both mean the same thing.

Null semantics (documented in the README): a comparison with a null operand is false, arithmetic with null is
null, and null counts as false where a condition needs true/false. That way a rule about age simply does not
fire when the birth date is missing; the required-field rules report the missing date instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any


class CodeSet:
    """A code set with exact codes, prefix patterns ("J*") and ranges ("99202".."99215").

    A range compares the code's first len(low) characters, so "E08".."E13" holds E11.9 the way CMS writes
    ICD-10 ranges, and "99202".."99215" is the plain range of five-character codes.
    """

    __slots__ = ("exact", "prefixes", "ranges", "_lens", "name")

    def __init__(self, exact: Iterable[str] = (), prefixes: Iterable[str] = (),
                 ranges: Iterable[tuple[str, str]] = (), name: str | None = None) -> None:
        self.exact = frozenset(exact)
        self.prefixes = tuple(sorted(set(prefixes)))
        self.ranges = tuple(sorted(set(ranges)))
        self._lens = tuple(sorted({len(p) for p in self.prefixes}))
        self.name = name

    @property
    def simple(self) -> bool:
        return not self.prefixes and not self.ranges

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        if code in self.exact:
            return True
        for n in self._lens:
            if code[:n] in self.prefixes:
                return True
        for low, high in self.ranges:
            head = code[: len(low)]
            if low <= head <= high:
                return True
        return False

    def items(self) -> list[str]:
        return sorted(self.exact) + [p + "*" for p in self.prefixes] + [f"{lo}..{hi}" for lo, hi in self.ranges]

    def __repr__(self) -> str:
        return "{" + ", ".join(repr(i) for i in self.items()) + "}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodeSet) and (self.exact, self.prefixes, self.ranges) == (
            other.exact, other.prefixes, other.ranges)

    def __hash__(self) -> int:
        return hash((self.exact, self.prefixes, self.ranges))

    def union(self, other: CodeSet) -> CodeSet:
        return CodeSet(self.exact | other.exact, self.prefixes + other.prefixes, self.ranges + other.ranges)

    def enumerate_ranges(self, limit: int = 20000) -> tuple[set[str], list[tuple[str, str]]]:
        """Expand ranges whose ends share a prefix and a numeric tail, so the index can key on exact codes."""
        codes: set[str] = set()
        rest: list[tuple[str, str]] = []
        for low, high in self.ranges:
            expanded = expand_range(low, high, limit)
            if expanded is None:
                rest.append((low, high))
            else:
                codes.update(expanded)
        return codes, rest


def expand_range(low: str, high: str, limit: int = 20000) -> list[str] | None:
    """The heads a range covers, when the ends differ only in a numeric tail ("992" + "02".."15")."""
    if len(low) != len(high) or low > high:
        return None
    i = 0
    while i < len(low) and low[i] == high[i]:
        i += 1
    while i > 0 and low[i - 1].isdigit():
        i -= 1
    lo_tail, hi_tail = low[i:], high[i:]
    if not lo_tail.isdigit() or not hi_tail.isdigit() or int(hi_tail) - int(lo_tail) > limit:
        return None
    return [f"{low[:i]}{n:0{len(lo_tail)}d}" for n in range(int(lo_tail), int(hi_tail) + 1)]


def parse_code_item(item: str) -> tuple[str, str | tuple[str, str]]:
    """A YAML set item: "97140", "J*", "99202..99215"."""
    if ".." in item:
        low, high = item.split("..", 1)
        return "range", (low.strip().upper(), high.strip().upper())
    if item.endswith("*"):
        return "prefix", item[:-1].strip().upper()
    return "exact", item.strip().upper()


# ---- null-aware operators -----------------------------------------------------------------------------------------

def eq(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a == b


def ne(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a != b


def lt(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a < b


def le(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a <= b


def gt(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a > b


def ge(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a >= b


def between(x: Any, low: Any, high: Any) -> bool:
    return x is not None and low is not None and high is not None and low <= x <= high


def _num(x: Any) -> Any:
    return Decimal(x) if isinstance(x, int) and not isinstance(x, bool) else x


def add(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, date):
        return a + timedelta(days=int(b))
    return a + b


def sub(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, date):
        if isinstance(b, date):
            return (a - b).days
        return a - timedelta(days=int(b))
    return a - b


def mul(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a * b


def div(a: Any, b: Any) -> Any:
    if a is None or b is None or b == 0:
        return None
    return _num(a) / _num(b)


def mod(a: Any, b: Any) -> Any:
    """Remainder (`units % 15`); null for a null operand or a zero divisor, like division."""
    if a is None or b is None or b == 0:
        return None
    return _num(a) % _num(b)


def neg(a: Any) -> Any:
    return None if a is None else -a


def member(x: Any, coll: Any) -> bool:
    return x is not None and coll is not None and x in coll


def attr(obj: Any, name: str) -> Any:
    return None if obj is None else getattr(obj, name)


def index(obj: Any, i: Any) -> Any:
    if obj is None or i is None:
        return None
    try:
        return obj[int(i) - 1] if int(i) >= 1 else None
    except (IndexError, TypeError):
        return None


# ---- functions ---------------------------------------------------------------------------------------------------

def age(birth: date | None, on: date | None) -> int | None:
    if birth is None or on is None:
        return None
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def age_days(birth: date | None, on: date | None) -> int | None:
    return None if birth is None or on is None else (on - birth).days


def days_between(a: date | None, b: date | None) -> int | None:
    return None if a is None or b is None else (b - a).days


def add_days(d: date | None, n: Any) -> date | None:
    return None if d is None or n is None else d + timedelta(days=int(n))


def npi_valid(npi: str | None) -> bool:
    """Luhn check digit over the 9 leading digits with the card-issuer prefix 80840 (CMS NPI standard)."""
    if npi is None or len(npi) != 10 or not npi.isdigit():
        return False
    total = 24  # the constant contribution of the 80840 prefix
    for i, ch in enumerate(reversed(npi[:9])):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def digits(s: str | None) -> bool:
    return s is not None and s.isdigit()


def startswith(s: str | None, prefix: str | None) -> bool:
    return s is not None and prefix is not None and s.startswith(prefix)


def endswith(s: str | None, suffix: str | None) -> bool:
    return s is not None and suffix is not None and s.endswith(suffix)


@functools.lru_cache(maxsize=1024)
def regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matches(s: str | None, pattern: str | None) -> bool:
    """The whole text matches the pattern (`re.fullmatch`); patterns are checked when the rules load."""
    return s is not None and pattern is not None and regex(pattern).fullmatch(s) is not None


def upper(s: str | None) -> str | None:
    return None if s is None else s.upper()


def abs_(x: Any) -> Any:
    return None if x is None else abs(x)


def coalesce(a: Any, b: Any) -> Any:
    return b if a is None else a


def length(x: Any) -> int:
    if x is None:
        return 0
    if isinstance(x, CodeSet):
        return len(x.items())
    return len(x)


def duplicates(items: Iterable[Any]) -> list[Any]:
    seen: set[Any] = set()
    out: list[Any] = []
    for i in items:
        if i in seen and i not in out:
            out.append(i)
        seen.add(i)
    return out


PURE_FUNCS = {
    "age": age, "age_days": age_days, "days_between": days_between, "add_days": add_days, "npi_valid": npi_valid,
    "digits": digits, "startswith": startswith, "endswith": endswith, "matches": matches, "upper": upper, "abs": abs_, "coalesce": coalesce, "len": length,
    "duplicates": duplicates,
}


UNSET: Any = object()  # a compiled rule's not-yet-looked-up table call (None is a real lookup result)


@dataclass(slots=True)
class Context:
    """Per-claim context: processing date and table setting. Never global, so evaluation is re-entrant."""

    as_of: date
    setting: str  # practitioner or hospital
    dos: date | None


class MissingTables:
    """Stands in when no table store is configured; rules that need tables are skipped before they run."""

    def has(self, kind: str) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        raise LookupError(f"no reference tables are loaded (needed: {name})")
