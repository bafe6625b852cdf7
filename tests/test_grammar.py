"""The condition language grammar: every construct parses to the right AST with the right offsets, templates
split correctly, and syntax errors come out as the friendly codes E101-E107 with exact messages and spans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from claimscrub.dsl import ast as A
from claimscrub.dsl.parser import DslSyntaxError, parse, parse_template


def sx(n: A.Node | None) -> str:
    """A compact S-expression of an AST, so precedence and shape read at a glance."""
    if n is None:
        return "_"
    if isinstance(n, A.Literal):
        if n.kind == "date":
            return f"date:{n.value.isoformat()}"
        return str(n.value) if isinstance(n.value, Decimal) else repr(n.value)
    if isinstance(n, A.Name):
        return n.id
    if isinstance(n, A.Attr):
        return f"{sx(n.obj)}.{n.name}"
    if isinstance(n, A.Index):
        return f"{sx(n.obj)}[{sx(n.index)}]"
    if isinstance(n, A.Call):
        return f"{n.func}({', '.join(sx(a) for a in n.args)})"
    if isinstance(n, A.Neg):
        return f"(neg {sx(n.operand)})"
    if isinstance(n, A.Not):
        return f"(not {sx(n.operand)})"
    if isinstance(n, A.BinOp | A.Compare):
        return f"({n.op} {sx(n.left)} {sx(n.right)})"
    if isinstance(n, A.BoolOp):
        return f"({n.op} {' '.join(sx(v) for v in n.values)})"
    if isinstance(n, A.IsNull):
        return f"({'not-null' if n.negated else 'null'} {sx(n.operand)})"
    if isinstance(n, A.Between):
        return f"(between {sx(n.operand)} {sx(n.low)} {sx(n.high)})"
    if isinstance(n, A.Has):
        return f"(has-{n.mode} {sx(n.subject)} {sx(n.value)})"
    if isinstance(n, A.CodeRange):
        return f"{n.low!r}..{n.high!r}"
    if isinstance(n, A.SetLit):
        return "{" + ", ".join(sx(i) for i in n.items) + "}"
    if isinstance(n, A.ListLit):
        return "[" + ", ".join(sx(i) for i in n.items) + "]"
    if isinstance(n, A.Quant):
        value = f" {sx(n.value)} for" if n.value is not None else ""
        return f"({n.kind}{value} {n.var} in {sx(n.coll)} where {sx(n.cond)})"
    raise AssertionError(type(n))


def span(text: str, node: A.Node) -> str:
    return text[node.start:node.end]


# ---- literals ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value, kind", [
    ('"97140"', "97140", "str"),
    ("'J1100'", "J1100", "str"),
    (r'"a\"b"', 'a"b', "str"),
    (r'"tab\there"', "tab\there", "str"),
    ("42", 42, "num"),
    ("0", 0, "num"),
    ("1.5", Decimal("1.5"), "num"),
    ("$12.50", Decimal("12.50"), "num"),
    ("$12", Decimal("12"), "num"),
    ("$0.5", Decimal("0.5"), "num"),
    ("true", True, "bool"),
    ("false", False, "bool"),
    ("null", None, "null"),
    ('date("2024-01-01")', date(2024, 1, 1), "date"),
    ('date("2026-02-28")', date(2026, 2, 28), "date"),
    ("-3", -3, "num"),
    ("-$1.25", Decimal("-1.25"), "num"),
])
def test_literals(text: str, value, kind: str) -> None:
    node = parse(text)
    assert isinstance(node, A.Literal)
    assert node.kind == kind
    assert node.value == value and type(node.value) is type(value)
    assert (node.start, node.end) == (0, len(text))


def test_integer_is_int_and_decimal_is_decimal() -> None:
    assert type(parse("12").value) is int
    assert type(parse("12.0").value) is Decimal
    assert type(parse("$12").value) is Decimal


def test_date_call_with_non_literal_stays_a_call() -> None:
    node = parse("date(x)")
    assert isinstance(node, A.Call) and node.func == "date" and sx(node) == "date(x)"


# ---- sets and lists ----------------------------------------------------------------------------------------------

def test_set_with_codes_ranges_prefixes_and_named_sets() -> None:
    text = '{"99202".."99215", "J*", "97140", EM, }'
    node = parse(text)
    assert isinstance(node, A.SetLit)
    assert sx(node) == "{'99202'..'99215', 'J*', '97140', EM}"
    rng, prefix, exact, named = node.items
    assert isinstance(rng, A.CodeRange) and (rng.low, rng.high) == ("99202", "99215")
    assert span(text, rng) == '"99202".."99215"'
    assert isinstance(prefix, A.Literal) and prefix.value == "J*"
    assert span(text, exact) == '"97140"'
    assert isinstance(named, A.Name) and span(text, named) == "EM"
    assert (node.start, node.end) == (0, len(text))


def test_empty_set_and_list() -> None:
    assert sx(parse("{}")) == "{}"
    assert sx(parse("[]")) == "[]"


def test_list_literal_with_trailing_comma() -> None:
    assert sx(parse('["a", 1, x,]')) == "['a', 1, x]"


def test_in_and_not_in() -> None:
    assert sx(parse('line.code in {"97110", "97140"}')) == "(in line.code {'97110', '97140'})"
    assert sx(parse("line.code not in EM")) == "(not in line.code EM)"
    assert sx(parse('"25" in line.modifiers')) == "(in '25' line.modifiers)"


# ---- has modifier, between, is null ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ('line has modifier "25"', "(has-one line '25')"),
    ('line has any modifier in {"XE", "XS"}', "(has-any line {'XE', 'XS'})"),
    ("line has no modifier in X_MODS", "(has-none line X_MODS)"),
    ('a has modifier "59" and b has no modifier in {"59"}', "(and (has-one a '59') (has-none b {'59'}))"),
    ("lines[1] has modifier m", "(has-one lines[1] m)"),
])
def test_has_modifier_forms(text: str, expected: str) -> None:
    assert sx(parse(text)) == expected


def test_has_offsets() -> None:
    text = 'line has any modifier in {"XE"}'
    node = parse(text)
    assert span(text, node.subject) == "line"
    assert span(text, node.value) == '{"XE"}'
    assert (node.start, node.end) == (0, len(text))


def test_between_binds_its_own_and() -> None:
    text = "age(patient.birth_date, line.date) between 0 and 17 and line.units > 1"
    node = parse(text)
    assert sx(node) == "(and (between age(patient.birth_date, line.date) 0 17) (> line.units 1))"
    between = node.values[0]
    assert span(text, between) == "age(patient.birth_date, line.date) between 0 and 17"
    assert span(text, between.high) == "17"


def test_between_dates() -> None:
    assert sx(parse('line.date between date("2026-01-01") and date("2026-12-31")')) == (
        "(between line.date date:2026-01-01 date:2026-12-31)")


@pytest.mark.parametrize("text, expected", [
    ("patient.birth_date is null", "(null patient.birth_date)"),
    ("patient.birth_date is not null", "(not-null patient.birth_date)"),
    ("not patient.sex is null", "(not (null patient.sex))"),
    ("line.charge + 1 is null", "(null (+ line.charge 1))"),
])
def test_is_null(text: str, expected: str) -> None:
    assert sx(parse(text)) == expected


# ---- quantifiers -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ('any(l in lines where l.code == "J1100")', "(any l in lines where (== l.code 'J1100'))"),
    ("all(l in lines where l.units > 0)", "(all l in lines where (> l.units 0))"),
    ('none(d in diagnoses where d.code in {"Z00*"})', "(none d in diagnoses where (in d.code {'Z00*'}))"),
    ("count(l in lines)", "(count l in lines where _)"),
    ("count(l in lines where l.charge > $100)", "(count l in lines where (> l.charge 100))"),
    ("any(d in line.diagnoses)", "(any d in line.diagnoses where _)"),
    ("sum(l.units for l in lines)", "(sum l.units for l in lines where _)"),
    ('sum(l.charge * l.units for l in lines where l.code in EM)',
     "(sum (* l.charge l.units) for l in lines where (in l.code EM))"),
    ("count(m in line.modifiers where m in {\"59\"}) > 1", "(> (count m in line.modifiers where (in m {'59'})) 1)"),
])
def test_quantifiers(text: str, expected: str) -> None:
    assert sx(parse(text)) == expected


def test_quantifier_offsets() -> None:
    text = "sum(l.units for l in lines where l.units > 1)"
    node = parse(text)
    assert node.kind == "sum" and node.var == "l"
    assert node.var_start == text.index("for l") + 4
    assert span(text, node.value) == "l.units"
    assert span(text, node.coll) == "lines"
    assert span(text, node.cond) == "l.units > 1"
    text = "  any(x in diagnoses where x.code == \"E11.9\")"
    node = parse(text)
    assert node.var_start == 6 and (node.start, node.end) == (2, len(text))
    assert span(text, node.cond.right) == '"E11.9"'


# ---- operators and precedence -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("1 * 2 + 3", "(+ (* 1 2) 3)"),
    ("1 - 2 - 3", "(- (- 1 2) 3)"),
    ("8 / 4 / 2", "(/ (/ 8 4) 2)"),
    ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
    ("1 + 2 * 3 - 4 / 2", "(- (+ 1 (* 2 3)) (/ 4 2))"),
    ("-x * 2", "(* (neg x) 2)"),
    ("- -x", "(neg (neg x))"),
    ("line.charge * line.units > $100", "(> (* line.charge line.units) 100)"),
    ("a + 1 == b - 1", "(== (+ a 1) (- b 1))"),
    ("line.date + 30 < as_of", "(< (+ line.date 30) as_of)"),
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c", "(or (and a b) c)"),
    ("(a or b) and c", "(and (or a b) c)"),
    ("not a and b", "(and (not a) b)"),
    ("not not a", "(not (not a))"),
    ("not a == 1", "(not (== a 1))"),
    ("a and b and c", "(and a b c)"),
    ("a or b or c or d", "(or a b c d)"),
    ("a != 1 and b <= 2 or c >= 3 and d < 4", "(or (and (!= a 1) (<= b 2)) (and (>= c 3) (< d 4)))"),
])
def test_precedence(text: str, expected: str) -> None:
    assert sx(parse(text)) == expected


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_every_comparison_operator(op: str) -> None:
    node = parse(f"line.units {op} 2")
    assert isinstance(node, A.Compare) and node.op == op


def test_comparison_does_not_chain() -> None:
    with pytest.raises(DslSyntaxError) as e:
        parse("a == b == c")
    assert e.value.code == "E101" and (e.value.start, e.value.end) == (7, 9)
    assert e.value.message.startswith("unexpected '=='")


def test_binop_and_boolop_offsets() -> None:
    text = "line.units * 2 > 3 and (patient.sex == \"F\" or x)"
    node = parse(text)
    assert (node.start, node.end) == (0, len(text))
    cmp_, or_ = node.values
    assert span(text, cmp_) == "line.units * 2 > 3"
    assert span(text, cmp_.left) == "line.units * 2"
    assert span(text, cmp_.left.right) == "2"
    assert span(text, or_) == 'patient.sex == "F" or x'
    assert span(text, or_.values[0].right) == '"F"'


# ---- field access, index, calls -----------------------------------------------------------------------------------

def test_field_index_call_chain() -> None:
    text = "claim.lines[2].diagnoses[1].code"
    node = parse(text)
    assert sx(node) == "claim.lines[2].diagnoses[1].code"
    assert isinstance(node, A.Attr) and node.name == "code"
    assert node.name_start == text.rindex("code")
    inner = node.obj
    assert isinstance(inner, A.Index) and span(text, inner) == "claim.lines[2].diagnoses[1]"
    assert span(text, inner.index) == "1"
    assert isinstance(inner.obj, A.Attr) and inner.obj.name_start == text.index("diagnoses")


def test_calls() -> None:
    assert sx(parse("f()")) == "f()"
    assert sx(parse("age(patient.birth_date, line.date)")) == "age(patient.birth_date, line.date)"
    assert sx(parse('lookup("prior_auth", line.code,)')) == "lookup('prior_auth', line.code)"
    assert sx(parse("len(duplicates(claim.codes)) > 0")) == "(> len(duplicates(claim.codes)) 0)"
    assert sx(parse("mue(line.code).value")) == "mue(line.code).value"
    assert sx(parse("lines[1]")) == "lines[1]"
    text = 'npi_valid( provider.npi )'
    node = parse(text)
    assert (node.start, node.end) == (0, len(text))
    assert span(text, node.args[0]) == "provider.npi"


def test_method_call_is_not_supported() -> None:
    with pytest.raises(DslSyntaxError) as e:
        parse("a.b.c(1)")
    assert e.value.code == "E101" and e.value.start == 5


# ---- comments and whitespace --------------------------------------------------------------------------------------

def test_comments_and_newlines() -> None:
    text = '# leading comment\nline.code == "97140"  # trailing\n  and line.units > 1 # more\n'
    node = parse(text)
    assert sx(node) == "(and (== line.code '97140') (> line.units 1))"
    assert node.start == text.index("line.code")
    assert span(text, node.values[1]) == "line.units > 1"


def test_hash_inside_string_is_not_a_comment() -> None:
    assert parse('line.code == "#1"').right.value == "#1"


# ---- templates ---------------------------------------------------------------------------------------------------

def test_template_parts_and_offsets() -> None:
    text = "Line {line.number}: code {line.code} x{{EPSU}} }}end{{"
    parts = parse_template(text)
    assert [(p.text, p.expr) for p in parts] == [
        ("Line ", None), (None, "line.number"), (": code ", None), (None, "line.code"), (" x{EPSU} }end{", None),
    ]
    ph = parts[1]
    assert ph.start == 6 and span(text, ph.node) == "line.number"
    assert ph.node.name_start == text.index("number")
    assert span(text, parts[3].node) == "line.code"


def test_template_only_braces() -> None:
    parts = parse_template("{{}}")
    assert [(p.text, p.node) for p in parts] == [("{}", None)]


def test_template_expression_offsets_are_shifted() -> None:
    text = "n={count(l in lines where l.units > 1)}"
    part = parse_template(text)[1]
    assert part.start == 3
    assert span(text, part.node) == "count(l in lines where l.units > 1)"
    assert part.node.var_start == text.index("l in")
    assert span(text, part.node.cond) == "l.units > 1"


def test_template_without_placeholders() -> None:
    assert [(p.text, p.expr) for p in parse_template("plain text")] == [("plain text", None)]
    assert parse_template("") == []


@pytest.mark.parametrize("text, message, start, end, hint", [
    ("x {line.number", "'{' is not closed", 2, 14, "close the placeholder with '}' or write '{{' for a brace"),
    ("x } y", "unmatched '}'", 2, 3, "write '}}' for a literal brace"),
    ("{}", "the condition is empty", 1, 2, "write '{{' and '}}' for literal braces"),
    ("ok {a ==}", "the condition ends too early", 8, 9, "an operand is missing after the last operator"),
    ("ok {a && b}", "'&&' is not an operator here", 6, 8, "use `and`"),
])
def test_template_errors(text: str, message: str, start: int, end: int, hint: str) -> None:
    with pytest.raises(DslSyntaxError) as e:
        parse_template(text)
    err = e.value
    assert (err.code, err.message, err.start, err.end, err.hint) == ("E107", message, start, end, hint)


# ---- friendly syntax errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, code, message, start, end, hint", [
    # `=` for `==`
    ('line.code = "97140"', "E102", "unexpected '=': comparison is '=='", 10, 11, "write `a == b` to compare"),
    ("a == 1 = 2", "E102", "unexpected '=': comparison is '=='", 7, 8, "write `a == b` to compare"),
    # C operators
    ("a && b", "E102", "'&&' is not an operator here", 2, 4, "use `and`"),
    ("a || b", "E102", "'||' is not an operator here", 2, 4, "use `or`"),
    ("!a", "E102", "'!' is not an operator here", 0, 1, "use `not` (or `!=` to compare)"),
    ("a and !b", "E102", "'!' is not an operator here", 6, 7, "use `not` (or `!=` to compare)"),
    # unquoted codes
    ("line.code == 0001A", "E105", "unquoted code '0001A'", 13, 18, 'codes are strings: write "0001A"'),
    ('line.code in ["97140", 0002M]', "E105", "unquoted code '0002M'", 23, 28, 'codes are strings: write "0002M"'),
    ("12abc", "E105", "unquoted code '12abc'", 0, 5, 'codes are strings: write "12abc"'),
    # unclosed strings
    ('line.code == "97140', "E103", "string is not closed", 13, 19, 'add the closing "'),
    ("line.code == 'J1100", "E103", "string is not closed", 13, 19, "add the closing '"),
    # bad date
    ('date("2024-13-01")', "E104", "not a date: '2024-13-01'", 5, 17, 'write dates as date("YYYY-MM-DD")'),
    # missing ) and unfinished conditions
    ("(a == 1 and b", "E106", "the condition ends too early", 13, 14, "a ')' is missing"),
    ("age(patient.birth_date", "E106", "the condition ends too early", 22, 23, "a ')' is missing"),
    ('any(l in lines where l.code == "x"', "E106", "the condition ends too early", 34, 35, "a ')' is missing"),
    # empty
    ("", "E106", "the condition is empty", 0, 1, None),
    ("   \n  ", "E106", "the condition is empty", 0, 1, None),
    # trailing operators
    ("a and", "E106", "the condition ends too early", 5, 6, "an operand is missing after the last operator"),
    ("a or  ", "E106", "the condition ends too early", 4, 5, "an operand is missing after the last operator"),
    ("line.units +", "E106", "the condition ends too early", 12, 13, "an operand is missing after the last operator"),
    ("line.units >=", "E106", "the condition ends too early", 13, 14,
     "an operand is missing after the last operator"),
    ("not", "E106", "the condition ends too early", 3, 4, "an operand is missing after the last operator"),
    ("x between 1", "E106", "the condition ends too early", 11, 12, "an operand is missing after the last operator"),
    ("line has modifier", "E106", "the condition ends too early", 17, 18,
     "an operand is missing after the last operator"),
    # generic unexpected tokens
    ("a == b)", "E101", "unexpected ')' (expected one of: the end of the condition)", 6, 7, None),
    ("x == 1.2.3", "E101", "unexpected character '1'", 5, 6, None),
])
def test_syntax_errors(text: str, code: str, message: str, start: int, end: int, hint: str | None) -> None:
    with pytest.raises(DslSyntaxError) as e:
        parse(text)
    err = e.value
    assert (err.code, err.message, err.start, err.end, err.hint) == (code, message, start, end, hint)
    assert str(err) == message


def test_unexpected_token_lists_expected() -> None:
    with pytest.raises(DslSyntaxError) as e:
        parse("a +* b")
    assert e.value.code == "E101"
    assert e.value.message.startswith("unexpected '*' (expected one of: ")
    assert (e.value.start, e.value.end) == (3, 4)


def test_doubled_and_points_at_the_keyword() -> None:
    with pytest.raises(DslSyntaxError) as e:
        parse("x and and y")
    assert (e.value.start, e.value.end) == (6, 9)
    assert e.value.hint == "an operand is missing before 'and'"


def test_keyword_is_not_a_name() -> None:
    with pytest.raises(DslSyntaxError):
        parse("and == 1")


def test_single_ampersand_span() -> None:
    with pytest.raises(DslSyntaxError) as e:
        parse("a & b")
    assert (e.value.start, e.value.end) == (2, 3)
