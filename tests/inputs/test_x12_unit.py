"""The X12 reader on 837 text built here: separators, dates, pointers, modifiers, ICD-9/10, 837I, errors."""

from __future__ import annotations

import tracemalloc
from datetime import date
from decimal import Decimal

import pytest
from claimscrub.inputs import InputFileError, detect_format, read_text
from claimscrub.inputs.x12 import iter_segments, read_x12
from claimscrub.inputs.x12_generate import generate_837p, luhn_npi

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250101*1200*^*00501*000000042*0*T*:"


def envelope(body: list[str], version: str = "005010X222A1", isa: str = ISA, term: str = "~\n") -> str:
    segs = [isa, f"GS*HC*S*R*20250101*1200*7*X*{version}", f"ST*837*0001*{version}",
            "BHT*0019*00*B1*20250102*1200*CH", "NM1*41*2*SUBMITTER*****46*S1", "NM1*40*2*RECEIVER*****46*R1",
            *body, f"SE*{len(body) + 4}*0001", "GE*1*7", "IEA*1*000000042"]
    return term.join(segs) + term


BILLING = ["HL*1**20*1", "PRV*BI*PXC*207Q00000X", "NM1*85*2*CLINIC*****XX*1234567893", "N3*1 MAIN", "N4*X*MD*20705",
           "REF*EI*521234567"]
SUBSCRIBER = ["HL*2*1*22*0", "SBR*P*18*GRP1******CI", "NM1*IL*1*DOE*JANE****MI*MEM123", "DMG*D8*19800215*F",
              "NM1*PR*2*ACME HEALTH*****PI*PAY01"]


def claim_837p(cid: str = "C1", hi: str = "HI*ABK:E119*ABF:I10", lines: list[str] | None = None) -> list[str]:
    lines = lines if lines is not None else [
        "LX*1", "SV1*HC:99214:25*125*UN*1*11**1:2", "DTP*472*D8*20250110",
        "LX*2", "SV1*HC:20610:RT:59:XS:GA*200.50*UN*2***2", "DTP*472*RD8*20250110-20250112", "REF*G1*LINEAUTH",
    ]
    return [f"CLM*{cid}*325.50***11:B:1*Y*A*Y*Y", "REF*G1*AUTH9", "PWK*09*FX***AC*ATT1", hi,
            "NM1*82*1*SMITH*ANN****XX*1245319599", "PRV*PE*PXC*207R00000X", *lines]


def one(text: str):
    items = list(read_x12(text, "t.837"))
    assert len(items) == 1
    return items[0]


def test_837p_fields() -> None:
    item = one(envelope(BILLING + SUBSCRIBER + claim_837p()))
    assert item.error is None, item.error
    c = item.claim
    assert c.claim_id == "C1" and c.type == "professional" and c.frequency_code == "1"
    assert c.total_charge == Decimal("325.50") and c.place_of_service == "11"
    assert c.submission_date == date(2025, 1, 2)
    assert c.billing_provider.npi == "1234567893" and c.billing_provider.taxonomy == "207Q00000X"
    assert c.billing_provider.tax_id == "521234567"
    assert c.rendering_provider and c.rendering_provider.npi == "1245319599"
    assert c.rendering_provider.taxonomy == "207R00000X"
    assert c.payer.id == "PAY01" and c.payer.name == "ACME HEALTH"
    assert c.subscriber.member_id == "MEM123" and c.subscriber.group_number == "GRP1"
    assert c.patient.birth_date == date(1980, 2, 15) and c.patient.sex == "F" and c.patient.relationship == "18"
    assert c.prior_authorization == "AUTH9"
    assert [(a.report_type, a.transmission, a.control_number) for a in c.attachments] == [("09", "FX", "ATT1")]
    assert [(d.code, d.qualifier, d.version) for d in c.diagnoses] == [("E11.9", "ABK", "icd10"),
                                                                       ("I10", "ABF", "icd10")]
    l1, l2 = c.lines
    assert (l1.number, l1.code, l1.modifiers, l1.charge, l1.units, l1.unit_type) == (
        1, "99214", ["25"], Decimal("125"), Decimal("1"), "UN")
    assert l1.diagnosis_pointers == [1, 2] and l1.dx == ["E11.9", "I10"] and l1.place_of_service == "11"
    assert l1.service_date_from == l1.service_date_to == date(2025, 1, 10)
    assert l2.modifiers == ["RT", "59", "XS", "GA"] and l2.units == Decimal("2") and l2.charge == Decimal("200.50")
    assert (l2.service_date_from, l2.service_date_to) == (date(2025, 1, 10), date(2025, 1, 12))
    assert l2.prior_authorization == "LINEAUTH" and l2.diagnosis_pointers == [2]
    assert c.source == {"file": "t.837", "interchange": "000000042", "group": "7", "transaction": "0001",
                        "segment": 18, "st_segment": 16, "version": "005010X222A1"}
    assert l1.source == {"segment": 24, "st_segment": 22}


def test_custom_separators_without_newlines() -> None:
    isa = ISA.replace("*", "|").replace("|:", "|>").replace("^|00501", "}|00501")
    body = BILLING + SUBSCRIBER + claim_837p()
    text = envelope(body, isa=isa, term="!")
    text = text.replace("*", "|").replace(":", ">")  # elements | components > segments !
    isa_line = text.split("!")[0]
    assert isa_line.endswith("|>") and len(isa_line) == 105
    (delims,) = {d for _, _, d in iter_segments(text)}
    assert (delims.element, delims.component, delims.repetition, delims.segment) == ("|", ">", "}", "!")
    item = one(text)
    assert item.ok, item.error
    assert item.claim.lines[1].modifiers == ["RT", "59", "XS", "GA"]
    assert item.claim.lines[0].diagnosis_pointers == [1, 2]


def test_crlf_and_indentation_and_bom() -> None:
    text = "\ufeff" + envelope(BILLING + SUBSCRIBER + claim_837p(), term="~\r\n    ")
    assert detect_format(text) == "x12"
    (item,) = list(read_text(text, "t.837"))
    assert item.ok


def test_utf16_read_as_bytes_and_prose_before_isa() -> None:
    text = "Example 1 - a TR3 example\n\nsome prose\n" + envelope(BILLING + SUBSCRIBER + claim_837p())
    assert detect_format(text) == "x12"
    assert one(text).ok
    wide = envelope(BILLING + SUBSCRIBER + claim_837p()).encode("utf-16-le").decode("latin-1")
    assert detect_format(wide) == "x12"
    assert one(wide).ok


def test_icd9_kept_as_icd9() -> None:
    item = one(envelope(BILLING + SUBSCRIBER + claim_837p(hi="HI*BK:25000*BF:4019")))
    assert [(d.code, d.version) for d in item.claim.diagnoses] == [("25000", "icd9"), ("4019", "icd9")]


def test_patient_loop_2000c() -> None:
    sub = ["HL*2*1*22*1", "SBR*P**GRP1******CI", "NM1*IL*1*DOE*JOHN****MI*MEM9", "DMG*D8*19700101*M",
           "NM1*PR*2*ACME*****PI*PAY01", "HL*3*2*23*0", "PAT*19", "NM1*QC*1*DOE*KID", "DMG*D8*20150607*F"]
    c = one(envelope(BILLING + sub + claim_837p())).claim
    assert c.patient.birth_date == date(2015, 6, 7) and c.patient.sex == "F" and c.patient.relationship == "19"
    assert c.subscriber.member_id == "MEM9"


def test_other_payer_loops_do_not_override() -> None:
    cob = ["SBR*S*01*GRP2******CI", "OI***Y***Y", "NM1*IL*1*DOE*JANE****MI*OTHER1", "NM1*PR*2*OTHER PLAN*****PI*PAY02",
           "REF*G1*OTHERAUTH"]
    body = BILLING + SUBSCRIBER + claim_837p()[:6] + cob + claim_837p()[6:]
    c = one(envelope(body)).claim
    assert c.payer.id == "PAY01" and c.subscriber.member_id == "MEM123" and c.prior_authorization == "AUTH9"


def test_837i_mapping() -> None:
    clm = ["CLM*I1*500***13:A:7**A*Y*Y", "DTP*434*RD8*20250101-20250103", "DTP*435*DT*202501010830", "CL1*1*1*01",
           "HI*ABF:I10*ABK:S72001A:::::::Y", "HI*ABJ:R07.89", "HI*ABN:W010XXA", "HI*BH:A1:D8:20250101",
           "NM1*71*1*ATTEND*DOC****XX*1245319599",
           "LX*1", "SV2*0450*HC:99284:25*300*UN*1", "DTP*472*D8*20250101",
           "LX*2", "SV2*0250**200*UN*4"]
    c = one(envelope(BILLING + SUBSCRIBER + clm, version="005010X223A2")).claim
    assert c.type == "institutional" and c.facility_type == "13" and c.type_of_bill == "137"
    assert c.frequency_code == "7" and c.place_of_service is None
    assert (c.statement_from, c.statement_to, c.admission_date) == (date(2025, 1, 1), date(2025, 1, 3),
                                                                   date(2025, 1, 1))
    assert [(d.qualifier, d.code) for d in c.diagnoses] == [("ABK", "S72.001A"), ("ABF", "I10"), ("ABJ", "R07.89"),
                                                           ("ABN", "W01.0XXA")]
    assert c.diagnoses[0].poa == "Y"
    assert c.attending_provider and c.attending_provider.npi == "1245319599"
    l1, l2 = c.lines
    assert (l1.revenue_code, l1.code, l1.modifiers, l1.charge) == ("0450", "99284", ["25"], Decimal("300"))
    assert (l2.revenue_code, l2.code, l2.code_system, l2.units) == ("0250", "0250", "NU", Decimal("4"))
    assert l2.service_date_from == date(2025, 1, 1)  # from the statement period


def test_837i_by_clm05_qualifier_even_if_version_says_837p() -> None:
    clm = ["CLM*I2*10***11:A:1**A*Y*Y", "HI*ABK:I10", "LX*1", "SV2*0300*HC:85025*10*UN*1"]
    assert one(envelope(BILLING + SUBSCRIBER + clm)).claim.type == "institutional"


def test_errata_versions_read() -> None:
    assert one(envelope(BILLING + SUBSCRIBER + claim_837p(), version="005010X222A2")).ok


def test_bad_claim_does_not_lose_the_others() -> None:
    bad = claim_837p("BAD")
    bad[0] = "CLM*BAD*12x5***11:B:1*Y*A*Y*Y"
    bad[-2] = "DTP*472*D8*20251340"
    body = BILLING + SUBSCRIBER + claim_837p("A") + bad + claim_837p("B")
    items = list(read_x12(envelope(body), "t.837"))
    assert [i.claim_id for i in items] == ["A", "BAD", "B"]
    assert items[0].ok and items[2].ok and not items[1].ok
    err = items[1].error
    assert err.location == "t.837 segment 31 (CLM) element 2"
    assert err.message.startswith("total charge '12x5' is not a number (and 1 more: segment 42 (DTP) element 3:")
    assert "'20251340' is not a calendar date" in err.message


def test_pointer_and_procedure_errors() -> None:
    lines = ["LX*1", "SV1*HC:99213*50*UN*1***1:X", "LX*2", "SV1*HC*50*UN*1"]
    err = one(envelope(BILLING + SUBSCRIBER + claim_837p(lines=lines))).error
    assert err.location.endswith("(SV1) element 7 component 2")
    assert "diagnosis pointer 'X' is not a number 1-12" in err.message
    assert "procedure composite 'HC' has no code" in err.message


def test_model_error_points_at_segment() -> None:
    item = one(envelope(BILLING + SUBSCRIBER + claim_837p(lines=["LX*1", "SV1*HC:99213:A:B:C:D:E*50*UN*1"])))
    assert item.ok  # SV101 carries at most 4 modifiers: the 5th component onwards is the description


def test_truncated_file() -> None:
    text = envelope(BILLING + SUBSCRIBER + claim_837p("A") + claim_837p("B"))
    cut = text[: text.index("SE*")]
    items = list(read_x12(cut, "t.837"))
    assert [i.ok for i in items] == [True, False]
    assert "is not closed" in items[1].error.message


def test_envelope_errors() -> None:
    with pytest.raises(InputFileError, match=r"t.837 segment 1 \(ISA\) element 6: ISA06 must be 15"):
        list(read_x12(envelope([]).replace("SENDER         ", "SENDER"), "t.837"))
    with pytest.raises(InputFileError, match="no ISA interchange header"):
        list(read_x12("GS*HC*S*R~ST*837*1~", "t.837"))
    v4010 = envelope(BILLING + SUBSCRIBER + claim_837p(), version="004010X098A1")
    with pytest.raises(InputFileError, match=r"t.837 segment 3 \(ST\) element 3: unsupported X12 version"):
        list(read_x12(v4010, "t.837"))
    with pytest.raises(InputFileError, match=r"segment 3 \(ST\) element 1: not an 837 claim.*835"):
        list(read_x12(envelope(["BPR*I*1*C*ACH"]).replace("ST*837", "ST*835"), "t.835"))


def test_mixed_versions_keep_every_claim() -> None:
    good = envelope(BILLING + SUBSCRIBER + claim_837p("G"))
    old = envelope(BILLING + SUBSCRIBER + claim_837p("OLD"), version="004010X098A1")
    items = list(read_x12(old + good, "t.837"))
    assert [(i.claim_id, i.ok) for i in items] == [("OLD", False), ("G", True)]
    assert "unsupported X12 version '004010X098A1'" in items[0].error.message


def test_multiple_interchanges_with_different_separators() -> None:
    first = envelope(BILLING + SUBSCRIBER + claim_837p("A"))
    second = envelope(BILLING + SUBSCRIBER + claim_837p("B"), term="\n").replace("*", "|")
    items = list(read_x12(first + second, "t.837"))
    assert [(i.claim_id, i.ok) for i in items] == [("A", True), ("B", True)]


def test_generator_is_deterministic_and_valid() -> None:
    assert generate_837p(30) == generate_837p(30)
    assert luhn_npi("123456789") == "1234567893"
    items = list(read_x12(generate_837p(120), "gen.837"))
    assert len(items) == 120 and all(i.ok for i in items)


def test_streaming_memory_is_bounded() -> None:
    """Reading holds one claim at a time: peak memory beyond the text is a fraction of the text, where holding
    every parsed claim would be many times it. (What does grow a little is pydantic-core's bounded string cache.)"""
    text = generate_837p(3000)
    tracemalloc.start()
    count = sum(1 for _ in read_x12(text, "gen.837"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 3000
    assert peak < len(text) / 2, (peak, len(text))


def test_billing_provider_address_from_n3_n4() -> None:
    """2010AA N3/N4 become billing_provider.address (and feed the PO box and ZIP+4 rules); patient addresses,
    which are PHI, are not read."""
    from claimscrub.inputs.x12 import read_x12
    from claimscrub.inputs.x12_generate import generate_837p

    text = generate_837p(2).replace("N3*1 MAIN ST", "N3*PO BOX 12*SUITE 4", 1).replace(
        "N4*ANYTOWN*MD*207051234", "N4*ANYTOWN*MD*20705", 1)
    first, second = (item.claim for item in read_x12(text, "gen.837"))
    assert first is not None and second is not None
    a = first.billing_provider.address
    assert (a.line1, a.line2, a.city, a.state, a.zip, a.country) == ("PO BOX 12", "SUITE 4", "ANYTOWN", "MD", "20705", None)
    assert second.billing_provider.address == a  # both claims sit under the same billing provider (HL 20)
    assert "ELM ST" not in first.model_dump_json() and "SIDE ST" not in first.model_dump_json()
