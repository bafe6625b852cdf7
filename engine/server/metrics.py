"""A small Prometheus text-format exposition (format 0.0.4), so the service needs no prometheus_client.

Counters are per worker process; with `--workers N` each scrape sees one worker (the `worker` label says which).
"""

from __future__ import annotations

import os
import threading
from collections import Counter, defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**kv: str) -> str:
    return "{" + ",".join(f'{k}="{_esc(str(v))}"' for k, v in kv.items()) + "}"


class Metrics:
    """Thread-safe counters and one latency histogram per route; `render()` is the /metrics body."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self.latency: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.latency_sum: Counter[str] = Counter()
        self.claims: Counter[str] = Counter()
        self.findings: Counter[str] = Counter()
        self.reloads: Counter[str] = Counter()
        self.ruleset: tuple[str, int] = ("", 0)
        self.worker = str(os.getpid())

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, method, str(status))] += 1
            counts = self.latency[route]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
                    break
            else:
                counts[-1] += 1
            self.latency_sum[route] += seconds

    def observe_results(self, results: list[dict]) -> None:  # type: ignore[type-arg]
        with self._lock:
            for r in results:
                self.claims[r["status"]] += 1
                for f in r["findings"]:
                    self.findings[f["category"]] += 1

    def observe_reload(self, ok: bool, sha: str, generation: int) -> None:
        with self._lock:
            self.reloads["ok" if ok else "failed"] += 1
            if ok:
                self.ruleset = (sha, generation)

    def render(self) -> str:
        w = self.worker
        out: list[str] = []
        with self._lock:
            out += ["# HELP claimscrub_http_requests_total HTTP requests by route template, method and status.",
                    "# TYPE claimscrub_http_requests_total counter"]
            for (route, method, status), n in sorted(self.requests.items()):
                out.append(f"claimscrub_http_requests_total{_labels(route=route, method=method, status=status, worker=w)} {n}")
            out += ["# HELP claimscrub_http_request_duration_seconds Request latency by route template.",
                    "# TYPE claimscrub_http_request_duration_seconds histogram"]
            for route, counts in sorted(self.latency.items()):
                cum = 0
                for bound, n in zip((*BUCKETS, float("inf")), counts, strict=True):
                    cum += n
                    le = "+Inf" if bound == float("inf") else repr(bound)
                    out.append(f"claimscrub_http_request_duration_seconds_bucket{_labels(route=route, le=le, worker=w)} {cum}")
                out.append(f"claimscrub_http_request_duration_seconds_sum{_labels(route=route, worker=w)} "
                           f"{self.latency_sum[route]:.6f}")
                out.append(f"claimscrub_http_request_duration_seconds_count{_labels(route=route, worker=w)} {cum}")
            out += ["# HELP claimscrub_claims_scrubbed_total Claims scrubbed by result status.",
                    "# TYPE claimscrub_claims_scrubbed_total counter"]
            for status in ("clean", "findings", "error"):
                out.append(f"claimscrub_claims_scrubbed_total{_labels(status=status, worker=w)} {self.claims[status]}")
            out += ["# HELP claimscrub_findings_total Findings reported, by category.",
                    "# TYPE claimscrub_findings_total counter"]
            for cat, n in sorted(self.findings.items()):
                out.append(f"claimscrub_findings_total{_labels(category=cat, worker=w)} {n}")
            out += ["# HELP claimscrub_ruleset_reloads_total Rule set reloads by result.",
                    "# TYPE claimscrub_ruleset_reloads_total counter"]
            for result in ("ok", "failed"):
                out.append(f"claimscrub_ruleset_reloads_total{_labels(result=result, worker=w)} {self.reloads[result]}")
            sha, gen = self.ruleset
            out += ["# HELP claimscrub_ruleset_info The rule set in service (sha256, reload generation).",
                    "# TYPE claimscrub_ruleset_info gauge",
                    f"claimscrub_ruleset_info{_labels(sha256=sha, generation=str(gen), worker=w)} 1"]
        return "\n".join(out) + "\n"
