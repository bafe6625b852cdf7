"""Authoring mistakes: each is a small pack on disk; the diagnostic must carry the exact code, message, hint and
file:line:col, and `render()` must show the source line with a caret under the culprit. Every error of every
file comes out of one load, never just the first."""

from __future__ import annotations

import pytest
from claimscrub.api import load_ruleset
from claimscrub.source import Diagnostic, RuleSetError

HEAD = """\
pack:
  name: t.pack
  version: "1"
"""


def rule(when: str, scope: str = "line", rid: str = "R-1", message: str = '"m"', extra: str = "") -> str:
    """One rule as YAML under `rules:`; `when` and `message` are written verbatim (quote them yourself)."""
    return (f"  - id: {rid}\n    title: a rule\n    category: payer.custom\n    severity: error\n"
            f"    scope: {scope}\n    when: {when}\n    message: {message}\n    source: test\n{extra}")


def pack(*rules: str, head: str = HEAD, top: str = "") -> str:
    return head + top + "rules:\n" + "".join(rules)


def errors(write_pack, text: str, name: str = "pack.yaml") -> list[Diagnostic]:
    path = write_pack(text, name)
    with pytest.raises(RuleSetError) as exc:
        load_ruleset([path])
    return exc.value.diagnostics


def where(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of `needle` in `text`."""
    idx = -1
    for _ in range(nth):
        idx = text.index(needle, idx + 1)
    line = text.count("\n", 0, idx) + 1
    col = idx - (text.rfind("\n", 0, idx) + 1) + 1
    return line, col


def check(d: Diagnostic, code: str, message: str, file: str, line: int, col: int, width: int | None = None,
          hint: str | None = ...) -> None:  # type: ignore[assignment]
    assert (d.code, d.message) == (code, message), d.render()
    assert (d.position.file, d.position.line, d.position.col) == (file, line, col), d.render()
    if hint is not ...:
        assert d.hint == hint, d.render()
    rendered = d.render()
    assert rendered.startswith(f"{file}:{line}:{col}: {d.severity}[{code}]: {message}")
    num = str(line)
    src_line, caret_line = rendered.split("\n")[1:3]
    assert src_line == f" {num} | {d.source_line}"
    carets = caret_line[len(num) + 4:]
    assert carets.startswith(" " * (col - 1) + "^")
    if width is not None:
        assert carets == " " * (col - 1) + "^" * width, rendered
    if d.hint:
        assert rendered.endswith(f"= hint: {d.hint}")


def only(diags: list[Diagnostic]) -> Diagnostic:
    assert len(diags) == 1, "\n".join(d.render() for d in diags)
    return diags[0]


# ---- load stage: YAML and schema ----------------------------------------------------------------------------------

def test_bad_yaml_indentation(write_pack) -> None:
    text = pack(rule('line.code == "1"').replace("    title:", "     title:"))
    d = only(errors(write_pack, text))
    check(d, "E001", "bad YAML: mapping values are not allowed here", "pack.yaml", 6, 11, 1,
          "check indentation and quoting; conditions with ':' or '#' need quotes or a block scalar (when: |)")


def test_colon_in_plain_condition_is_bad_yaml(write_pack) -> None:
    text = pack(rule('line.code == "1" and x: 1'))
    d = only(errors(write_pack, text))
    assert d.code == "E001" and d.message == "bad YAML: mapping values are not allowed here"
    assert (d.position.line, d.position.col) == where(text, ": 1")


def test_schema_errors_come_in_document_order(write_pack) -> None:
    """Rule 10's errors after rule 2's, and a rule's own errors top to bottom (not by path text)."""
    rules = [rule('line.code == "1"', rid=f"R-{i}").replace("severity: error", "severity: fatal" if i in (2, 10)
                                                             else "severity: error") for i in range(1, 12)]
    rules[9] = rules[9].replace("title: a rule", "title: ''")
    text = pack(*rules)
    diags = errors(write_pack, text)
    lines = [d.position.line for d in diags]
    assert lines == sorted(lines) and len(diags) == 3
    assert lines == [where(text, "fatal")[0], where(text, "title: ''")[0], where(text, "fatal", 2)[0]]


def test_bad_regular_expression_points_at_the_pattern(write_pack) -> None:
    text = pack(rule("'matches(line.ndc, \"(0-9\") and line.units > 1'"))
    d = only(errors(write_pack, text))
    line, col = where(text, '"(0-9"')
    check(d, "E220", "bad regular expression: missing ), unterminated subpattern at position 0", "pack.yaml",
          line, col, len('"(0-9"'), "Python re syntax; the whole text must match (use .* for 'contains')")


def test_regular_expression_must_be_a_literal(write_pack) -> None:
    d = only(errors(write_pack, pack(rule("matches(line.ndc, line.code)"))))
    assert d.code == "E220" and d.message == "matches() needs the pattern as a quoted string"


def test_remainder_needs_numbers(write_pack) -> None:
    d = only(errors(write_pack, pack(rule("line.date % 7 == 0"))))
    assert d.code == "E205" and d.message.startswith("cannot apply '%' to a date")


def test_if_then_else_branches_must_agree(write_pack) -> None:
    text = pack(rule("""'(if line.units > 1 then "a" else 2) == 1'"""))
    d = only(errors(write_pack, text))
    assert d.code == "E205" and d.message == "the branches of if/then/else differ: a str and a num"
    assert (d.position.line, d.position.col) == where(text, "if line.units")


def test_duplicate_key(write_pack) -> None:
    text = pack(rule('line.code == "1"', extra="    severity: warning\n"))
    d = only(errors(write_pack, text))
    line, col = where(text, "severity", 2)
    check(d, "E002", "duplicate key 'severity' (YAML would silently keep only the last)", "pack.yaml", line, col,
          len("severity"), "remove or rename one of them")


def test_unknown_top_level_key(write_pack) -> None:
    text = pack(rule('line.code == "1"'), top="bogus: 1\n")
    d = only(errors(write_pack, text))
    check(d, "E010", "unknown key 'bogus'", "pack.yaml", 4, 1, 5,
          "allowed keys: pack, parameters, predicates, rules, sets, tables")


def test_unknown_rule_key(write_pack) -> None:
    text = pack(rule('line.code == "1"', extra="    severty: error\n"))
    d = only(errors(write_pack, text))
    line, col = where(text, "severty")
    assert (d.code, d.message, d.position.line, d.position.col) == ("E010", "unknown key 'severty'", line, col)
    assert "severity" in d.hint


def test_missing_required_rule_field(write_pack) -> None:
    text = pack(rule('line.code == "1"').replace("    source: test\n", ""))
    d = only(errors(write_pack, text))
    check(d, "E010", "'source' is required here", "pack.yaml", 5, 5, 1, None)


def test_unknown_category(write_pack) -> None:
    text = pack(rule('line.code == "1"').replace("payer.custom", "coding.bad"))
    d = only(errors(write_pack, text))
    line, col = where(text, "coding.bad")
    check(d, "E010", "unknown category 'coding.bad'", "pack.yaml", line, col, len("coding.bad"),
          "use a category from the vocabulary (README: Categories) or payer.<name>")


def test_bad_severity(write_pack) -> None:
    text = pack(rule('line.code == "1"').replace("severity: error", "severity: fatal"))
    d = only(errors(write_pack, text))
    line, col = where(text, "fatal")
    check(d, "E010", "'fatal' is not one of ['error', 'warning', 'info']", "pack.yaml", line, col, 5,
          "one of: error, warning, info")


# ---- check stage: rule ids ----------------------------------------------------------------------------------------

def test_duplicate_rule_id_in_one_file(write_pack) -> None:
    text = pack(rule('line.code == "1"'), rule('line.code == "2"'))
    d = only(errors(write_pack, text))
    line, col = where(text, "R-1", 2)
    check(d, "E209", "duplicate rule id 'R-1'", "pack.yaml", line, col, 3,
          "rule ids must be unique across the rule set")


def test_duplicate_rule_id_across_files(write_pack) -> None:
    a = write_pack(pack(rule('line.code == "1"', rid="R-SHARED")), "a.yaml")
    text_b = pack(rule('line.code == "2"', rid="R-SHARED"), head=HEAD.replace("t.pack", "t.other"))
    b = write_pack(text_b, "b.yaml")
    with pytest.raises(RuleSetError) as exc:
        load_ruleset([a, b])
    d = only(exc.value.diagnostics)
    line, col = where(text_b, "R-SHARED")
    check(d, "E209", "duplicate rule id 'R-SHARED'", "b.yaml", line, col, len("R-SHARED"))


# ---- names, fields, functions ----------------------------------------------------------------------------------

def test_unknown_name_with_did_you_mean(write_pack) -> None:
    text = pack(rule('linee.code == "1"'))
    d = only(errors(write_pack, text))
    line, col = where(text, "linee")
    check(d, "E201", "unknown name 'linee'", "pack.yaml", line, col, 5, "did you mean 'line' or 'lines'?")


def test_function_used_as_name(write_pack) -> None:
    text = pack(rule("age > 1"))
    d = only(errors(write_pack, text))
    check(d, "E201", "unknown name 'age'", "pack.yaml", *where(text, "age >"), 3, "age is a function: call it as age(...)")


def test_unknown_field_on_line_with_suggestion(write_pack) -> None:
    text = pack(rule('line.cod == "1"'))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'cod' on line", "pack.yaml", *where(text, "cod "), 3, "did you mean 'code'?")


def test_unknown_field_without_close_match_lists_fields(write_pack) -> None:
    text = pack(rule("payer.zzzz is null"))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'zzzz' on payer", "pack.yaml", *where(text, "zzzz"), 4, "fields: id, name")


def test_field_access_on_a_list(write_pack) -> None:
    text = pack(rule('lines.code == "1"', scope="claim"))
    d = only(errors(write_pack, text))
    check(d, "E202", "list of line has no field 'code'", "pack.yaml", *where(text, "code =="), 4,
          "lines is a list: use any(x in lines where x.code ...)")


def test_unknown_function(write_pack) -> None:
    text = pack(rule("agee(patient.birth_date) > 1"), rule("frobnicate(line)", rid="R-2"))
    d1, d2 = errors(write_pack, text)
    check(d1, "E203", "unknown function 'agee'", "pack.yaml", *where(text, "agee"), 4, "did you mean 'age'?")
    check(d2, "E203", "unknown function 'frobnicate'", "pack.yaml", *where(text, "frobnicate"), 10, None)


def test_wrong_arity(write_pack) -> None:
    text = pack(rule("npi_valid() or startswith(line.code)"))
    d1, d2 = errors(write_pack, text)
    check(d1, "E204", "npi_valid() takes 1 argument, got 0", "pack.yaml", *where(text, "npi_valid"), 11,
          "NPI is 10 digits with a valid Luhn check digit (prefix 80840).")
    check(d2, "E204", "startswith() takes 2 arguments, got 1", "pack.yaml", *where(text, "startswith"),
          len("startswith(line.code)"), "The text starts with the prefix.")


def test_type_error_code_compared_with_number(write_pack) -> None:
    text = pack(rule("line.code == 99213"))
    d = only(errors(write_pack, text))
    check(d, "E205", "cannot compare a str with a num", "pack.yaml", *where(text, "line.code"),
          len("line.code == 99213"), 'codes are strings: write "99213"')


def test_type_error_leading_zero_code_keeps_the_text(write_pack) -> None:
    text = pack(rule("line.code != 0001"))
    d = only(errors(write_pack, text))
    assert (d.code, d.hint) == ("E205", 'codes are strings: write "0001"')


def test_number_passed_for_a_code_argument(write_pack) -> None:
    text = pack(rule('startswith(line.code, 99) and line.units > 0'))
    d = only(errors(write_pack, text))
    check(d, "E205", "startswith() expects a str here, got a num", "pack.yaml", *where(text, "99)"), 2,
          'codes are strings: write "99"')


def test_comparison_with_null_via_equals(write_pack) -> None:
    text = pack(rule("line.charge == null"))
    d = only(errors(write_pack, text))
    check(d, "E205", "comparing with null using '==' is never true", "pack.yaml", *where(text, "line.charge"),
          len("line.charge == null"), "write `x is null` or `x is not null`")


def test_unknown_parameter(write_pack) -> None:
    top = "parameters:\n  unit_limit: {type: int, default: 4}\n"
    text = pack(rule("line.units > param.unit_limt"), rule("line.units > param.nothing_like_it", rid="R-2"),
                top=top)
    d1, d2 = errors(write_pack, text)
    check(d1, "E206", "unknown parameter 'unit_limt'", "pack.yaml", *where(text, "unit_limt"), 9,
          "did you mean 'unit_limit'?")
    check(d2, "E206", "unknown parameter 'nothing_like_it'", "pack.yaml", *where(text, "nothing_like_it"), 15,
          "declare it under `parameters:` in the pack")


def test_param_without_name(write_pack) -> None:
    text = pack(rule("param > 1"))
    d = only(errors(write_pack, text))
    check(d, "E206", "`param` needs a parameter name: param.NAME", "pack.yaml", *where(text, "param >"), 5, None)


def test_bad_parameter_default(write_pack) -> None:
    top = "parameters:\n  limit: {type: int, default: \"four\"}\n"
    text = pack(rule("line.units > param.limit"), top=top)
    d = only(errors(write_pack, text))
    check(d, "E215", "default of parameter 'limit' is not a int", "pack.yaml", *where(text, '"four"'), 6, None)


# ---- sets ---------------------------------------------------------------------------------------------------------

def test_unknown_named_set_in_set_literal(write_pack) -> None:
    top = 'sets:\n  EM: ["99202..99215"]\n'
    text = pack(rule('line.code in {"A", EMM}'), top=top)
    d = only(errors(write_pack, text))
    check(d, "E201", "unknown name 'EMM'", "pack.yaml", *where(text, "EMM"), 3, "did you mean 'EM'?")


def test_name_in_set_literal_that_is_not_a_set(write_pack) -> None:
    text = pack(rule('line.code in {"A", line}'))
    d = only(errors(write_pack, text))
    check(d, "E207", "'line' is not a named set", "pack.yaml", *where(text, "line}"), 4, None)


def test_bad_code_range_in_condition(write_pack) -> None:
    text = pack(rule('line.code in {"99215".."99202", "J01".."J0100"}'))
    d1, d2 = errors(write_pack, text)
    msg = "bad range {}: ends must have the same length and low <= high"
    check(d1, "E210", msg.format("'99215'..'99202'"), "pack.yaml", *where(text, '"99215"'),
          len('"99215".."99202"'))
    check(d2, "E210", msg.format("'J01'..'J0100'"), "pack.yaml", *where(text, '"J01"'), len('"J01".."J0100"'))


def test_bad_code_range_and_non_string_in_named_set(write_pack) -> None:
    top = 'sets:\n  EM: ["99215..99202", 5]\n'
    text = pack(rule('line.code in EM'), top=top)
    diags = errors(write_pack, text)
    assert [d.code for d in diags] == ["E010", "E210", "E216"]
    check(diags[1], "E210", "bad range '99215..99202': ends must have the same length and low <= high",
          "pack.yaml", *where(text, '"99215..99202"'), len('"99215..99202"'))
    check(diags[2], "E216", "set 'EM' item is not a code string", "pack.yaml", *where(text, "5]"), 1,
          'quote codes: "0001A"')


# ---- tables, booleans, templates ----------------------------------------------------------------------------------

def test_unknown_table_in_lookup(write_pack) -> None:
    top = "tables:\n  prior_auth: codes that need prior authorization\n"
    text = pack(rule('lookup("prior_autj", line.code) is not null'), rule(
        'in_table("zzz", line.code)', rid="R-2"), top=top)
    d1, d2 = errors(write_pack, text)
    check(d1, "E208", "unknown table 'prior_autj'", "pack.yaml", *where(text, '"prior_autj"'), 12,
          "did you mean 'prior_auth'?")
    check(d2, "E208", "unknown table 'zzz'", "pack.yaml", *where(text, '"zzz"'), 5,
          "declare it under `tables:` in the pack")


def test_table_name_must_be_a_literal(write_pack) -> None:
    text = pack(rule("lookup(line.code, line.code) is not null"))
    d = only(errors(write_pack, text))
    check(d, "E208", "lookup() needs the table name as a quoted string", "pack.yaml", *where(text, "line.code,"),
          9, None)


def test_condition_not_boolean(write_pack) -> None:
    text = pack(rule("line.units + 1"))
    d = only(errors(write_pack, text))
    check(d, "E214", "the condition is a num, not true/false", "pack.yaml", *where(text, "line.units"), 14,
          "compare it with something, e.g. `... > 0` or `... is not null`")


def test_and_of_non_boolean(write_pack) -> None:
    text = pack(rule('line.code and line.units > 1'))
    d = only(errors(write_pack, text))
    check(d, "E205", "expected true/false, got a str", "pack.yaml", *where(text, "line.code"), 9,
          "compare it, e.g. `... > 0`, `... is not null`, `... in {...}`")


def test_template_placeholder_with_unknown_name(write_pack) -> None:
    text = pack(rule('line.code == "1"', message='"Line {lin.number} has {line.code}"'))
    d = only(errors(write_pack, text))
    check(d, "E213", "unknown name 'lin'", "pack.yaml", *where(text, "lin."), 3,
          "did you mean 'line' or 'lines'?; write {{ and }} for literal braces")


def test_template_unknown_field_in_fix(write_pack) -> None:
    text = pack(rule('line.code == "1"', extra='    fix: "drop line {line.numbr}"\n'))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'numbr' on line", "pack.yaml", *where(text, "numbr"), 5,
          "did you mean 'number'?")


def test_unclosed_template_brace(write_pack) -> None:
    text = pack(rule('line.code == "1"', message='"x {line.number"'))
    d = only(errors(write_pack, text))
    check(d, "E107", "'{' is not closed", "pack.yaml", *where(text, "{line.number"), len("{line.number"),
          "close the placeholder with '}' or write '{{' for a brace")


def test_template_witness_of_any_is_usable(load_pack) -> None:
    text = pack(rule('any(l in lines where l.code == "J1100")', scope="claim", message='"drug on line {l.number}"'))
    rs = load_pack(text)
    assert rs.rules[0].witnesses and "l" in rs.rules[0].witnesses


# ---- predicates and lets -------------------------------------------------------------------------------------------

def test_predicate_recursion(write_pack) -> None:
    top = "predicates:\n  loops(x): loops(x)\n"
    text = pack(rule("loops(line)"), top=top)
    d = only(errors(write_pack, text))
    check(d, "E212", "predicate 'loops' refers to itself", "pack.yaml", *where(text, "loops(x)", 2), 8, None)


def test_mutual_predicate_recursion(write_pack) -> None:
    top = "predicates:\n  p(x): q(x)\n  q(x): p(x)\n"
    text = pack(rule("p(line)"), top=top)
    d = only(errors(write_pack, text))
    check(d, "E212", "predicate 'p' refers to itself", "pack.yaml", *where(text, "p(x)", 2), 4, None)


def test_predicate_wrong_arity(write_pack) -> None:
    top = "predicates:\n  is_em(l): l.code in {\"99213\"}\n"
    text = pack(rule("is_em(line, line)"), top=top)
    d = only(errors(write_pack, text))
    check(d, "E204", "predicate is_em() takes 1 argument(s), got 2", "pack.yaml", *where(text, "is_em(line"),
          len("is_em(line, line)"), None)


def test_predicate_hiding_a_builtin(write_pack) -> None:
    top = "predicates:\n  age(x): x.units > 1\n"
    text = pack(rule('line.code == "1"'), top=top)
    d = only(errors(write_pack, text))
    check(d, "E211", "predicate 'age' hides a built-in name", "pack.yaml", *where(text, "age(x)"), 6, None)


def test_let_hiding_a_scope_variable(write_pack) -> None:
    text = pack(rule('line.code == "1"', extra='    let:\n      line: claim.claim_id\n'))
    diags = errors(write_pack, text)
    check(diags[0], "E211", "let 'line' hides another name", "pack.yaml", *where(text, "line: claim"), 4, None)


def test_quantifier_variable_hiding_a_name(write_pack) -> None:
    text = pack(rule('any(line in lines where line.code == "1")'))
    d = only(errors(write_pack, text))
    check(d, "E211", "'line' hides another name", "pack.yaml", *where(text, "line in"), 4, "pick another name")


def test_in_a_string(write_pack) -> None:
    text = pack(rule('line.code in "J1100"'))
    d = only(errors(write_pack, text))
    check(d, "E205", "`in` a text is not supported", "pack.yaml", *where(text, '"J1100"'), 7,
          'use startswith(text, prefix) or a code set with a pattern: {"J*"}')


def test_effective_from_after_to(write_pack) -> None:
    text = pack(rule('line.code == "1"', extra='    effective: {from: "2026-06-01", to: "2026-01-01"}\n'))
    d = only(errors(write_pack, text))
    check(d, "E217", "effective `from` is after `to`", "pack.yaml", *where(text, "{from"), None, None)


# ---- positions inside YAML scalar styles -------------------------------------------------------------------------

def test_error_inside_literal_block_scalar(write_pack) -> None:
    text = pack(rule('|\n      line.code == "1"\n        and line.unitz > 1\n'))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'unitz' on line", "pack.yaml", *where(text, "unitz"), 5, "did you mean 'units'?")
    assert d.source_line == "        and line.unitz > 1"


def test_syntax_error_inside_literal_block_scalar(write_pack) -> None:
    text = pack(rule('|\n      line.units > 1\n      and line.code = "1"\n'))
    d = only(errors(write_pack, text))
    check(d, "E102", "unexpected '=': comparison is '=='", "pack.yaml", *where(text, '= "1"'), 1,
          "write `a == b` to compare")


def test_error_inside_folded_scalar(write_pack) -> None:
    text = pack(rule('>-\n      line.code == "1" and\n      line.unitz > 1 and\n      line.units > 0\n'))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'unitz' on line", "pack.yaml", *where(text, "unitz"), 5, "did you mean 'units'?")


def test_error_inside_double_quoted_scalar_with_escapes(write_pack) -> None:
    text = pack(rule(r'"line.code == \"1\" and line.unitz > 1"'))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'unitz' on line", "pack.yaml", *where(text, "unitz"), 5)


def test_error_on_continuation_line_of_double_quoted_scalar(write_pack) -> None:
    text = pack(rule('"line.code == \\"1\\" and\n      line.unitz > 1"'))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'unitz' on line", "pack.yaml", *where(text, "unitz"), 5)


def test_error_inside_single_quoted_scalar_with_doubled_quote(write_pack) -> None:
    text = pack(rule("'line.code == \"it''s\" and line.unitz > 1'"))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'unitz' on line", "pack.yaml", *where(text, "unitz"), 5)


def test_error_inside_predicate_body(write_pack) -> None:
    top = "predicates:\n  is_em(l): l.kode in {\"99213\"}\n"
    text = pack(rule("is_em(line)"), top=top)
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'kode' on line", "pack.yaml", *where(text, "kode"), 4, "did you mean 'code'?")


def test_error_inside_let(write_pack) -> None:
    text = pack(rule("total > 1", extra="    let:\n      total: sum(l.unitz for l in lines)\n"))
    d = only(errors(write_pack, text))
    check(d, "E202", "unknown field 'unitz' on line", "pack.yaml", *where(text, "unitz"), 5, "did you mean 'units'?")


# ---- every error at once ---------------------------------------------------------------------------------------------

def test_all_errors_of_a_file_in_one_run(write_pack) -> None:
    text = pack(
        rule('line.cod == "1"'),
        rule("foo(line)", rid="R-2"),
        rule('line.code == "1"', rid="R-3", message='"{nope}"'),
        rule("line.units", rid="R-4"),
        rule('line.code = "1"', rid="R-5"),
        top="bogus: true\n",
    )
    diags = errors(write_pack, text)
    assert [d.code for d in diags] == ["E010", "E202", "E203", "E213", "E214", "E102"]
    assert [d.position.line for d in diags] == sorted(d.position.line for d in diags)
    assert all(d.position.file == "pack.yaml" for d in diags)


def test_all_errors_of_several_files_in_one_run(write_pack) -> None:
    a = write_pack(pack(rule('line.cod == "1"'), rule("foo()", rid="R-2")), "a.yaml")
    b_text = pack(rule('line.code == "1"'), rule("line.units == null", rid="R-3"),
                  head=HEAD.replace("t.pack", "t.b"))
    b = write_pack(b_text, "b.yaml")
    c = write_pack("pack: [unclosed\n", "c.yaml")
    with pytest.raises(RuleSetError) as exc:
        load_ruleset([a, b, c])
    got = [(d.position.file, d.code) for d in exc.value.diagnostics]
    assert got == [("a.yaml", "E202"), ("a.yaml", "E203"), ("b.yaml", "E209"), ("b.yaml", "E205"),
                   ("c.yaml", "E001")]
    rendered = str(exc.value)
    assert rendered.count("error[") == 5
    assert "a.yaml:" in rendered and "b.yaml:" in rendered and "c.yaml:" in rendered


def test_directory_of_packs_reports_every_file(write_pack, tmp_path) -> None:
    write_pack(pack(rule('line.cod == "1"')), "one.yaml")
    write_pack(pack(rule("foo()", rid="R-9"), head=HEAD.replace("t.pack", "t.two")), "two.yaml")
    with pytest.raises(RuleSetError) as exc:
        load_ruleset([tmp_path])
    assert sorted(d.code for d in exc.value.diagnostics) == ["E202", "E203"]


def test_same_pack_name_in_two_files(write_pack) -> None:
    a = write_pack(pack(rule('line.code == "1"')), "a.yaml")
    b = write_pack(pack(rule('line.code == "2"', rid="R-2")), "b.yaml")
    with pytest.raises(RuleSetError) as exc:
        load_ruleset([a, b])
    d = only(exc.value.diagnostics)
    assert (d.code, d.message, d.position.file) == ("E011", "pack name 't.pack' is also used by a.yaml", "b.yaml")


def test_a_clean_pack_loads(load_pack) -> None:
    rs = load_pack(pack(rule('line.code == "1"')))
    assert [r.id for r in rs.rules] == ["R-1"]


def test_number_in_code_set_gets_the_quote_hint(load_pack) -> None:
    """An unquoted code inside a set literal is a checker error with a fix, not a generic syntax error."""
    from claimscrub.source import RuleSetError

    text = """pack: {name: t.num, version: "1"}
rules:
  - id: N1
    title: numbers
    category: payer.custom
    severity: info
    scope: line
    when: line.code in {99213, "99214"}
    message: "x"
    source: xyz
"""
    with pytest.raises(RuleSetError) as e:
        load_pack(text)
    (d,) = e.value.diagnostics
    assert (d.code, d.position.line, d.position.col, d.hint) == ("E216", 8, 25, 'write "99213"')
