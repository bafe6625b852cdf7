"""Evaluate stage: index dispatch, effective dates, parameters, scopes, explained findings (evidence, PHI,
messages), runtime errors mapped to YAML positions, determinism, and one result per input claim."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from claimscrub.api import Scrubber, load_ruleset, summarize
from claimscrub.evaluator import Engine, RuleRuntimeError
from claimscrub.inputs import InputItem
from claimscrub.model import Claim

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 6, 30)

HEAD = """\
pack:
  name: t.eval
  version: "3"
parameters:
  unit_limit: {type: int, default: 4}
  payer_codes: {type: codes, default: ["97110"]}
sets:
  EM: ["99202..99215"]
"""


def rule(rid: str, scope: str, when: str, message: str | None = None, extra: str = "") -> str:
    message = message or f"{rid} fired"
    return (f"  - id: {rid}\n    title: rule {rid}\n    category: payer.custom\n    severity: error\n"
            f"    scope: {scope}\n    when: '{when}'\n    message: '{message}'\n    source: test\n{extra}")


def pack(*rules: str, head: str = HEAD) -> str:
    return head + "rules:\n" + "".join(rules)


def claim(lines: list[dict] | None = None, **kw) -> Claim:
    data = {"claim_id": kw.pop("claim_id", "C1"), "lines": lines or [], **kw}
    for ln in data["lines"]:
        ln.setdefault("service_date_from", "2026-03-02")
    return Claim.model_validate(data)


def count_calls(engine: Engine) -> dict[str, list[tuple]]:
    """Wrap every compiled function so each call records its scope arguments (line/dx codes)."""
    calls: dict[str, list[tuple]] = {r.id: [] for r in engine.rules}

    def wrap(r, fn):
        def wrapped(*args):
            calls[r.id].append(tuple(getattr(a, "code", None) for a in args[1:-1]))
            return fn(*args)
        return wrapped

    engine.instrument(wrap)
    return calls


# ---- index dispatch ----------------------------------------------------------------------------------------------

DISPATCH = pack(
    rule("EXACT", "line", 'line.code == "97140"'),
    rule("PREFIX", "line", 'line.code in {"J*"}'),
    rule("RANGE", "line", "line.code in EM"),
    rule("ODD-RANGE", "line", 'line.code in {"A0A".."A9Z"}'),
    rule("MODIFIER", "line", 'line has modifier "59"'),
    rule("UNKEYED", "line", "line.units > 100"),
    rule("DX-RANGE", "diagnosis", 'dx.code in {"E08".."E13"}'),
    rule("CLAIM-KEYED", "claim", 'any(l in lines where l.code == "G0121")'),
)


@pytest.fixture
def dispatch_engine(load_pack):
    return Engine(load_pack(DISPATCH))


def test_keyed_rules_run_only_on_matching_codes(dispatch_engine) -> None:
    calls = count_calls(dispatch_engine)
    c = claim([{"code": "99213"}, {"code": "97140"}, {"code": "J1100"}, {"code": "99216"}, {"code": "A1B"},
               {"code": "97110", "modifiers": ["59"]}, {"code": "J3490"}, {"code": "99201"}],
              diagnoses=[{"code": "E11.9"}, {"code": "I10"}, {"code": "E13.10"}])
    findings = dispatch_engine.evaluate(c, AS_OF)
    assert calls["EXACT"] == [("97140",)]
    assert calls["PREFIX"] == [("J1100",), ("J3490",)]
    assert calls["RANGE"] == [("99213",)]
    assert calls["ODD-RANGE"] == [("A1B",)]
    assert calls["MODIFIER"] == [("97110",)]
    assert len(calls["UNKEYED"]) == 8
    assert calls["DX-RANGE"] == [("E11.9",), ("E13.10",)]
    assert calls["CLAIM-KEYED"] == []
    fired = sorted((f["rule_id"], tuple(f["codes"])) for f in findings)
    assert fired == [("DX-RANGE", ("E11.9",)), ("DX-RANGE", ("E13.10",)), ("EXACT", ("97140",)),
                     ("MODIFIER", ("97110",)), ("ODD-RANGE", ("A1B",)), ("PREFIX", ("J1100",)),
                     ("PREFIX", ("J3490",)), ("RANGE", ("99213",))]


def test_claim_rule_keyed_on_line_codes(dispatch_engine) -> None:
    calls = count_calls(dispatch_engine)
    findings = dispatch_engine.evaluate(claim([{"code": "G0121"}, {"code": "G0121"}]), AS_OF)
    assert calls["CLAIM-KEYED"] == [()]
    (f,) = [f for f in findings if f["rule_id"] == "CLAIM-KEYED"]
    assert f["lines"] == [1] and f["codes"] == ["G0121"]


def test_keyed_rule_on_a_claim_without_matching_codes_never_runs(dispatch_engine) -> None:
    calls = count_calls(dispatch_engine)
    assert dispatch_engine.evaluate(claim([{"code": "80053"}] * 3), AS_OF) == []
    assert {k: len(v) for k, v in calls.items() if v} == {"UNKEYED": 3}


# ---- effective dates, parameters ------------------------------------------------------------------------------------

EFFECTIVE = pack(
    rule("LINE-DATED", "line", 'line.code == "97140"', extra='    effective: {from: "2026-01-01", to: "2026-06-30"}\n'),
    rule("CLAIM-DATED", "claim", "count(l in lines) > 0", extra='    effective: {from: "2026-04-01"}\n'),
)


@pytest.mark.parametrize("dos, line_fires, claim_fires", [
    ("2025-12-31", False, False),
    ("2026-01-01", True, False),
    ("2026-03-31", True, False),
    ("2026-04-01", True, True),
    ("2026-06-30", True, True),
    ("2026-07-01", False, True),
])
def test_effective_dates_by_date_of_service(load_pack, dos: str, line_fires: bool, claim_fires: bool) -> None:
    engine = Engine(load_pack(EFFECTIVE))
    fired = {f["rule_id"] for f in engine.evaluate(claim([{"code": "97140", "service_date_from": dos}]), AS_OF)}
    assert fired == {rid for rid, on in (("LINE-DATED", line_fires), ("CLAIM-DATED", claim_fires)) if on}


def test_effective_dates_per_line(load_pack) -> None:
    engine = Engine(load_pack(EFFECTIVE))
    c = claim([{"code": "97140", "service_date_from": "2025-12-15"}, {"code": "97140", "service_date_from": "2026-02-01"}])
    assert [(f["rule_id"], f["lines"]) for f in engine.evaluate(c, AS_OF)] == [("LINE-DATED", [2])]


def test_claim_rule_uses_earliest_line_date(load_pack) -> None:
    engine = Engine(load_pack(EFFECTIVE))
    c = claim([{"code": "80053", "service_date_from": "2026-05-01"}, {"code": "80053", "service_date_from": "2026-03-01"}])
    assert engine.evaluate(c, AS_OF) == []


PARAMS = pack(rule("UNITS", "line", "line.units > param.unit_limit and line.code in param.payer_codes"))


def test_params_default_and_override(load_pack, write_pack) -> None:
    c = claim([{"code": "97110", "units": 3}, {"code": "97140", "units": 9}])
    assert Engine(load_pack(PARAMS)).evaluate(c, AS_OF) == []
    path = write_pack(PARAMS)
    rs = load_ruleset([path], params={"unit_limit": 2})
    assert rs.params["t.eval.unit_limit"] == 2
    assert [f["lines"] for f in Engine(rs).evaluate(c, AS_OF)] == [[1]]
    rs = load_ruleset([path], params={"t.eval.unit_limit": "2", "payer_codes": ["97140", "97110"]})
    assert rs.params["t.eval.unit_limit"] == "2" or rs.params["t.eval.unit_limit"] == 2
    rs = load_ruleset([path], params={"t.eval.unit_limit": 2, "payer_codes": ["971*"]})
    assert [f["lines"] for f in Engine(rs).evaluate(c, AS_OF)] == [[1], [2]]
    with pytest.raises(KeyError, match="unknown parameter 'nope'"):
        load_ruleset([path], params={"nope": 1})
    with pytest.raises(KeyError):
        load_ruleset([path], params={"other.pack.unit_limit": 1})


def test_params_change_the_ruleset_hash(write_pack) -> None:
    path = write_pack(PARAMS)
    assert load_ruleset([path]).sha256 != load_ruleset([path], params={"unit_limit": 2}).sha256
    assert load_ruleset([path]).sha256 == load_ruleset([path]).sha256


# ---- scopes ---------------------------------------------------------------------------------------------------------

def test_pair_scope_visits_every_ordered_pair_in_order(load_pack) -> None:
    engine = Engine(load_pack(pack(rule("PAIR", "pair", "a.code == b.code", "lines {a.number} and {b.number}"))))
    seen: list[tuple[int, int]] = []
    engine.instrument(lambda _rule, fn: lambda cl, a, b, X: seen.append((a.number, b.number)) or fn(cl, a, b, X))
    c = claim([{"code": "97110"}, {"code": "97110"}, {"code": "80053"}, {"code": "97110"}])
    findings = engine.evaluate(c, AS_OF)
    assert seen == [(i, j) for i in range(1, 5) for j in range(1, 5) if i != j]
    # findings sort by (lowest line, rule order, lines)
    assert [f["lines"] for f in findings] == [[1, 2], [1, 4], [2, 1], [4, 1], [2, 4], [4, 2]]
    assert findings[0]["message"] == "lines 1 and 2"
    assert findings[0]["codes"] == ["97110"]


def test_pair_rule_keyed_on_b(load_pack) -> None:
    engine = Engine(load_pack(pack(rule("PAIR-B", "pair", 'a.code in EM and b.code == "97140"'))))
    calls = count_calls(engine)
    c = claim([{"code": "99213"}, {"code": "97140"}, {"code": "97110"}, {"code": "97140"}])
    findings = engine.evaluate(c, AS_OF)
    assert sorted(calls["PAIR-B"]) == sorted([(a, "97140") for a in ("99213", "97140", "97110")] * 2)
    assert [f["lines"] for f in findings] == [[1, 2], [1, 4]]


def test_pair_rule_keyed_on_a_only_visits_pairs_of_matching_a(load_pack) -> None:
    engine = Engine(load_pack(pack(rule("PAIR-A", "pair", 'a.code == "97110" and b.units > 1'))))
    calls = count_calls(engine)
    c = claim([{"code": "99213", "units": 2}, {"code": "97110"}, {"code": "97140", "units": 3},
               {"code": "97110", "units": 2}])
    findings = engine.evaluate(c, AS_OF)
    assert sorted(calls["PAIR-A"]) == sorted([("97110", b) for b in ("99213", "97140", "97110")] +
                                             [("97110", b) for b in ("99213", "97110", "97140")])
    assert [f["lines"] for f in findings] == [[2, 1], [4, 1], [2, 3], [2, 4], [4, 3]]  # by lowest line


def test_diagnosis_scope(load_pack) -> None:
    engine = Engine(load_pack(pack(rule("DX", "diagnosis", 'dx.code in {"E11*"}', "dx {dx.code} at {dx.position}"))))
    c = claim([{"code": "99213", "diagnosis_pointers": [2, 1]}, {"code": "97110", "diagnosis_pointers": [1]},
               {"code": "80053", "diagnosis_pointers": [3]}],
              diagnoses=[{"code": "I10"}, {"code": "E119"}, {"code": "E11.65"}])
    findings = engine.evaluate(c, AS_OF)
    assert [(f["codes"], f["lines"], f["message"]) for f in findings] == [
        (["E11.9"], [1], "dx E11.9 at 2"), (["E11.65"], [3], "dx E11.65 at 3")]
    assert findings[0]["evidence"]["bindings"]["dx"] == {"position": 2, "code": "E11.9"}


# ---- evidence, PHI, messages ---------------------------------------------------------------------------------------

PEDS = pack(rule(
    "PEDS", "line", 'line.code in EM and age(patient.birth_date, line.date) < 18 and line has modifier "25"',
    "Line {line.number} ({line.code}): age {age(patient.birth_date, line.date)}, born {patient.birth_date}, "
    "mods {line.modifiers}, {{literal}}, prior auth {line.prior_authorization}, {line}",
    extra="    fix: \"Review {line.code} for member {subscriber.member_id}\"\n"
          "    let:\n      years: age(patient.birth_date, line.date)\n"
          "    denial: {group: CO, carc: \"6\", rarc: [N115]}\n"))


@pytest.fixture
def peds_claim() -> Claim:
    return claim([{"code": "80053"}, {"code": "99214", "modifiers": ["25", "59"], "charge": "125.50", "units": 1}],
                 patient={"birth_date": "2015-05-05", "sex": "F", "id": "P-9"},
                 subscriber={"member_id": "M-123"})


def test_evidence_bindings_and_conditions(load_pack, peds_claim) -> None:
    (f,) = Engine(load_pack(PEDS)).evaluate(peds_claim, AS_OF)
    ev = f["evidence"]
    assert ev["bindings"] == {
        "line": {"number": 2, "code": "99214", "modifiers": ["25", "59"], "units": 1, "date": "2026-03-02",
                 "charge": 125.5},
        "years": 10,
    }
    assert ev["conditions"] == [
        {"expr": "line.code in EM", "value": True, "values": {"line.code": "99214", "EM": ["99202..99215"]}},
        {"expr": "age(patient.birth_date, line.date) < 18", "value": True,
         "values": {"age(patient.birth_date, line.date)": 10}},
        {"expr": 'line has modifier "25"', "value": True, "values": {"line.modifiers": ["25", "59"]}},
    ]
    assert "tables" not in ev and "warning" not in ev


def test_finding_fields_and_rendering(load_pack, peds_claim) -> None:
    (f,) = Engine(load_pack(PEDS)).evaluate(peds_claim, AS_OF)
    assert f["message"] == ("Line 2 (99214): age 10, born [redacted], mods 25, 59, {literal}, prior auth (none), "
                            "line 2 (99214)")
    assert f["fix"] == "Review 99214 for member [redacted]"
    assert (f["rule_id"], f["title"], f["category"], f["severity"]) == ("PEDS", "rule PEDS", "payer.custom", "error")
    assert f["lines"] == [2] and f["codes"] == ["99214"]
    assert f["denial"] == {"group": "CO", "carc": "6", "rarc": ["N115"]}
    assert f["pack"] == {"name": "t.eval", "version": "3"}
    assert f["rule_location"] == "pack.yaml:10:9"
    assert f["source"] == "test"


def test_phi_redaction_in_evidence(load_pack) -> None:
    text = pack(rule("DOB", "claim", 'patient.birth_date > date("2000-01-01") and patient.sex == "F"',
                     "born {patient.birth_date}, patient {patient}"))
    c = claim([{"code": "99213"}], patient={"birth_date": "2015-05-05", "sex": "F"})
    (f,) = Engine(load_pack(text)).evaluate(c, AS_OF)
    cond = f["evidence"]["conditions"][0]
    assert cond == {"expr": 'patient.birth_date > date("2000-01-01")', "value": True,
                    "values": {"patient.birth_date": "[redacted]"}}
    assert f["message"] == "born [redacted], patient sex F, birth_date [redacted]"
    assert "2015" not in json.dumps(f)
    (shown,) = Engine(load_pack(text, name="shown.yaml"), show_phi=True).evaluate(c, AS_OF)
    assert shown["evidence"]["conditions"][0]["values"] == {"patient.birth_date": "2015-05-05"}
    assert shown["message"].startswith("born 2015-05-05, patient sex F")


def test_phi_redaction_through_let(load_pack) -> None:
    text = pack(rule("DOB-LET", "line", "dob is not null", "born {dob}",
                     extra="    let:\n      dob: patient.birth_date\n"))
    c = claim([{"code": "99213"}], patient={"birth_date": "2015-05-05"})
    (f,) = Engine(load_pack(text)).evaluate(c, AS_OF)
    assert "2015-05-05" not in json.dumps(f)


def test_any_witness_in_bindings_and_message(load_pack) -> None:
    text = pack(rule("DRUG", "claim", 'any(l in lines where l.code in {"J*"}) and count(d in diagnoses) == 0',
                     "drug on line {l.number} ({l.code}) without a diagnosis"))
    (f,) = Engine(load_pack(text)).evaluate(claim([{"code": "80053"}, {"code": "J1100", "units": 2}]), AS_OF)
    assert f["message"] == "drug on line 2 (J1100) without a diagnosis"
    assert f["lines"] == [2] and f["codes"] == ["J1100"]
    assert f["evidence"]["bindings"]["l"]["code"] == "J1100"
    any_cond = f["evidence"]["conditions"][0]
    assert any_cond["expr"] == 'any(l in lines where l.code in {"J*"})'
    assert any_cond["values"]["l"]["number"] == 2


def test_findings_sorted_by_line_then_rule_order(load_pack) -> None:
    text = pack(rule("SECOND", "line", "line.units > 1"), rule("FIRST", "line", 'line.code == "97110"'),
                rule("CLAIMWIDE", "claim", "count(l in lines) > 1"))
    c = claim([{"code": "97110", "units": 2}, {"code": "97110", "units": 3}])
    findings = Engine(load_pack(text)).evaluate(c, AS_OF)
    assert [(f["rule_id"], f["lines"]) for f in findings] == [
        ("CLAIMWIDE", []), ("SECOND", [1]), ("FIRST", [1]), ("SECOND", [2]), ("FIRST", [2])]


# ---- runtime errors ------------------------------------------------------------------------------------------------

def test_runtime_error_maps_to_the_rule_position(load_pack) -> None:
    text = pack(rule("OK", "line", "line.units > 0"), rule("BOOM", "line", "line.date + 3000000 > as_of"))
    engine = Engine(load_pack(text))
    with pytest.raises(RuleRuntimeError) as exc:
        engine.evaluate(claim([{"code": "99213"}]), AS_OF)
    err = exc.value
    assert err.rule.id == "BOOM"
    assert isinstance(err.exc, OverflowError)
    assert str(err.position) == "pack.yaml:23:12"  # the second rule's `when`, inside the quotes
    assert str(err).startswith("rule BOOM failed at pack.yaml:23:12: OverflowError:")


def test_runtime_error_becomes_one_error_result(load_pack) -> None:
    text = pack(rule("BOOM", "line", "line.date + 3000000 > as_of"))
    scrubber = Scrubber(load_pack(text), as_of=AS_OF)
    good = claim([{"code": "99213", "service_date_from": None}], claim_id="ok")
    bad = claim([{"code": "99213"}], claim_id="bad")
    results = list(scrubber.scrub_items([InputItem(good, {"index": 0}), InputItem(bad, {"index": 1})]))
    assert [r["status"] for r in results] == ["clean", "error"]
    assert results[1]["claim_id"] == "bad" and results[1]["findings"] == []
    assert results[1]["error"]["message"].startswith("rule BOOM failed: OverflowError:")
    assert results[1]["error"]["location"] == "pack.yaml:15:12"


class BrokenTables:
    def has(self, kind: str) -> bool:
        return True

    def mue(self, *args):
        raise ConnectionError("table store offline")


def test_table_failure_is_a_mapped_runtime_error(load_pack) -> None:
    text = pack(rule("MUE", "line", "mue(line.code) is not null and line.units > mue(line.code).value"))
    scrubber = Scrubber(load_pack(text), tables=BrokenTables(), as_of=AS_OF)
    (r,) = scrubber.scrub_items([InputItem(claim([{"code": "97110"}]), {})])
    assert r["status"] == "error"
    assert r["error"] == {"message": "rule MUE failed: ConnectionError: table store offline",
                          "location": "pack.yaml:15:12"}


def test_rules_needing_missing_tables_are_skipped(load_pack) -> None:
    text = pack(rule("MUE", "line", "mue(line.code) is not null"), rule("PLAIN", "line", "line.units > 0"))
    scrubber = Scrubber(load_pack(text), as_of=AS_OF)
    assert scrubber.engine.skipped == {"MUE": "needs table(s) not loaded: mue"}
    assert scrubber.header()["ruleset"]["skipped_rules"] == {"MUE": "needs table(s) not loaded: mue"}
    (r,) = scrubber.scrub_items([InputItem(claim([{"code": "97110"}]), {})])
    assert [f["rule_id"] for f in r["findings"]] == ["PLAIN"]


# ---- batches, determinism, summary ------------------------------------------------------------------------------

BATCH_RULES = pack(
    rule("EM-25", "line", 'line.code in EM and line has modifier "25"', extra="    denial: {group: CO, carc: \"4\"}\n"),
    rule("NO-DX", "claim", "count(d in diagnoses) == 0"),
    rule("DUP", "pair", "a.number < b.number and a.code == b.code and a.date == b.date"),
).replace("severity: error", "severity: warning", 1)


def _batch(tmp_path: Path) -> Path:
    claims = [
        {"claim_id": "A", "diagnoses": [{"code": "I10"}], "lines": [{"code": "80053"}]},
        {"claim_id": "B", "lines": [{"code": "99213", "modifiers": ["25"]}, {"code": "97110"}, {"code": "97110"}]},
        {"claim_id": "C", "lines": [{"code": "97110", "units": "abc"}]},
        "not a claim",
        {"claim_id": "E", "diagnoses": [{"code": "E11.9"}], "lines": [{"code": "99215", "modifiers": ["25"]}]},
        {"lines": [{"code": "99213"}]},
    ]
    for c in claims:
        if isinstance(c, dict):
            for ln in c.get("lines", []):
                ln["service_date_from"] = "2026-03-02"
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(claims), encoding="utf-8")
    return path


def test_every_claim_in_gives_exactly_one_result(load_pack, tmp_path) -> None:
    scrubber = Scrubber(load_pack(BATCH_RULES), as_of=AS_OF)
    path = _batch(tmp_path)
    results = list(scrubber.scrub_path(path))
    assert len(results) == 6
    assert [r["status"] for r in results] == ["clean", "findings", "error", "error", "findings", "error"]
    assert [r["claim_id"] for r in results] == ["A", "B", "C", None, "E", None]
    assert results[2]["error"]["location"] == f"{path}#/2/lines/0/units"
    assert results[3]["error"] == {"message": "expected a claim object, got str", "location": f"{path}#/3"}
    assert results[5]["error"] == {"message": "required field is missing", "location": f"{path}#/5/claim_id"}
    assert [r["source"]["index"] for r in results] == list(range(6))
    assert all(r["findings"] == [] for r in results if r["status"] != "findings")


def test_ndjson_bad_line_is_one_error_result(load_pack, tmp_path) -> None:
    path = tmp_path / "batch.ndjson"
    path.write_text('{"claim_id": "A", "lines": []}\n{not json\n\n{"claim_id": "B", "lines": []}\n', encoding="utf-8")
    results = list(Scrubber(load_pack(BATCH_RULES), as_of=AS_OF).scrub_path(path))
    assert [(r["claim_id"], r["status"]) for r in results] == [("A", "findings"), (None, "error"), ("B", "findings")]
    assert results[1]["error"]["location"] == f"{path}:2:2"
    assert results[1]["source"] == {"file": str(path), "line": 2, "index": 1}


def test_report_summary_counts(load_pack, tmp_path) -> None:
    scrubber = Scrubber(load_pack(BATCH_RULES), as_of=AS_OF)
    report = scrubber.report(scrubber.scrub_path(_batch(tmp_path)))
    assert report["summary"] == {
        "claims": 6, "clean": 1, "with_findings": 2, "errors": 3, "findings": 4,
        "by_category": {"payer.custom": 4}, "by_severity": {"error": 2, "warning": 2},
    }
    assert report["as_of"] == "2026-06-30"
    assert report["ruleset"]["rules"] == 3 and report["ruleset"]["version"] == "t.eval@3"
    assert report["engine"]["name"] == "claimscrub"
    assert summarize([]) == {"claims": 0, "clean": 0, "with_findings": 0, "errors": 0, "findings": 0,
                             "by_category": {}, "by_severity": {}}


def test_two_runs_are_byte_identical(tmp_path) -> None:
    samples = sorted((ROOT / "examples" / "claims").glob("*.json*"))
    assert samples
    dumps = []
    for _ in range(2):
        scrubber = Scrubber(load_ruleset(), as_of=date(2026, 11, 24))
        results = [r for s in samples for r in scrubber.scrub_path(s)]
        dumps.append(json.dumps(scrubber.report(results), sort_keys=True))
    assert dumps[0] == dumps[1]
    assert json.loads(dumps[0])["summary"]["findings"] > 0
