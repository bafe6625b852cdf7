"""Payer profiles: inheritance, overrides, effective dating, routing, payer tables, `payers check` diagnostics
(with their YAML positions), replayable sha256, and the CLI over the shipped profiles."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from claimscrub.cli.main import app
from claimscrub.inputs import read_text
from claimscrub.payer_profiles import PayerRegistry, PayerScrubber, load_registry
from claimscrub.source import RuleSetError
from typer.testing import CliRunner

BASE_PACK = """\
pack: {name: t.base, version: "1"}
parameters:
  max_units: {type: int, default: 10, description: units per line}
rules:
  - id: T-UNITS
    title: too many units
    category: ncci.mue
    severity: error
    scope: line
    when: line.units > param.max_units
    message: "Line {line.number}: {line.units} units over {param.max_units}"
    source: test
  - id: T-CODE
    title: code 99999
    category: claim.required
    severity: warning
    scope: line
    when: line.code == "99999"
    message: "Line {line.number} bills 99999"
    source: test
"""

EXTRA_PACK = """\
pack: {name: t.extra, version: "1"}
rules:
  - id: T-EXTRA
    title: code 11111
    category: claim.required
    severity: info
    scope: line
    when: line.code == "11111"
    message: "Line {line.number} bills 11111"
    source: test
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    p = directory / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    write(d, "base.yaml", BASE_PACK)
    write(d, "extra.yaml", EXTRA_PACK)
    return d


def registry(tmp_path: Path, rules_dir: Path, profiles: dict[str, str]) -> PayerRegistry:
    d = tmp_path / "payers"
    for name, text in profiles.items():
        write(d, f"{name}.yaml", text)
    return load_registry(d, [rules_dir])


DEFAULT = """\
payer: {id: default, name: Default}
packs: ["t.*"]
"""

PARENT = """\
payer:
  id: parent
  name: Parent plan
  payer_ids: ["P1"]
packs: ["t.base"]
params:
  max_units: 5
overrides:
  T-CODE:
    severity: error
    reason: parent wants it hard
"""

CHILD = """\
payer:
  id: child
  name: Child plan
  payer_ids: ["C1"]
  extends: parent
overrides:
  T-UNITS:
    params: {max_units: 3}
"""


def claim(code: str = "99213", units: int = 1, dos: str = "2026-03-02", payer: str | None = "P1",
          **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"claim_id": f"{code}-{units}-{dos}", "lines": [
        {"code": code, "units": units, "charge": 10, "service_date_from": dos}], **extra}
    if payer:
        c["payer"] = {"id": payer}
    return c


def scrub(s: PayerScrubber, *claims: dict[str, Any]) -> list[dict[str, Any]]:
    return list(s.scrub_items(read_text(json.dumps(list(claims)), "t.json")))


def ids(result: dict[str, Any]) -> dict[str, str]:
    return {f["rule_id"]: f["severity"] for f in result["findings"]}


def codes(reg: PayerRegistry) -> list[tuple[str, str, int, int]]:
    return [(d.code, Path(d.position.file).name, d.position.line, d.position.col) for d in reg.check() if d.position]


# ---- inheritance, overrides, params ------------------------------------------------------------------------------

def test_inheritance_and_overrides(tmp_path: Path, rules_dir: Path) -> None:
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "parent": PARENT, "child": CHILD})
    assert [d for d in reg.check() if d.severity == "error"] == []
    s = PayerScrubber(reg, as_of=date(2026, 4, 1))
    parent, child = scrub(s, claim("99999", 4, payer="P1"), claim("99999", 4, payer="C1"))
    # parent: T-CODE raised to error; max_units 5 so 4 units pass
    assert ids(parent) == {"T-CODE": "error"}
    # child inherits packs and the T-CODE severity, and lowers max_units through a rule override
    assert ids(child) == {"T-CODE": "error", "T-UNITS": "error"}
    assert "over 3" in next(f["message"] for f in child["findings"] if f["rule_id"] == "T-UNITS")
    res = reg.resolve("child", date(2026, 4, 1))
    assert [p.id for p in res.chain] == ["parent", "child"]
    assert res.params["t.base.max_units"].profile == "child"
    assert res.overrides["T-CODE"]["severity"].profile == "parent"
    assert res.overrides["T-CODE"]["severity"].where.line == 10


def test_disable_with_reason_and_packs_glob(tmp_path: Path, rules_dir: Path) -> None:
    prof = """\
    payer: {id: p, name: P, payer_ids: [P1]}
    packs: ["t.*", "!t.extra"]
    overrides:
      T-CODE: {disable: true, reason: "payer does not edit 99999"}
    """
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "p": prof})
    s = PayerScrubber(reg, as_of=date(2026, 4, 1))
    r, = scrub(s, claim("99999", 1))
    assert r["findings"] == [] and r["status"] == "clean"
    rs = s._for("p", date(2026, 3, 2))[1].ruleset
    assert {x.id for x in rs.rules} == {"T-UNITS"}  # T-EXTRA excluded by !t.extra, T-CODE disabled
    # the shared base rules are untouched by a profile's overrides
    d, = scrub(s, claim("11111", 1, payer="zzz"))
    assert ids(d) == {"T-EXTRA": "info"}


# ---- effective dating -------------------------------------------------------------------------------------------

VERSIONED = """\
payer: {id: v, name: V, payer_ids: [V1], version: base}
packs: ["t.base"]
versions:
  - version: "2026.1"
    effective: {from: "2026-01-01", to: "2026-06-30"}
    params: {max_units: 2}
  - version: "2026.2"
    effective: {from: "2026-07-01"}
    params: {max_units: 6}
    overrides:
      T-CODE: {severity: info}
"""


def test_effective_dating_by_date_of_service(tmp_path: Path, rules_dir: Path) -> None:
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "v": VERSIONED})
    s = PayerScrubber(reg, as_of=date(2026, 9, 1))
    old, h1, h2 = scrub(s, claim("99999", 4, "2025-12-01", "V1"), claim("99999", 4, "2026-03-02", "V1"),
                        claim("99999", 4, "2026-08-03", "V1"))
    assert old["payer_profile"]["version"] == "base" and ids(old) == {"T-CODE": "warning"}
    assert h1["payer_profile"]["version"] == "2026.1" and ids(h1) == {"T-CODE": "warning", "T-UNITS": "error"}
    assert h2["payer_profile"]["version"] == "2026.2" and ids(h2) == {"T-CODE": "info"}
    assert h2["findings"][0]["payer_profile"] == "v@2026.2"
    assert len({old["ruleset"]["sha256"], h1["ruleset"]["sha256"], h2["ruleset"]["sha256"]}) == 3


def test_effective_dating_by_processing_date(tmp_path: Path, rules_dir: Path) -> None:
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT,
                                         "v": VERSIONED.replace("version: base}", "version: base, "
                                                                "edit_by: processing_date}")})
    r, = scrub(PayerScrubber(reg, as_of=date(2026, 8, 1)), claim("99999", 4, "2026-03-02", "V1"))
    assert r["payer_profile"]["version"] == "2026.2"  # as_of picks the version, not the date of service


# ---- routing -----------------------------------------------------------------------------------------------------

def test_routing(tmp_path: Path, rules_dir: Path) -> None:
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "parent": PARENT, "child": CHILD})
    by_id, unknown, none = scrub(PayerScrubber(reg, as_of=date(2026, 4, 1)), claim(payer="C1"),
                                 claim(payer="NOPE"), claim(payer=None))
    assert by_id["payer_profile"]["id"] == "child" and by_id["payer_profile"]["routed_by"] == "payer_id"
    assert unknown["payer_profile"]["id"] == "default" and unknown["payer_profile"]["routed_by"] == "default"
    assert unknown["payer_profile"]["payer_id"] == "NOPE"  # the result says which payer id was not matched
    assert none["payer_profile"]["id"] == "default"
    forced, = scrub(PayerScrubber(reg, as_of=date(2026, 4, 1), payer="parent"), claim(payer="C1"))
    assert forced["payer_profile"]["id"] == "parent" and forced["payer_profile"]["routed_by"] == "--payer"
    by_payer_id, = scrub(PayerScrubber(reg, as_of=date(2026, 4, 1), payer="C1"), claim(payer="P1"))
    assert by_payer_id["payer_profile"]["id"] == "child"
    with pytest.raises(KeyError, match="chlid|no payer profile"):
        PayerScrubber(reg, payer="chlid")
    assert by_id["payer_profile"]["sha256"] == by_id["ruleset"]["sha256"]


# ---- payer tables ------------------------------------------------------------------------------------------------

TABLES = """\
payer: {id: tb, name: TB, payer_ids: [T1]}
packs: ["t.base"]
tables:
  prior_auth:
    description: codes that need PA
    version: "2026-01"
    key: code
    rows:
      - {code: "72148"}
  fee:
    description: fee schedule
    version: "2026"
    file: fee.csv
rules:
  - id: TB-PA
    title: PA missing
    category: coverage.prior_auth
    severity: error
    scope: line
    when: in_table("prior_auth", line.code) and claim.prior_authorization is null
    message: "Line {line.number}: {line.code} needs PA"
    source: test
  - id: TB-NO-FEE
    title: not on the fee schedule
    category: payer.custom
    severity: warning
    scope: line
    when: lookup("fee", line.code) is null
    message: "Line {line.number}: {line.code} has no fee"
    source: test
"""


def test_payer_tables_inline_and_csv(tmp_path: Path, rules_dir: Path) -> None:
    write(tmp_path / "payers", "fee.csv", "key,amount\n72148,410.00\n")
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "tb": TABLES})
    s = PayerScrubber(reg, as_of=date(2026, 4, 1))
    pa, ok, nofee = scrub(s, claim("72148", payer="T1"), claim("72148", payer="T1", prior_authorization="A1"),
                          claim("99213", payer="T1"))
    assert ids(pa) == {"TB-PA": "error"}
    assert ok["findings"] == []
    assert ids(nofee) == {"TB-NO-FEE": "warning"}
    assert pa["findings"][0]["pack"]["name"] == "payer.tb"
    tables = s._for("tb", date(2026, 3, 2))[1].engine.tables
    assert tables.lookup("fee", "72148", None).values["amount"] == "410.00"
    # a table row change changes the replay hash
    sha = pa["ruleset"]["sha256"]
    write(tmp_path / "payers", "fee.csv", "key,amount\n72148,420.00\n")
    reg2 = load_registry(tmp_path / "payers", [rules_dir])
    pa2, = scrub(PayerScrubber(reg2, as_of=date(2026, 4, 1)), claim("72148", payer="T1"))
    assert pa2["ruleset"]["sha256"] != sha


# ---- sha256 ------------------------------------------------------------------------------------------------------

def test_sha256_changes_when_an_override_changes(tmp_path: Path, rules_dir: Path) -> None:
    shas = []
    for sev in ("error", "warning", "error"):
        d = tmp_path / sev / "x"
        reg = registry(d, rules_dir, {"default": DEFAULT, "parent": PARENT.replace("severity: error",
                                                                                      f"severity: {sev}")})
        r, = scrub(PayerScrubber(reg, as_of=date(2026, 4, 1)), claim(payer="P1"))
        shas.append(r["ruleset"]["sha256"])
    assert shas[0] != shas[1] and shas[0] == shas[2]


# ---- payers check: every diagnostic at its YAML position ---------------------------------------------------------

BROKEN = """\
payer:
  id: broken
  name: Broken
  payer_ids: [B1]
  extends: parent
packs: ["t.base", "t.nope", "zz.*"]
params:
  max_unit: 4
overrides:
  T-UNIT:
    severity: info
  T-CODE:
    severity: warning
  T-UNITS:
    disable: true
rules:
  - id: T-CODE
    title: shadow
    category: payer.custom
    severity: info
    scope: line
    when: line.code == "1"
    message: shadow
    source: test
"""


def test_check_reports_every_problem_with_position(tmp_path: Path, rules_dir: Path) -> None:
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "parent": PARENT, "broken": BROKEN,
                                         "a": "payer: {id: a, name: A, extends: b}\n",
                                         "b": "payer: {id: b, name: B, extends: a}\n",
                                         "o": "payer: {id: o, name: O, extends: nobody}\n"})
    got = codes(reg)
    assert ("P005", "broken.yaml", 6, 19) in got  # exact pack name that matches nothing: error
    assert ("P005", "broken.yaml", 6, 29) in got  # glob: warning
    assert ("P006", "broken.yaml", 8, 3) in got  # unknown parameter, did-you-mean max_units
    assert ("P001", "broken.yaml", 10, 3) in got  # override of unknown rule
    assert ("P003", "broken.yaml", 13, 5) in got  # contradicts parent's severity without a reason
    assert ("P002", "broken.yaml", 15, 5) in got  # disable without reason
    assert ("P004", "broken.yaml", 17, 9) in got  # custom rule shadows a base rule id
    assert any(c == "P007" and f in ("a.yaml", "b.yaml") and ln == 1 for c, f, ln, _ in got)  # extends cycle
    assert ("P008", "o.yaml", 1, 34) in got  # unknown parent
    diags = {d.code: d for d in reg.check()}
    assert diags["P006"].hint and "max_units" in diags["P006"].hint
    assert diags["P001"].hint and "T-UNITS" in diags["P001"].hint
    assert diags["P003"].severity == "warning"
    rendered = diags["P002"].render()
    assert "broken.yaml:15:5" in rendered and "^^^^^^^" in rendered
    with pytest.raises(RuleSetError):
        PayerScrubber(reg)


def test_check_conflict_severity_on_disabled_rule(tmp_path: Path, rules_dir: Path) -> None:
    child = """\
    payer: {id: kid, name: Kid, extends: parent}
    overrides:
      T-CODE:
        severity: info
        reason: lower it
    """
    parent = PARENT.replace("    severity: error\n", "    disable: true\n")
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "parent": parent, "kid": child})
    d = next(d for d in reg.check() if d.code == "P003")
    assert d.severity == "error" and "disabled by parent" in d.message
    assert (Path(d.position.file).name, d.position.line, d.position.col) == ("kid.yaml", 4, 5)


def test_check_versions_schema_and_dsl_errors(tmp_path: Path, rules_dir: Path) -> None:
    prof = """\
    payer: {id: w, name: W, colour: red}
    packs: ["t.base"]
    rules:
      - id: W-ONE
        title: bad
        category: payer.custom
        severity: error
        scope: line
        when: line.cod == "1"
        message: x
        source: test
    versions:
      - version: "1"
        effective: {from: "2026-01-01", to: "2026-12-31"}
      - version: "2"
        effective: {from: "2026-06-01"}
      - version: "3"
        effective: {from: "2027-06-01", to: "2027-01-01"}
    """
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "w": prof})
    got = codes(reg)
    assert ("E010", "w.yaml", 1, 25) in got  # unknown key, at the key
    assert any(c == "E202" and ln == 9 for c, _, ln, _ in got)  # unknown field in the custom rule's condition
    assert ("P009", "w.yaml", 16, 23) in got  # version 2 overlaps version 1
    assert ("P009", "w.yaml", 18, 16) in got  # to before from


def test_check_duplicate_payer_id(tmp_path: Path, rules_dir: Path) -> None:
    reg = registry(tmp_path, rules_dir, {"default": DEFAULT, "parent": PARENT,
                                         "twin": "payer: {id: twin, name: T, payer_ids: [P1]}\n"})
    assert ("P010", "twin.yaml", 1, 40) in codes(reg)


# ---- shipped profiles and the CLI --------------------------------------------------------------------------------

def test_shipped_profiles_check_clean() -> None:
    reg = load_registry()
    assert {"default", "medicare-part-b", "medicaid", "commercial-example"} <= set(reg.profiles)
    assert [d.render() for d in reg.check() if d.severity == "error"] == []
    com = reg.resolve("commercial-example", date(2026, 8, 1))
    assert com.params["core.filing.timely_filing_days"].value == 90
    assert com.version == "2026.2" and "prior_auth" in com.tables
    assert reg.resolve("medicaid", date(2026, 8, 1)).params["core.filing.timely_filing_days"].value == 90
    assert reg.resolve("medicare-part-b", date(2026, 8, 1)).params["core.filing.timely_filing_days"].value == 365


def test_cli_payers_and_scrub(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["payers", "list"])
    assert r.exit_code == 0 and "medicare-part-b" in r.output
    r = runner.invoke(app, ["payers", "show", "commercial-example", "--on", "2026-08-01"])
    assert r.exit_code == 0, r.output
    assert "commercial-example@2026.2" in r.output and "core.filing.timely_filing_days = 90" in r.output
    assert "EXH-PRIOR-AUTH-MISSING" in r.output and "commercial-example.yaml" in r.output
    r = runner.invoke(app, ["payers", "check"])
    assert r.exit_code == 0, r.output
    claims = tmp_path / "c.json"
    claims.write_text(json.dumps([claim("72148", dos="2026-08-03", payer="EXH01"),
                                  claim("99213", dos="2026-08-03", payer="UNKNOWN")]))
    r = runner.invoke(app, ["scrub", str(claims), "--format", "json", "--as-of", "2026-08-10", "--fail-on", "never"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    a, b = doc["results"]
    assert a["payer_profile"]["id"] == "commercial-example" and "EXH-PRIOR-AUTH-MISSING" in ids(a)
    assert b["payer_profile"]["routed_by"] == "default"
    r = runner.invoke(app, ["scrub", str(claims), "--format", "json", "--payer", "medicare-part-b",
                            "--as-of", "2026-08-10", "--fail-on", "never"])
    doc = json.loads(r.stdout)
    assert {x["payer_profile"]["id"] for x in doc["results"]} == {"medicare-part-b"}
    assert runner.invoke(app, ["scrub", "--payer", "nobody"]).exit_code == 2


def test_explain_runs_the_rule_as_the_claims_payer_does(tmp_path: Path) -> None:
    """explain routes like scrub: a payer's custom rule is found and runs with the payer's parameters."""
    runner = CliRunner()
    claims = tmp_path / "c.json"
    claims.write_text(json.dumps([claim("72148", dos="2026-08-03", payer="EXH01"),
                                  claim("99213", dos="2026-08-03", payer="UNKNOWN")]))
    args = ["explain", str(claims), "--rule", "EXH-PRIOR-AUTH-MISSING", "--as-of", "2026-08-10"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "payer profile commercial-example@2026.2 (routed by payer_id)"
    assert "FIRES" in r.stdout and "payers/commercial-example.yaml" in r.stdout
    other = runner.invoke(app, [*args, "--claim-id", "99213-1-2026-08-03"])
    assert other.exit_code == 2
    assert "no rule 'EXH-PRIOR-AUTH-MISSING' in the rule set of payer profile default" in other.output
    assert "payer id UNKNOWN has no profile" in other.output
    forced = runner.invoke(app, [*args, "--claim-id", "99213-1-2026-08-03", "--payer", "commercial-example"])
    assert forced.exit_code == 0 and "(routed by --payer)" in forced.stdout and "does not fire" in forced.stdout
