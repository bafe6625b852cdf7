"""Response models: the CLI output contract (README "Output contract") as pydantic models, so the OpenAPI
document describes what the service really returns. Responses are serialised from the engine's dicts directly;
these models only document them (extra keys allowed: payer profiles add some)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Engine(_Open):
    name: str
    version: str


class RulesetInfo(_Open):
    name: str
    version: str
    sha256: str
    rules: int | None = None
    skipped_rules: dict[str, str] | None = None


class Denial(_Open):
    group: str
    carc: str
    rarc: list[str] = []


class PackRef(_Open):
    name: str
    version: str


class Finding(_Open):
    rule_id: str
    title: str
    category: str
    severity: Literal["error", "warning", "info"]
    message: str
    lines: list[int]
    codes: list[str]
    evidence: dict[str, Any]
    fix: str | None = None
    denial: Denial | None = None
    source: str | None = None
    pack: PackRef
    rule_location: str


class ProblemLocation(_Open):
    message: str
    location: str | None = None


class Result(_Open):
    claim_id: str | None
    source: dict[str, Any]
    status: Literal["clean", "findings", "error"]
    findings: list[Finding]
    error: ProblemLocation | None


class Summary(_Open):
    claims: int
    clean: int
    with_findings: int
    errors: int
    findings: int
    by_category: dict[str, int]
    by_severity: dict[str, int]


class Service(_Open):
    generation: int
    digest: str
    loaded_at: str


class ScrubReport(_Open):
    engine: Engine
    ruleset: RulesetInfo
    as_of: str
    results: list[Result]
    summary: Summary
    service: Service


class ErrorBody(_Open):
    code: str
    message: str
    location: str | None = None


class ErrorResponse(_Open):
    error: ErrorBody
    results: list[Result] | None = None


class RuleSummary(_Open):
    id: str
    title: str
    category: str
    severity: str
    scope: str
    pack: PackRef
    location: str
    effective_from: str | None = None
    effective_to: str | None = None
    tags: list[str] = []


class RuleDetail(RuleSummary):
    when: str
    message: str | None = None
    fix: str | None = None
    denial: dict[str, Any] | None = None
    source: str | None = None
    examples: int
    index: str | None = None
    skipped: str | None = None


class RuleList(_Open):
    ruleset: RulesetInfo
    rules: list[RuleSummary]


class ExplainResponse(_Open):
    ruleset: RulesetInfo
    rule: RuleDetail
    claim_id: str | None
    fired: bool
    findings: list[Finding]
    trace: str


class PayerSummary(_Open):
    id: str
    name: str
    payer_ids: list[str]
    extends: str | None = None
    edit_by: str
    versions: list[str]


class PayerList(_Open):
    enabled: bool
    profiles: list[PayerSummary]


class Health(_Open):
    status: str


class Ready(_Open):
    status: str
    generation: int
    ruleset_sha256: str
    digest: str
    loaded_at: str
    last_reload_errors: list[dict[str, Any]]


class ReloadResponse(_Open):
    ok: bool
    generation: int
    ruleset_sha256: str
    digest: str
    errors: list[dict[str, Any]]
    seconds: float
