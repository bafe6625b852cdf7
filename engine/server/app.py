"""The HTTP service: `create_app(settings)` builds the FastAPI application `claimscrub serve` runs.

Scrubbing is CPU work on an immutable snapshot, so handlers read the body (async, size-limited while it
streams) and run the engine in the thread pool. Every response names the rule set it used (X-Ruleset-SHA256).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import PlainTextResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..api import _claim_id_hash
from ..inputs import InputFileError, InputItem, detect_format, read_text
from . import models as m
from .metrics import Metrics
from .settings import Settings, read_keys
from .state import Holder, Snapshot

log = logging.getLogger("claimscrub.server")

BODY_NAME = "body"  # locations read body#/0/lines/1/units, body segment 12 (CLM) ...
CONTENT_TYPES = {
    "application/json": "json",
    "application/x-ndjson": "ndjson", "application/ndjson": "ndjson", "application/jsonl": "ndjson",
    "application/edi-x12": "x12", "application/x12": "x12",
    "application/fhir+json": "fhir",
    "text/plain": "auto", "": "auto",
}
PUBLIC = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


class ApiError(Exception):
    """A client error with a location; rendered as {"error": {code, message, location}}."""

    def __init__(self, status: int, code: str, message: str, location: str | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.location = status, code, message, location
        self.extra = extra or {}
        self.headers = headers or {}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json",
                    headers=headers)


def _error(status: int, code: str, message: str, location: str | None = None, **extra: Any) -> Response:
    return _json({"error": {"code": code, "message": message, "location": location}, **extra}, status)


# ---- middleware: snapshot per request, X-Ruleset-SHA256, metrics, one log line ------------------------------

class ServiceMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware buffering): pins the snapshot, times the request, adds the header."""

    def __init__(self, app: Any, holder: Holder, metrics: Metrics) -> None:
        self.app, self.holder, self.metrics = app, holder, metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        snap = self.holder.current  # the one read of the reference for this request
        scope.setdefault("state", {})["snapshot"] = snap
        t0 = time.perf_counter()
        status = 500

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-ruleset-sha256" for k, _ in headers):
                    headers.append((b"x-ruleset-sha256", snap.primary_sha().encode()))
                headers.append((b"x-claimscrub-generation", str(snap.generation).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            elapsed = time.perf_counter() - t0
            self.metrics.observe_request(route, scope["method"], status, elapsed)
            # Route template only: no query string, no path values, no claim ids (PHI).
            log.info("%s %s %d %.1fms", scope["method"], route, status, elapsed * 1000)


# ---- auth ----------------------------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


def _matches(given: str | None, keys: list[bytes]) -> bool:
    """Constant-time: every key is compared, whatever matched before."""
    if not given:
        return False
    raw = given.encode()
    ok = False
    for k in keys:
        ok |= hmac.compare_digest(raw, k)
    return ok


def _key_dependency(keys: list[bytes], what: str) -> Callable[..., None]:
    def check(bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
              api_key: Annotated[str | None, Depends(_api_key)]) -> None:
        if not keys:
            if what == "admin":
                raise ApiError(403, "admin_disabled", "the admin API is off: start the server with --admin-key-file")
            return
        given = bearer.credentials if bearer is not None else api_key
        if not _matches(given, keys):
            raise ApiError(401, "unauthorized", f"a valid {what} key is required (Authorization: Bearer KEY or "
                           "X-API-Key: KEY)", headers={"WWW-Authenticate": "Bearer"})
    return check


# ---- request body ----------------------------------------------------------------------------------------------

async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` (declared length first, then while streaming)."""
    too_big = ApiError(413, "body_too_large", f"request body is larger than {limit} bytes; split the batch",
                       "body", headers={"Connection": "close"})
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_big
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise too_big
    return bytes(buf)


def _format(content_type: str | None) -> str:
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct not in CONTENT_TYPES:
        raise ApiError(415, "unsupported_media_type", f"unsupported Content-Type {ct!r}: use application/json, "
                       "application/x-ndjson, application/edi-x12, application/fhir+json or text/plain",
                       "header Content-Type")
    return CONTENT_TYPES[ct]


def _decode(raw: bytes, fmt: str) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ApiError(400, "bad_encoding", "body is not valid UTF-16", f"body byte {exc.start}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if fmt in ("x12", "auto"):
            return raw.decode("latin-1")  # X12 is often ISO-8859-1
        raise ApiError(400, "bad_encoding", "body is not valid UTF-8", f"body byte {exc.start}") from None


def parse_claims(raw: bytes, content_type: str | None, max_claims: int) -> list[InputItem]:
    """Every claim of the body as InputItems; whole-body problems and the claim limit raise ApiError."""
    fmt = _format(content_type)
    text = _decode(raw, fmt)
    if not text.strip():
        raise ApiError(400, "empty_body", "the request body is empty: send one claim or a batch", "body")
    if fmt in ("auto", "json"):
        sniffed = detect_format(text)
        if fmt == "json":
            fmt = "fhir" if sniffed == "fhir" else "json"
        elif sniffed == "unknown":
            raise ApiError(400, "unknown_format", "cannot tell the input format: send JSON claims, NDJSON, an X12 "
                           "837 (starting with ISA) or FHIR Claim JSON, or say which with Content-Type", "body:1:1")
        else:
            fmt = sniffed
    items: list[InputItem] = []
    try:
        for item in read_text(text, BODY_NAME, fmt):
            items.append(item)
            if len(items) > max_claims:
                raise ApiError(413, "too_many_claims", f"the batch has more than {max_claims} claims (the server's "
                               "--max-claims); split it", f"claim {max_claims + 1}")
    except InputFileError as exc:
        raise ApiError(400, "unreadable_body", exc.message, exc.location) from None
    except RecursionError:
        raise ApiError(400, "unreadable_body", "the JSON is nested too deeply", "body") from None
    except ApiError:
        raise
    except Exception as exc:  # a reader bug must not become a 500 without a location; log without values
        log.error("reader failure %s on a %s body", type(exc).__name__, fmt)
        raise ApiError(400, "unreadable_body", f"cannot read the body as {fmt} ({type(exc).__name__})",
                       "body") from None
    if not items:
        raise ApiError(422, "no_claims", "the body holds no claims", "body")
    return items


# ---- OpenAPI ---------------------------------------------------------------------------------------------------

X12_EXAMPLE = ("ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *260101*1200*^*00501*"
               "000000001*0*P*:~GS*HC*...~ST*837*0001*005010X222A1~...~SE*..*0001~GE*1*1~IEA*1*000000001~")


def _claim_body(description: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "description": description, "content": {
        "application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/Claim"},
                                                  {"type": "array", "items": {"$ref": "#/components/schemas/Claim"}}]}},
        "application/x-ndjson": {"schema": {"type": "string", "description": "one Claim JSON object per line"}},
        "application/edi-x12": {"schema": {"type": "string", "description": "an X12 837P/837I interchange"},
                                "example": X12_EXAMPLE},
        "application/fhir+json": {"schema": {"type": "object", "description": "a FHIR R4 Claim or a Bundle of "
                                             "Claims", "additionalProperties": True}},
        "text/plain": {"schema": {"type": "string", "description": "any of the above; the format is sniffed"}},
    }}}


ERRORS = {
    400: {"model": m.ErrorResponse, "description": "The body cannot be read; `error.location` says where"},
    401: {"model": m.ErrorResponse, "description": "API key missing or wrong"},
    413: {"model": m.ErrorResponse, "description": "Body larger than --max-body or more claims than --max-claims"},
    415: {"model": m.ErrorResponse, "description": "Unsupported Content-Type"},
    422: {"model": m.ErrorResponse, "description": "No claim could be read (each result has its location) or "
          "a query parameter is invalid"},
}


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from ..model import Claim

        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        claim = Claim.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(claim.pop("$defs", {}))
        schemas["Claim"] = claim
        app.openapi_schema = doc
        return doc
    return build


# ---- views -----------------------------------------------------------------------------------------------------

def _rule_summary(r: Any) -> dict[str, Any]:
    return {"id": r.id, "title": r.title, "category": r.category, "severity": r.severity, "scope": r.scope,
            "pack": {"name": r.pack.name, "version": r.pack.version}, "location": r.location,
            "effective_from": r.effective_from.isoformat() if r.effective_from else None,
            "effective_to": r.effective_to.isoformat() if r.effective_to else None, "tags": list(r.tags)}


def _rule_detail(r: Any, engine: Any) -> dict[str, Any]:
    key = engine.keys[r.order] if r.order < len(engine.keys) else None
    raw = r.raw or {}
    return {**_rule_summary(r), "when": " ".join(r.when.text.split()), "message": raw.get("message"),
            "fix": raw.get("fix"), "denial": r.denial, "source": r.source, "examples": len(r.examples),
            "index": key.describe() if key else None, "skipped": engine.skipped.get(r.id)}


def _ruleset_info(scrubber: Any) -> dict[str, Any]:
    return scrubber.header()["ruleset"]


def _service(snap: Snapshot) -> dict[str, Any]:
    return {"generation": snap.generation, "digest": snap.digest, "loaded_at": snap.loaded_at}


def _payer_row(p: Any) -> dict[str, Any]:
    versions = [f"{v['version']} ({(v.get('effective') or {}).get('from', '…')}..."
                f"{(v.get('effective') or {}).get('to') or ''})" for _, v in p.versions()]
    return {"id": p.id, "name": p.name, "payer_ids": p.payer_ids, "extends": p.extends,
            "edit_by": p.meta.get("edit_by", "date_of_service"), "versions": versions}


# ---- the application -------------------------------------------------------------------------------------------

def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: loads and compiles the rule set now, so a broken rule set fails before the port opens."""
    settings = settings or Settings()
    metrics = Metrics()
    holder = Holder(settings, on_reload=lambda r: metrics.observe_reload(r.ok, r.sha256, r.generation))
    metrics.observe_reload(True, holder.current.primary_sha(), holder.current.generation)
    metrics.reloads.clear()
    api_keys = read_keys(settings.api_key_file)
    admin_keys = read_keys(settings.admin_key_file)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        if settings.sync_file:
            threading.Thread(target=holder.watch, args=(stop,), name="claimscrub-reload-watch", daemon=True).start()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, lambda: threading.Thread(target=holder.reload, daemon=True).start())
        yield
        stop.set()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGHUP)

    app = FastAPI(title="claimscrub", version=__version__, lifespan=lifespan,
                  description="Scrub healthcare claims before submission: the same rules, output contract and "
                  "explanations as `claimscrub scrub`. Every response names its rule set in `X-Ruleset-SHA256`.")
    app.state.holder = holder
    app.state.metrics = metrics
    app.state.settings = settings
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(ServiceMiddleware, holder=holder, metrics=metrics)

    user = [Depends(_key_dependency(api_keys, "API"))]
    admin = [Depends(_key_dependency(admin_keys, "admin"))]

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        resp = _error(exc.status, exc.code, exc.message, exc.location, **exc.extra)
        resp.headers.update(exc.headers)
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "invalid_parameter", str(first.get("msg")), loc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(exc.status_code, "http_error", str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.error("internal error %s on %s", type(exc).__name__, getattr(request.scope.get("route"), "path", "?"))
        return _error(500, "internal_error", "internal error (logged without claim data)")

    def snap_of(request: Request) -> Snapshot:
        return request.state.snapshot  # type: ignore[no-any-return]

    def scrubber_of(snap: Snapshot, payer: str | None, as_of: date | None) -> Any:
        try:
            return snap.scrubber(payer, as_of or date.today())
        except KeyError as exc:
            raise ApiError(404 if payer else 400, "unknown_payer", str(exc.args[0]), "query.payer") from None
        except ValueError as exc:
            raise ApiError(400, "payer_routing_off", str(exc), "query.payer") from None

    PayerQ = Query(None, description="Payer profile id or payer id for every claim (default: route each claim "
                   "by its payer id)", max_length=200)
    AsOfQ = Query(None, description="Processing date (timely filing); default today")

    @app.post("/v1/scrub", tags=["scrub"], dependencies=user, response_model=None, openapi_extra=_claim_body(
        "One claim or a batch: JSON claim or array, NDJSON, X12 837P/837I or FHIR Claim/Bundle"),
        responses={200: {"model": m.ScrubReport, "description": "The output contract, as `claimscrub scrub "
                         "--format json`; claims that cannot be read are `error` results with a location"},
                   **ERRORS})
    async def scrub(request: Request, payer: str | None = PayerQ, as_of: date | None = AsOfQ) -> Response:
        """Scrub one claim or a batch; the same report as the CLI, plus `service` (generation, digest)."""
        snap = snap_of(request)
        scrubber = scrubber_of(snap, payer, as_of)
        raw = await read_body(request, settings.max_body)

        def work() -> dict[str, Any]:
            items = parse_claims(raw, request.headers.get("content-type"), settings.max_claims)
            return scrubber.report(scrubber.scrub_items(items))

        report = await run_in_threadpool(work)
        report["service"] = _service(snap)
        results = report["results"]
        metrics.observe_results(results)
        for r in results:
            if r["status"] == "error":
                log.info("claim %s unreadable at %s", _claim_id_hash(r["claim_id"]) or "-",
                         (r["error"] or {}).get("location", "?").split("#")[0])
        sha = report["ruleset"]["sha256"]
        if all(r["status"] == "error" for r in results):
            first = results[0]["error"] or {}
            return _json({"error": {"code": "unreadable_claims", "message": f"no claim could be read: "
                                    f"{first.get('message')}", "location": first.get("location")}, **report},
                         422, {"X-Ruleset-SHA256": sha})
        return _json(report, headers={"X-Ruleset-SHA256": sha})

    @app.post("/v1/explain", tags=["scrub"], dependencies=user, response_model=None, openapi_extra=_claim_body(
        "The claim (any input format; with a batch, `claim_id` picks one, default the first)"),
        responses={200: {"model": m.ExplainResponse, "description": "The evaluation trace of one rule on one "
                          "claim, as text and as data"}, 404: {"model": m.ErrorResponse}, **ERRORS})
    async def explain(request: Request, rule: str = Query(..., description="Rule id", max_length=200),
                      claim_id: str | None = Query(None, max_length=200), payer: str | None = PayerQ,
                      as_of: date | None = AsOfQ) -> Response:
        """Why a rule fired or did not on a claim: every line/pair/diagnosis with each sub-condition's value."""
        from ..explain_cli import explain_rule

        snap = snap_of(request)
        scrubber = scrubber_of(snap, payer, as_of)
        raw = await read_body(request, settings.max_body)

        def work() -> tuple[dict[str, Any], str]:
            items = parse_claims(raw, request.headers.get("content-type"), settings.max_claims)
            item = next((i for i in items if claim_id is None or i.claim_id == claim_id), None)
            if item is None:
                raise ApiError(404, "no_such_claim", "no claim with that claim_id in the body", "query.claim_id")
            if item.claim is None:
                assert item.error is not None
                raise ApiError(422, "unreadable_claim", item.error.message, item.error.location)
            routed = snap.for_claim(scrubber, item.claim)
            r = routed.ruleset.rule(rule)
            if r is None:
                raise ApiError(404, "no_such_rule", f"no rule {rule!r} in the rule set", "query.rule")
            result = scrubber.scrub_item(item)
            trace = explain_rule(routed.ruleset, routed.engine.tables, item.claim, rule, routed.as_of)
            data = {"ruleset": _ruleset_info(routed), "rule": _rule_detail(r, routed.engine),
                    "claim_id": item.claim_id, "findings": [f for f in result["findings"] if f["rule_id"] == rule],
                    "trace": trace}
            data["fired"] = bool(data["findings"])
            return data, routed.ruleset.sha256

        data, sha = await run_in_threadpool(work)
        return _json(data, headers={"X-Ruleset-SHA256": sha})

    @app.get("/v1/rules", tags=["rules"], dependencies=user, response_model=m.RuleList)
    def rules(request: Request, payer: str | None = PayerQ, as_of: date | None = AsOfQ) -> Response:
        """The rules in service (for `payer`, with its profile's overrides)."""
        scrubber = scrubber_of(snap_of(request), payer, as_of)
        rs = scrubber.ruleset
        return _json({"ruleset": _ruleset_info(scrubber), "rules": [_rule_summary(r) for r in rs.rules]},
                     headers={"X-Ruleset-SHA256": rs.sha256})

    @app.get("/v1/rules/{rule_id}", tags=["rules"], dependencies=user, response_model=m.RuleDetail,
             responses={404: {"model": m.ErrorResponse}})
    def rule_detail(request: Request, rule_id: str, payer: str | None = PayerQ, as_of: date | None = AsOfQ) -> Response:
        """One rule: condition, message, fix, denial, source, index key, and whether it is skipped."""
        scrubber = scrubber_of(snap_of(request), payer, as_of)
        r = scrubber.ruleset.rule(rule_id)
        if r is None:
            raise ApiError(404, "no_such_rule", f"no rule {rule_id!r} in the rule set", "path.rule_id")
        return _json(_rule_detail(r, scrubber.engine), headers={"X-Ruleset-SHA256": scrubber.ruleset.sha256})

    @app.get("/v1/payers", tags=["payers"], dependencies=user, response_model=m.PayerList)
    def payers(request: Request) -> Response:
        """The payer profiles in service (`enabled: false` when the server runs custom rules without --payers)."""
        reg = snap_of(request).registry
        if reg is None:
            return _json({"enabled": False, "profiles": []})
        return _json({"enabled": True, "profiles": [_payer_row(p) for p in
                                                    sorted(reg.profiles.values(), key=lambda p: p.id)]})

    @app.get("/v1/payers/{profile_id}", tags=["payers"], dependencies=user, response_model=dict[str, Any],
             responses={404: {"model": m.ErrorResponse}})
    def payer_detail(request: Request, profile_id: str, on: Annotated[date | None, Query(description="Resolve "
                     "the profile for this date (default today)")] = None) -> Response:
        """The effective rule list of a profile on a date, with where every setting came from."""
        from claimscrub.cli.payers_cmd import _show_data

        reg = snap_of(request).registry
        if reg is None:
            raise ApiError(404, "payer_routing_off", "payer routing is off: the server runs custom --rules without "
                           "--payers", "path.profile_id")
        try:
            pid, _ = reg.route(None, profile_id)
        except KeyError as exc:
            raise ApiError(404, "unknown_payer", str(exc.args[0]), "path.profile_id") from None
        data = _show_data(reg, pid, on or date.today())
        return _json(json.loads(json.dumps(data, default=str)), headers={"X-Ruleset-SHA256": data["sha256"]})

    @app.get("/healthz", tags=["ops"], response_model=m.Health)
    def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], response_model=m.Ready)
    def readyz(request: Request) -> dict[str, Any]:
        """A rule set is loaded and compiled; which one, and the errors of the last failed reload if any."""
        snap = snap_of(request)
        return {"status": "ready", "generation": snap.generation, "ruleset_sha256": snap.primary_sha(),
                "digest": snap.digest, "loaded_at": snap.loaded_at, "last_reload_errors": holder.last_error}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse,
             responses={200: {"content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}},
                              "description": "Prometheus text exposition"}})
    def metrics_view() -> Response:
        """Requests by route and status, latency histogram, claims scrubbed, findings by category, reloads."""
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post("/v1/admin/reload", tags=["ops"], dependencies=admin, response_model=m.ReloadResponse,
              responses={401: {"model": m.ErrorResponse}, 403: {"model": m.ErrorResponse},
                         409: {"model": m.ReloadResponse, "description": "The reload failed; the old rule set "
                               "stays in service"}})
    async def reload() -> Response:
        """Re-read rules and payer profiles, build them fully, then swap; on errors keep the old ones."""
        result = await run_in_threadpool(holder.reload)
        return _json(result.as_dict(), 200 if result.ok else 409, {"X-Ruleset-SHA256": result.sha256})

    return app


LOG_LEVEL_ENV = "CLAIMSCRUB_LOG_LEVEL"


def create_app_from_env() -> FastAPI:
    """Uvicorn factory for `claimscrub serve` (workers are processes: settings travel in the environment, and
    each worker sets up its own log handler, as spawned processes do not inherit the parent's)."""
    level = os.environ.get(LOG_LEVEL_ENV, "INFO").upper()  # `serve --log-level`, which workers must honour too
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s")
    return create_app(Settings.from_env())
