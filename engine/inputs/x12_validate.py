"""Full TR3 validation of an X12 file (WEDI SNIP 1-2) by pyx12, for `--validate-x12`.

Why pyx12 and not our own checks: the implementation guides are hundreds of pages of loop, usage and code-value
rules; pyx12 ships them as maps and has done so for years. claimscrub's reader (`x12.py`) only checks what a
scrubber needs to read a claim; this module adds the guide. pyx12 is an optional extra (`pip install
'claimscrub[x12]'`) imported here only.

Adaptations, each because pyx12 would otherwise refuse the file outright:
- the text is decoded and cleaned the way the reader does it (UTF-8 BOM, UTF-16, prose before the ISA);
- pyx12 4.0 has maps for 005010X222A1 and 005010X223A2 only, so the ids X222, X222A2, X223, X223A1 and X223A3 in
  GS08/ST03 are validated against those maps (the addenda/errata changed few situational rules; differences are
  not reported).
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path
from typing import Any

from .base import InputError, decode_text
from .x12 import _clean_text, _find_isa

__all__ = ["validate_x12", "validate_x12_text"]

# Version ids pyx12 4.0 has no map for -> the map it has (errata A2/A3 and the base ids of TR3 examples).
_ERRATA = {r"005010X222(?:A2)?(?![A-Z0-9])": "005010X222A1", r"005010X223(?:A1|A3)?(?![A-Z0-9])": "005010X223A2"}


def _pyx12() -> tuple[Any, Any, Any]:
    try:
        import pyx12.errors  # noqa: PLC0415 - optional dependency
        import pyx12.params  # noqa: PLC0415
        import pyx12.x12n_document  # noqa: PLC0415
    except ImportError:
        raise RuntimeError(
            "TR3 validation (--validate-x12) needs the optional 'pyx12' package: pip install 'claimscrub[x12]'"
        ) from None
    return pyx12.params, pyx12.x12n_document, pyx12.errors


def validate_x12(path: str | Path) -> list[InputError]:
    """TR3 errors in the file at `path`, each located as '<file> segment N (ID) element E'; [] when valid."""
    p = Path(path)
    return validate_x12_text(decode_text(p.read_bytes()), str(p))


def validate_x12_text(text: str, name: str) -> list[InputError]:
    """As `validate_x12`, on text already read."""
    params_mod, document_mod, errors_mod = _pyx12()
    text = _clean_text(text)
    start = _find_isa(text)
    if start < 0:
        return [InputError("no ISA interchange header: not an X12 file", f"{name} segment 1")]
    text = text[start:]
    for errata, mapped in _ERRATA.items():
        text = re.sub(errata, mapped, text)
    # pyx12 reads ASCII; replace what is not (an NBSP, a curly quote) so it reports, rather than crashes.
    text = text.encode("ascii", "replace").decode("ascii")
    out = io.StringIO()
    param = params_mod.params()
    logger = logging.getLogger("pyx12")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    logger.handlers[:] = [logging.NullHandler()]  # pyx12 logs segment contents: keep PHI out of our output
    logger.propagate = False
    try:
        document_mod.x12n_document(param, io.StringIO(text), None, None, None, out)
    except errors_mod.EngineError as exc:
        return [InputError(f"pyx12 cannot validate this file: {exc}", f"{name} segment 2 (GS) element 8")]
    except errors_mod.X12Error as exc:
        return [InputError(f"pyx12: {exc}", f"{name} segment 1 (ISA)")]
    finally:
        logger.handlers[:], logger.propagate, _ = saved[0], saved[1], logger.setLevel(saved[2])
    raw = out.getvalue()
    if not raw:
        return [InputError("pyx12 could not read the file as X12", f"{name} segment 1 (ISA)")]
    return list(_errors(json.loads(raw), name))


def _errors(doc: dict[str, Any], name: str) -> Any:
    for isa in doc.get("interchanges", []):
        for e in isa.get("errors", []):
            yield InputError(f"{e['err_str']} (TA1 {e['err_cde']})", f"{name} segment {isa.get('cur_line')} (ISA)")
        for gs in isa.get("groups", []):
            for e in gs.get("errors", []):
                yield InputError(f"{e['err_str']} (AK9 {e['err_cde']})", f"{name} segment {gs.get('cur_line')} (GS)")
            for st in gs.get("transactions", []):
                for e in st.get("errors", []):
                    yield InputError(f"{e['err_str']} (IK5 {e['err_cde']})",
                                     f"{name} segment {st.get('cur_line')} (ST)")
                for seg in st.get("segments", []):
                    where = f"{name} segment {seg.get('cur_line')} ({seg.get('seg_id')})"
                    loop = f" in loop {seg['ls_id']}" if seg.get("ls_id") else ""
                    for e in seg.get("errors", []):
                        yield InputError(f"{_clean(e['err_str'])}{loop} (IK3 {e['err_cde']})", where)
                    for ele in seg.get("elements", []):
                        at = f"{where} element {ele.get('ele_pos')}"
                        if ele.get("subele_pos"):
                            at += f" component {ele['subele_pos']}"
                        for e in ele.get("errors", []):
                            yield InputError(f"{_clean(e['err_str'])} (IK4 {e['err_cde']})", at)


def _clean(message: str) -> str:
    return re.sub(r"\s+", " ", message).strip()
