"""End-to-end tests against the real server (uvicorn subprocess on a loopback port): every endpoint and
error path of docs/server.md."""

from __future__ import annotations

import json
import re
import signal
import time
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from claimscrub.inputs.x12_generate import generate_837p

from .conftest import ADMIN_KEY, API_KEY, MAX_BODY, MAX_CLAIMS, Server, start_server, stop_server

SAMPLES = Path(str(resources.files("claimscrub.samples").joinpath("claims")))
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"


def claim(cid: str = "C1", **over: Any) -> dict[str, Any]:
    c = {"claim_id": cid, "type": "professional", "payer": {"id": "00435"},
         "billing_provider": {"npi": "1234567893"}, "diagnoses": [{"code": "M54.50"}],
         "lines": [{"number": 1, "code": "97140", "modifiers": ["59", "XS"], "units": 1, "charge": 50,
                    "service_date_from": "2026-03-02", "diagnosis_pointers": [1]}]}
    c.update(over)
    return c


def fhir_claim() -> dict[str, Any]:
    return {"resourceType": "Claim", "id": "f-1", "status": "active", "use": "claim",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
            "patient": {"reference": "Patient/p1"}, "created": "2026-02-01T10:00:00Z",
            "provider": {"reference": "Practitioner/dr1"}, "priority": {"coding": [{"code": "normal"}]},
            "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "ACME"}}],
            "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": {"coding": [{"system": ICD10, "code": "E11.9"}]}}],
            "item": [{"sequence": 1, "diagnosisSequence": [1],
                      "productOrService": {"coding": [{"system": CPT, "code": "99214"}]},
                      "servicedDate": "2026-01-10", "quantity": {"value": 1}, "net": {"value": 125.0}}],
            "total": {"value": 125.0}}


def post(c: httpx.Client, body: str | bytes, ctype: str = "application/json", path: str = "/v1/scrub",
         **params: str) -> httpx.Response:
    return c.post(path, content=body, headers={"Content-Type": ctype}, params=params)


def assert_contract(r: httpx.Response, claims: int) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    d = r.json()
    assert {"engine", "ruleset", "as_of", "results", "summary", "service"} <= d.keys()
    assert r.headers["x-ruleset-sha256"] == d["ruleset"]["sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", d["ruleset"]["sha256"])
    assert d["summary"]["claims"] == len(d["results"]) == claims
    for res in d["results"]:
        assert res["status"] in ("clean", "findings", "error")
    return d


# ---- ops and auth ----------------------------------------------------------------------------------------------

def test_health_ready_public_and_named(server: Server) -> None:
    with server.client(key=None) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        r = c.get("/readyz")
        assert r.json()["status"] == "ready" and r.headers["x-ruleset-sha256"] == r.json()["ruleset_sha256"]


def test_api_key_required(server: Server) -> None:
    body = json.dumps(claim())
    with server.client(key=None) as c:
        for r in (post(c, body), c.get("/v1/rules"), c.get("/v1/payers")):
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
            assert r.headers["www-authenticate"] == "Bearer"
        assert c.get("/v1/rules", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.get("/v1/rules", headers={"X-API-Key": API_KEY}).status_code == 200
        assert c.get("/v1/rules", headers={"X-API-Key": "second-key"}).status_code == 200
        assert c.get("/v1/rules", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200


# ---- scrub -----------------------------------------------------------------------------------------------------

def test_scrub_one_claim_json(server: Server) -> None:
    with server.client() as c:
        d = assert_contract(post(c, json.dumps(claim()), as_of="2026-11-24"), 1)
    assert d["as_of"] == "2026-11-24"
    (res,) = d["results"]
    assert res["claim_id"] == "C1" and res["source"] == {"file": "body", "index": 0}
    assert "MOD-59-WITH-X" in [f["rule_id"] for f in res["findings"]]
    assert d["service"]["generation"] >= 1


def test_scrub_same_as_library(server: Server) -> None:
    """The service gives the library's (and so the CLI's) results for the same claims."""
    from datetime import date

    from claimscrub.inputs import read_text
    from claimscrub.payer_profiles import PayerScrubber, load_registry

    text = (SAMPLES / "sample-claims.json").read_text()
    lib = PayerScrubber(load_registry(), None, date(2026, 11, 24))
    want = lib.report(lib.scrub_items(read_text(text, "body")))
    with server.client() as c:
        got = assert_contract(post(c, text, as_of="2026-11-24"), len(want["results"]))
    assert got["results"] == json.loads(json.dumps(want["results"]))
    assert got["summary"] == want["summary"]


@pytest.mark.parametrize("ctype", ["application/x-ndjson", "text/plain"])
def test_scrub_ndjson(server: Server, ctype: str) -> None:
    text = (SAMPLES / "more-claims.ndjson").read_text()
    n = sum(1 for ln in text.splitlines() if ln.strip())
    with server.client() as c:
        d = assert_contract(post(c, text, ctype), n)
    assert d["results"][0]["source"]["line"] == 1


@pytest.mark.parametrize("ctype", ["application/edi-x12", "text/plain", "application/x12"])
def test_scrub_x12(server: Server, ctype: str) -> None:
    with server.client() as c:
        d = assert_contract(post(c, generate_837p(3), ctype), 3)
    assert all(r["status"] != "error" for r in d["results"])


def test_scrub_fhir(server: Server) -> None:
    with server.client() as c:
        for ctype in ("application/fhir+json", "application/json"):
            d = assert_contract(post(c, json.dumps(fhir_claim()), ctype), 1)
            assert d["results"][0]["status"] != "error", d["results"][0]


def test_payer_query_routes_and_unknown_payer(server: Server) -> None:
    with server.client() as c:
        d = assert_contract(post(c, json.dumps(claim()), payer="medicaid"), 1)
        assert d["results"][0]["payer_profile"]["id"] == "medicaid"
        assert d["results"][0]["payer_profile"]["routed_by"] == "--payer"
        r = post(c, json.dumps(claim()), payer="nobody")
        assert r.status_code == 404 and r.json()["error"]["location"] == "query.payer"
        r = post(c, json.dumps(claim()), as_of="tomorrow")
        assert r.status_code == 422 and r.json()["error"]["location"] == "query.as_of"


# ---- malformed input: 400/413/415/422 with a location, never a 500 -------------------------------------------

def test_bad_json_is_400_with_line_and_column(server: Server) -> None:
    with server.client() as c:
        r = post(c, '[{"claim_id": "A",\n  "lines": [}]')
    assert r.status_code == 400
    assert r.json()["error"] == {"code": "unreadable_body", "message": r.json()["error"]["message"],
                                 "location": "body:2:13"}


def test_invalid_claim_is_422_with_json_pointer(server: Server) -> None:
    bad = claim(lines=[{"number": 1, "code": "97140", "units": "many"}])
    with server.client() as c:
        r = post(c, json.dumps(bad))
    assert r.status_code == 422
    d = r.json()
    assert d["error"]["code"] == "unreadable_claims" and d["error"]["location"] == "body#/lines/0/units"
    assert d["results"][0]["status"] == "error"


def test_mixed_batch_keeps_the_good_claims(server: Server) -> None:
    batch = [claim("A"), claim("B", lines=[{"number": 1, "code": "97140", "units": "x"}]), claim("C")]
    with server.client() as c:
        d = assert_contract(post(c, json.dumps(batch)), 3)
    assert [r["status"] for r in d["results"]] == ["findings", "error", "findings"]
    assert d["results"][1]["error"]["location"] == "body#/1/lines/0/units"


def test_x12_envelope_error_names_the_segment(server: Server) -> None:
    text = generate_837p(1).replace("ST*837*", "ST*999*", 1)
    with server.client() as c:
        r = post(c, text, "application/edi-x12")
    assert r.status_code in (400, 422), r.text
    assert "segment" in r.json()["error"]["location"]
    with server.client() as c:
        r = post(c, "GS*HC*S*R~ST*837*1~", "application/edi-x12")
    assert r.status_code == 400 and r.json()["error"]["location"]


def test_other_unreadable_bodies(server: Server) -> None:
    with server.client() as c:
        assert post(c, "").json()["error"]["code"] == "empty_body"
        r = post(c, "hello there", "text/plain")
        assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_format"
        r = post(c, "<claim/>", "application/xml")
        assert r.status_code == 415 and r.json()["error"]["location"] == "header Content-Type"
        assert post(c, "[]").status_code == 422
        r = post(c, b'{"claim_id": "\xff"}')
        assert r.status_code == 400 and r.json()["error"]["location"] == "body byte 14"
        r = post(c, "[" * 5000 + "]" * 5000)
        assert r.status_code in (400, 422) and r.json()["error"]["location"]
        r = post(c, json.dumps([1, "x", None]))
        assert r.status_code == 422 and r.json()["error"]["location"] == "body#/0"


def test_body_limit_declared_length(server: Server) -> None:
    body = json.dumps([claim(str(i)) for i in range(5)]) + " " * MAX_BODY
    with server.client() as c:
        r = post(c, body)
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


def test_body_limit_enforced_while_streaming(server: Server) -> None:
    """No Content-Length (chunked): the server stops at the limit instead of reading everything."""
    sent = 0

    def chunks() -> Any:
        nonlocal sent
        yield b"["
        for _ in range(100):  # 100 x 4 KiB = 400 KiB, the limit is 64 KiB
            sent += 4096
            yield b" " * 4096
        yield b"]"

    with server.client() as c:
        try:
            r = c.post("/v1/scrub", content=chunks(), headers={"Content-Type": "application/json"})
        except httpx.TransportError:  # the server may close before the client finished sending: also a refusal
            return
    assert r.status_code == 413 and r.headers.get("connection") == "close"


def test_claim_limit(server: Server) -> None:
    small = {"claim_id": "x", "lines": [{"code": "99213", "units": 1}]}
    with server.client() as c:
        ok = post(c, "\n".join(json.dumps(small) for _ in range(MAX_CLAIMS)), "application/x-ndjson")
        assert ok.status_code in (200, 422) and len(ok.json()["results"]) == MAX_CLAIMS
        r = post(c, "\n".join(json.dumps(small) for _ in range(MAX_CLAIMS + 1)), "application/x-ndjson")
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_many_claims" and str(MAX_CLAIMS) in r.json()["error"]["message"]


# ---- explain, rules, payers ------------------------------------------------------------------------------------

def test_explain(server: Server) -> None:
    with server.client() as c:
        r = post(c, json.dumps(claim()), path="/v1/explain", rule="MOD-59-WITH-X")
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["fired"] is True and d["findings"][0]["rule_id"] == "MOD-59-WITH-X"
        assert "FIRES" in d["trace"] and d["rule"]["when"] and d["claim_id"] == "C1"
        assert r.headers["x-ruleset-sha256"] == d["ruleset"]["sha256"]
        d = post(c, json.dumps(claim(lines=[{"number": 1, "code": "97140", "modifiers": ["XS"], "units": 1}])),
                 path="/v1/explain", rule="MOD-59-WITH-X").json()
        assert d["fired"] is False and "does not fire" in d["trace"]
        batch = json.dumps([claim("A"), claim("B")])
        assert post(c, batch, path="/v1/explain", rule="MOD-59-WITH-X", claim_id="B").json()["claim_id"] == "B"
        r = post(c, batch, path="/v1/explain", rule="MOD-59-WITH-X", claim_id="Z")
        assert r.status_code == 404 and r.json()["error"]["location"] == "query.claim_id"
        r = post(c, json.dumps(claim()), path="/v1/explain", rule="NOPE")
        assert r.status_code == 404 and r.json()["error"]["code"] == "no_such_rule"
        assert post(c, json.dumps(claim()), path="/v1/explain").status_code == 422  # rule is required


def test_rules(server: Server) -> None:
    with server.client() as c:
        d = c.get("/v1/rules").json()
        ids = [r["id"] for r in d["rules"]]
        assert "MOD-59-WITH-X" in ids and d["ruleset"]["rules"] == len(ids)
        one = c.get("/v1/rules/MOD-59-WITH-X").json()
        assert one["category"] == "modifier.conflict" and one["when"] and one["examples"] > 0
        r = c.get("/v1/rules/NOPE")
        assert r.status_code == 404 and r.json()["error"]["location"] == "path.rule_id"
        assert c.get("/v1/rules", params={"payer": "medicaid"}).json()["ruleset"]["name"].startswith("payer:medicaid")


def test_payers(server: Server) -> None:
    with server.client() as c:
        d = c.get("/v1/payers").json()
        assert d["enabled"] and {"default", "medicaid"} <= {p["id"] for p in d["profiles"]}
        one = c.get("/v1/payers/medicaid", params={"on": "2026-11-24"}).json()
        assert one["profile"] == "medicaid" and one["rules"]
        assert c.get("/v1/payers/NYMCD").json()["profile"] == "medicaid"  # by payer id
        assert c.get("/v1/payers/nobody").status_code == 404


def test_unknown_route_is_404_json(server: Server) -> None:
    with server.client() as c:
        r = c.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "http_error"


# ---- metrics, OpenAPI, logs ------------------------------------------------------------------------------------

def test_metrics_text(server: Server) -> None:
    with server.client() as c:
        post(c, json.dumps(claim()))
        text = c.get("/metrics").text
    samples = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    for ln in samples:
        assert re.fullmatch(r'[a-z_]+(\{([a-z_0-9]+="[^"]*",?)*\})? [0-9.e+-]+', ln), ln
    assert re.search(r'claimscrub_http_requests_total\{route="/v1/scrub",method="POST",status="200",', text)
    assert re.search(r'claimscrub_http_request_duration_seconds_bucket\{route="/v1/scrub",le="\+Inf"', text)
    assert re.search(r'claimscrub_findings_total\{category="modifier.conflict",worker="\d+"\} [1-9]', text)
    assert re.search(r'claimscrub_claims_scrubbed_total\{status="findings",worker="\d+"\} [1-9]', text)
    assert "# TYPE claimscrub_http_request_duration_seconds histogram" in text
    assert "claimscrub_ruleset_info{" in text


def test_openapi_matches_the_routes(server: Server) -> None:
    doc = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/scrub", "/v1/explain", "/v1/rules", "/v1/rules/{rule_id}", "/v1/payers",
            "/v1/payers/{profile_id}", "/healthz", "/readyz", "/metrics", "/v1/admin/reload"} <= doc["paths"].keys()
    scrub = doc["paths"]["/v1/scrub"]["post"]
    assert set(scrub["requestBody"]["content"]) == {"application/json", "application/x-ndjson",
                                                   "application/edi-x12", "application/fhir+json", "text/plain"}
    assert scrub["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ScrubReport")
    for code in ("400", "401", "413", "415", "422"):
        assert code in scrub["responses"]
    schemas = doc["components"]["schemas"]
    assert {"Claim", "ServiceLine", "ScrubReport", "Finding", "ErrorResponse"} <= schemas.keys()
    assert set(doc["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader"}


def test_logs_hold_no_phi(server: Server) -> None:
    secret = "CLAIM-ID-SECRET-4711"
    with server.client() as c:
        post(c, json.dumps([claim(secret, lines=[{"code": "x", "units": "bad"}]), claim(secret)]),
             as_of="2026-11-24", payer="medicaid")
    time.sleep(0.2)
    logs = server.logs()
    assert secret not in logs and "payer=medicaid" not in logs and "2026-11-24" not in logs.split("claimscrub serve")[0]
    assert "POST /v1/scrub 200" in logs


# ---- reload ----------------------------------------------------------------------------------------------------

def _sha(c: httpx.Client) -> tuple[str, int]:
    d = c.get("/readyz").json()
    return d["ruleset_sha256"], d["generation"]


def test_reload_admin_api_good_then_bad(server: Server) -> None:
    pack = server.rules / "modifiers.yaml"
    original = pack.read_text()
    with server.client() as c, server.client(ADMIN_KEY) as admin:
        assert c.post("/v1/admin/reload").status_code == 401  # an API key is not an admin key
        sha0, gen0 = _sha(c)
        pack.write_text(original.replace("title: Modifier 59 reported together", "title: Modifier 59 (reloaded) reported together"))
        try:
            r = admin.post("/v1/admin/reload")
            assert r.status_code == 200 and r.json()["ok"] and r.json()["generation"] == gen0 + 1
            sha1 = r.json()["ruleset_sha256"]
            assert sha1 != sha0 and r.headers["x-ruleset-sha256"] == sha1
            d = assert_contract(post(c, json.dumps(claim())), 1)
            assert d["ruleset"]["sha256"] == sha1
            assert "(reloaded)" in c.get("/v1/rules/MOD-59-WITH-X").json()["title"]

            pack.write_text(original.replace("scope: line", "scope: nowhere", 1))
            r = admin.post("/v1/admin/reload")
            assert r.status_code == 409 and not r.json()["ok"] and r.json()["errors"]
            assert r.json()["ruleset_sha256"] == sha1
            assert _sha(c) == (sha1, gen0 + 1)  # the old rules stay in service
            assert c.get("/readyz").json()["last_reload_errors"]
            assert post(c, json.dumps(claim())).headers["x-ruleset-sha256"] == sha1
        finally:
            pack.write_text(original)
        r = admin.post("/v1/admin/reload")
        assert r.status_code == 200 and r.json()["ruleset_sha256"] == sha0
        text = c.get("/metrics").text
        assert re.search(r'claimscrub_ruleset_reloads_total\{result="failed",worker="\d+"\} [1-9]', text)


def test_reload_on_sighup(server: Server) -> None:
    with server.client() as c:
        _, gen0 = _sha(c)
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while _sha(c)[1] == gen0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _sha(c)[1] == gen0 + 1
        assert server.proc.poll() is None


def test_workers_honour_the_log_level(tmp_path: Path) -> None:
    """`--log-level warning` reaches the worker processes: no per-request lines (a load test once filled an
    undrained stderr pipe with them and stalled the server)."""
    s = start_server(tmp_path, "--workers", "2", "--log-level", "warning")
    try:
        with s.client() as c:
            for _ in range(5):
                assert post(c, json.dumps(claim())).status_code == 200
    finally:
        stop_server(s)
    logs = s.logs()
    assert "POST /v1/scrub" not in logs and "INFO" not in logs, logs

