"""JSON and NDJSON files: NDJSON streams line by line from the file with the same results as reading it whole."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from claimscrub.inputs import read_path, read_text
from claimscrub.inputs.base import PendingClaim


def _claim(i: int) -> dict:
    return {"claim_id": f"C{i}", "lines": [{"code": "99213", "charge": "75.00", "service_date_from": "2026-03-02"}]}


def _summary(items: list) -> list:
    out = []
    for it in items:
        if isinstance(it, PendingClaim):
            it = it.resolve()
        out.append((it.claim_id, it.source, it.error.as_dict() if it.error else None,
                    it.claim.model_dump() if it.claim else None))
    return out


def test_streamed_ndjson_equals_whole_text(tmp_path: Path) -> None:
    lines = [json.dumps(_claim(i)) for i in range(5)]
    lines.insert(2, "")  # blank lines are skipped, line numbers still count them
    lines.insert(4, '{"claim_id": "BROKEN", "lines": [')
    lines.append(json.dumps({"claim_id": "BAD", "lines": [{"code": "99213", "units": "many"}]}))
    text = "\r\n".join(lines) + "\r\n"
    f = tmp_path / "c.ndjson"
    f.write_bytes(b"\xef\xbb\xbf" + text.encode())
    streamed = list(read_path(f))
    whole = list(read_text(text, str(f)))
    assert _summary(streamed) == _summary(whole)
    assert [i.source["line"] for i in streamed] == [1, 2, 4, 5, 6, 7, 8]
    assert streamed[3].error is not None and streamed[3].error.location == f"{f}:5:34"
    deferred = list(read_path(f, defer=True))
    assert all(isinstance(p, PendingClaim) for p in deferred) and _summary(deferred) == _summary(whole)


def test_latin1_line_and_cr_only_files(tmp_path: Path) -> None:
    f = tmp_path / "l.ndjson"
    f.write_bytes(json.dumps(_claim(1)).encode() + b"\n" + json.dumps(_claim(2)).replace("C2", "C\xe9").encode("latin-1")
                  + b"\n")
    assert [i.claim_id for i in read_path(f)] == ["C1", "C\xe9"]
    old_mac = tmp_path / "cr.ndjson"  # CR-only line ends are not streamed: the whole-file reader splits them
    old_mac.write_bytes("\r".join(json.dumps(_claim(i)) for i in range(3)).encode())
    assert [i.claim_id for i in read_path(old_mac)] == ["C0", "C1", "C2"]


def test_large_ndjson_streams_in_bounded_memory(tmp_path: Path) -> None:
    """20,000 claims (about 2.4 MB): reading them one at a time never holds the file."""
    f = tmp_path / "big.ndjson"
    with f.open("w") as fh:
        for i in range(20_000):
            fh.write(json.dumps(_claim(i)) + "\n")
    size = f.stat().st_size
    tracemalloc.start()
    n = sum(1 for _ in read_path(f, defer=True))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 20_000 and peak < size / 4, (peak, size)
