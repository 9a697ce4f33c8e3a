"""The contract's PDF rendition: WeasyPrint lays it out in the three languages and attaches the
canonical JSON byte for byte; two parties sign it in turn through pyHanko's interrupted signing
with keys the expo never sees; the verifier accepts exactly that and refuses a PDF changed after
signing, a signature by a key other than the certified one, or an attachment that differs."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
import rfc8785

from karakoram.expo.adapters.contract_pades import finish_signature, prepare_signature
from karakoram.expo.adapters.contract_pdf import ATTACHMENT_NAME, render_contract_pdf
from karakoram.expo.adapters.contract_pdf_verify import describe, verify_pdf
from karakoram.expo.services.contract_pdf import PdfSigningRefused, PendingSignature
from tests.unit.pdf_pki import Holder, make_ca, make_party

SELLER, BUYER = "PK-KHI-0001", "CN-KSH-0007"

CONTRACT: dict[str, Any] = {
    "contract_id": "CT-2026-0042",
    "version": 3,
    "parties": [
        {
            "role": "seller",
            "trader_id": SELLER,
            "name": "Indus Dry Fruits (Pvt) Ltd",
            "country": "PK",
        },
        {"role": "buyer", "trader_id": BUYER, "name": "喀什丝路贸易有限公司", "country": "CN"},
    ],
    "lines": [
        {
            "hs_code": "080252",
            "description": {
                "en": "Pistachios, shelled",
                "ur": "چھلے ہوئے پستے",
                "zh": "去壳开心果",
            },
            "origin": "PK",
            "quantity": "1200",
            "unit": "KGM",
            "unit_price": "9.40",
            "currency": "USD",
        }
    ],
    "incoterms": {"place": "Kashgar", "rule": "DAP"},
    "shipments": [{"crossing": "Khunjerab", "date": "2026-12-10", "lines": [1]}],
    "payment_terms": "30% advance, 70% against release at the border",
    "governing_terms": "UN CISG; disputes to arbitration in Urumqi.",
}


def canonical(value: Any) -> bytes:
    return rfc8785.dumps(value)


CONTRACT_JSON = canonical(CONTRACT)
CREATED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render_contract_pdf(CONTRACT_JSON, created=CREATED)


def sign_in_turn(pdf: bytes, ca: Holder, *parties: tuple[str, Holder]) -> bytes:
    """Each party: the expo prepares, the party signs the handed-out bytes, the expo puts it in."""
    for field, holder in parties:
        pending = prepare_signature(pdf, holder.der, field_name=field, chain=[ca.der])
        pdf = finish_signature(pending, holder.sign(pending.to_be_signed))
    return pdf


@pytest.fixture(scope="module")
def pki() -> tuple[Holder, Holder, Holder]:
    ca = make_ca()
    return ca, make_party(ca, SELLER), make_party(ca, BUYER)


@pytest.fixture(scope="module")
def signed(unsigned: bytes, pki: tuple[Holder, Holder, Holder]) -> bytes:
    ca, seller, buyer = pki
    return sign_in_turn(unsigned, ca, ("seller", seller), ("buyer", buyer))


def test_the_rendition_shows_the_contract_in_chinese_and_urdu(unsigned: bytes) -> None:
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(unsigned)).pages)
    for expected in (
        "Sales contract",
        "销售合同",
        "去壳开心果",
        "喀什丝路贸易有限公司",
        "080252",
        "DAP",
    ):
        assert expected in text
    # Urdu is shaped right to left: pypdf gives its words back, not always in logical order
    for word in ("معاہدۂ", "فروخت", "پستے"):
        assert word in text


def test_the_attachment_is_the_contract_byte_for_byte_marked_as_its_source(unsigned: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(unsigned))
    assert reader.attachments[ATTACHMENT_NAME] == [CONTRACT_JSON]
    af = reader.trailer["/Root"]["/AF"]
    assert {str(spec.get_object()["/AFRelationship"]) for spec in af} == {"/Source"}


@pytest.mark.parametrize("kind", ["p256", "ed25519"])
def test_two_parties_sign_in_turn_and_both_signatures_verify(unsigned: bytes, kind: str) -> None:
    ca = make_ca()
    seller, buyer = make_party(ca, SELLER, kind), make_party(ca, BUYER, kind)
    pdf = sign_in_turn(unsigned, ca, ("seller", seller), ("buyer", buyer))

    verdict = verify_pdf(pdf, [ca.der], contract_json=CONTRACT_JSON, signers=[SELLER, BUYER])

    assert verdict.ok, describe(verdict)
    assert verdict.trader_ids == (SELLER, BUYER)
    assert verdict.embedded_json == CONTRACT_JSON and verdict.json_matches is True
    first, second = verdict.signatures
    assert (first.intact, first.valid, first.trusted) == (True, True, True)
    assert first.modifications == "form_filling"  # the buyer's signature, nothing else
    assert second.modifications == "none"
    assert first.signer_cert == seller.der and second.signer_cert == buyer.der


def test_a_pending_signature_survives_storage_and_takes_webcrypto_raw_ecdsa(
    unsigned: bytes, pki: tuple[Holder, Holder, Holder]
) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    ca, seller, _ = pki
    stored = prepare_signature(unsigned, seller.der, field_name="seller", chain=[ca.der]).to_json()
    pending = PendingSignature.from_json(stored)
    r, s = decode_dss_signature(seller.sign(pending.to_be_signed))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # what WebCrypto's ECDSA returns

    verdict = verify_pdf(finish_signature(pending, raw), [ca.der], signers=[SELLER])

    assert verdict.ok, describe(verdict)


def test_a_byte_changed_after_signing_is_refused(signed: bytes, pki: tuple[Holder, ...]) -> None:
    ca = pki[0]
    # a byte inside the first long stream (compressed page content or font) of the signed bytes
    starts = (m.end() for m in re.finditer(rb">>\s*stream\r?\n", signed))
    at = next(i for i in starts if b"endstream" not in signed[i : i + 400]) + 200
    tampered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1 :]

    verdict = verify_pdf(tampered, [ca.der], contract_json=CONTRACT_JSON)

    assert not verdict.ok
    assert "signature_not_intact:seller" in verdict.problems
    assert "signature_not_intact:buyer" in verdict.problems


def test_a_signature_by_a_key_other_than_the_certified_one_is_refused(
    unsigned: bytes, pki: tuple[Holder, Holder, Holder]
) -> None:
    import asyncio

    from karakoram.expo.adapters import contract_pades

    ca, seller, buyer = pki
    pending = prepare_signature(unsigned, seller.der, field_name="seller", chain=[ca.der])
    wrong = buyer.sign(pending.to_be_signed)  # a valid signature, by another key

    with pytest.raises(PdfSigningRefused) as refused:
        finish_signature(pending, wrong)
    assert refused.value.code == "signature_key_mismatch"

    # and a PDF carrying one anyway (put in past the check) does not verify
    forged = asyncio.run(contract_pades._finish(pending, wrong))
    verdict = verify_pdf(forged, [ca.der], signers=[SELLER])
    assert "signature_invalid:seller" in verdict.problems
    assert f"signature_missing:{SELLER}" in verdict.problems


def test_an_attachment_other_than_the_contract_is_refused(
    signed: bytes, pki: tuple[Holder, ...]
) -> None:
    other = canonical({**CONTRACT, "version": 4})

    verdict = verify_pdf(signed, [pki[0].der], contract_json=other)

    assert verdict.json_matches is False
    assert verdict.problems == ("attachment_differs",)


def test_bytes_appended_after_the_last_signature_are_refused(
    signed: bytes, pki: tuple[Holder, ...]
) -> None:
    verdict = verify_pdf(signed + b"\n% appended\n", [pki[0].der])

    assert verdict.problems == ("bytes_after_last_signature:buyer",)


def test_an_attachment_swapped_in_an_update_after_signing_is_refused(
    signed: bytes, pki: tuple[Holder, ...]
) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    swapped = canonical({**CONTRACT, "lines": [{**CONTRACT["lines"][0], "quantity": "12000"}]})
    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[1].get_object()
    new_file = writer.add_object(generic.StreamObject({}, stream_data=swapped))
    spec["/EF"] = generic.DictionaryObject({generic.NameObject("/F"): new_file})
    writer.update_container(spec)
    out = io.BytesIO()
    writer.write(out)

    verdict = verify_pdf(out.getvalue(), [pki[0].der], contract_json=swapped)

    assert verdict.json_matches is True  # the reader shows the swapped one...
    assert not verdict.ok  # ...but the signatures no longer cover what is shown
    assert "modified_after_signature:buyer" in verdict.problems


def test_a_certificate_from_another_ca_or_outside_its_validity_is_untrusted(
    unsigned: bytes, signed: bytes
) -> None:
    assert "certificate_untrusted:seller" in verify_pdf(signed, [make_ca().der]).problems

    ca = make_ca()
    now = datetime.now(UTC)
    expired = make_party(
        ca, SELLER, valid_from=now - timedelta(days=9), valid_to=now - timedelta(days=1)
    )
    pdf = sign_in_turn(unsigned, ca, ("seller", expired))
    assert "certificate_untrusted:seller" in verify_pdf(pdf, [ca.der]).problems
    # checked at a time given by the caller (the expo's countersigned receipt), it was valid
    verdict = verify_pdf(pdf, [ca.der], at={"seller": now - timedelta(days=2)})
    assert verdict.ok, describe(verdict)


def test_a_missing_or_unexpected_party_an_unsigned_pdf_or_not_a_pdf_are_refused(
    unsigned: bytes, pki: tuple[Holder, Holder, Holder]
) -> None:
    ca, seller, _ = pki
    half = sign_in_turn(unsigned, ca, ("seller", seller))
    assert verify_pdf(half, [ca.der], signers=[SELLER, BUYER]).problems == (
        f"signature_missing:{BUYER}",
    )
    assert verify_pdf(half, [ca.der], signers=[BUYER]).problems == (
        f"signature_missing:{BUYER}",
        f"unexpected_signer:{SELLER}",
    )
    assert verify_pdf(unsigned, [ca.der]).problems == ("no_signatures",)
    assert verify_pdf(b"not a pdf", [ca.der]).problems[0].startswith("pdf_unreadable")


def test_the_port_runs_the_same_flow_inside_an_event_loop(
    pki: tuple[Holder, Holder, Holder],
) -> None:
    import asyncio

    from karakoram.expo.adapters.contract_pdf_pyhanko import contract_pdf

    ca, seller, buyer = pki
    port = contract_pdf()

    async def flow() -> bool:
        pdf = port.render(CONTRACT_JSON)
        for field, holder in (("seller", seller), ("buyer", buyer)):
            pending = await port.prepare(pdf, holder.der, field_name=field, chain=[ca.der])
            pdf = await port.finish(pending, holder.sign(pending.to_be_signed))
        verdict = await port.verify(
            pdf, [ca.der], contract_json=CONTRACT_JSON, signers=[SELLER, BUYER]
        )
        return verdict.ok

    assert asyncio.run(flow())


def test_the_cli_hook_reads_files_and_describes_the_verdict(
    signed: bytes, pki: tuple[Holder, ...], tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from karakoram.expo.adapters.contract_pdf_verify import verify_pdf_file

    (tmp_path / "c.pdf").write_bytes(signed)
    (tmp_path / "ca.pem").write_bytes(pki[0].cert.public_bytes(Encoding.PEM))
    (tmp_path / "c.json").write_bytes(CONTRACT_JSON)
    (tmp_path / "other.json").write_bytes(CONTRACT_JSON + b" ")

    good = verify_pdf_file(tmp_path / "c.pdf", [tmp_path / "ca.pem"], tmp_path / "c.json")
    bad = verify_pdf_file(tmp_path / "c.pdf", [tmp_path / "ca.pem"], tmp_path / "other.json")

    assert good.ok and describe(good)[0] == "PDF: verified"
    assert any(f"trader {SELLER}" in line for line in describe(good))
    assert describe(bad)[0] == "PDF: REFUSED" and "  problem: attachment_differs" in describe(bad)


def test_signing_refuses_what_is_not_a_pdf_a_field_signed_already_or_garbage(
    signed: bytes, pki: tuple[Holder, Holder, Holder]
) -> None:
    ca, seller, _ = pki
    with pytest.raises(PdfSigningRefused) as not_pdf:
        prepare_signature(b"%PDF-1.7 nothing", seller.der, field_name="seller")
    with pytest.raises(PdfSigningRefused) as again:
        prepare_signature(signed, seller.der, field_name="seller")
    pending = prepare_signature(signed, seller.der, field_name="witness", chain=[ca.der])
    with pytest.raises(PdfSigningRefused) as garbage:
        finish_signature(pending, b"\x30\x03garbage")

    assert (not_pdf.value.code, again.value.code) == ("pdf_unsignable", "pdf_unsignable")
    assert garbage.value.code == "signature_key_mismatch"
